//! The whole path on every provider, as a user takes it: blocks imported from a JSONL file,
//! the preview, the job with its events, the deployment made when it succeeds, then the model
//! in `availableModels` and answering a chat through tuner's `/v1`.

use serde_json::json;
use tuner::auth::Role;

use super::{answering_model, available, fixture, followed, Provider, FIREWORKS, NEBIUS, TOGETHER};
use crate::harness::http_options;
use crate::transfer::{chat_line, upload, Upload};

async fn imported_trained_deployed_and_called(provider: &Provider) {
    let fixture = fixture(provider, 1_000).await;
    let base = fixture.app.serve(http_options()).await;
    let examples = tuner::provider::profile_or_default(provider.id)
        .data
        .min_examples
        .max(3);
    let file: String = (0..examples)
        .map(|i| {
            let prompt = format!("Where is order {i}?");
            let response = format!("Order {i} ships tomorrow.");
            chat_line(None, &[(&prompt, &response)]) + "\n"
        })
        .collect();
    let options = Upload {
        tag: Some("imported"),
        ..Upload::default()
    };
    let imported = upload(&base, &fixture.app.admin, &file, options).await;
    assert_eq!(
        imported.data()["importTrainingBlocks"]["blocks"],
        examples,
        "{}",
        provider.id
    );

    let preview =
        "query($id: ID!) { trainingPreview(modelId: $id) { provider blockCount errors { code } } }";
    let reply = fixture
        .app
        .admin_gql(preview, json!({ "id": fixture.model_id }))
        .await;
    let preview = reply.data()["trainingPreview"].clone();
    assert_eq!(
        (preview["provider"].as_str(), preview["blockCount"].as_u64()),
        (Some(provider.id), Some(examples as u64))
    );
    assert_eq!(preview["errors"], json!([]), "{}", provider.id);

    let job = fixture.run(json!({ "deploy": true })).await.data()["runTrainingJob"].clone();
    let job_id = job["id"].as_str().expect("id").to_owned();
    assert_eq!(fixture.finish(&job_id).await["status"], "SUCCEEDED");
    let followed = followed(&fixture, &job_id).await;
    assert!(
        followed["events"]["totalCount"].as_u64() > Some(0),
        "{}: {followed}",
        provider.id
    );
    assert_eq!(available(&fixture).await.len(), 0, "not callable yet");

    fixture.emulator.advance(600);
    tuner::deployments::check_all(&fixture.app.context())
        .await
        .expect("check deployments");
    let listed = available(&fixture).await;
    assert_eq!(listed.len(), 1, "{}", provider.id);
    let provider_model = listed[0]["providerModel"].as_str().expect("provider model");
    let reader = fixture.app.token(Role::Reader).await;
    assert_eq!(
        answering_model(&base, &reader).await,
        provider_model,
        "{}",
        provider.id
    );
}

#[tokio::test]
async fn together_from_an_imported_file_to_a_chat_through_tuner() {
    imported_trained_deployed_and_called(&TOGETHER).await;
}

#[tokio::test]
async fn nebius_from_an_imported_file_to_a_chat_through_tuner() {
    imported_trained_deployed_and_called(&NEBIUS).await;
}

#[tokio::test]
async fn fireworks_from_an_imported_file_to_a_chat_through_tuner() {
    imported_trained_deployed_and_called(&FIREWORKS).await;
}
