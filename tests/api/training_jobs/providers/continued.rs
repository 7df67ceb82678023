//! Continued training on every provider: a second job starts from the model the first one
//! trained (Together's `from_checkpoint`, Fireworks' `warmStartFrom`, Nebius's trained
//! checkpoint as the model), takes only the new blocks, and its model is deployed on the
//! base model beneath.

use serde_json::{json, Value};

use super::{available, fixture, warning_codes, Provider, FIREWORKS, NEBIUS, TOGETHER};
use crate::training_jobs::Fixture;

const PREVIEW: &str = "query($id: ID!) { trainingPreview(modelId: $id) {
    trainingModel continuesTraining blockCount warnings { code } } }";

/// Runs a job with `input` to SUCCEEDED; returns its GraphQL fields.
async fn trained(fixture: &Fixture, input: Value) -> Value {
    let reply = fixture.run(input).await;
    let job_id = reply.data()["runTrainingJob"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let done = fixture.finish(&job_id).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    done
}

/// Trains as many blocks as the provider needs at least, then as many new ones; checks the
/// preview and the second job continue from the first job's model; returns the emulator's view
/// of the second provider job.
async fn second_job_continues(provider: &Provider) -> (Fixture, Value, Value) {
    let fixture = fixture(provider, 1_000).await;
    let least = tuner::provider::profile_or_default(provider.id)
        .data
        .min_examples
        .max(2);
    fixture.blocks(least, None).await;
    let first_job = trained(&fixture, json!({})).await;
    let first_model = first_job["fineTunedModel"]
        .as_str()
        .expect("first model")
        .to_owned();
    fixture.blocks(least, Some("new")).await;

    let reply = fixture
        .app
        .admin_gql(PREVIEW, json!({ "id": fixture.model_id }))
        .await;
    let preview = reply.data()["trainingPreview"].clone();
    assert_eq!(preview["trainingModel"], first_model.as_str(), "{preview}");
    assert_eq!(preview["continuesTraining"], true);
    assert_eq!(preview["blockCount"], least, "only the new blocks");
    let codes = warning_codes(&preview);
    assert!(!codes.contains(&"RETRAINS_ALL_BLOCKS"), "{codes:?}");

    let second = trained(&fixture, json!({ "deploy": true })).await;
    assert_eq!(second["blockCount"], least);
    assert_eq!(second["baseModel"], first_model.as_str());
    let remote_id = second["providerJobId"].as_str().expect("provider job");
    let remote = fixture
        .emulator
        .job_for(provider.dialect, remote_id)
        .expect("remote job");
    (fixture, remote, Value::String(first_model))
}

/// The deployment of the continued model becomes callable and `availableModels` lists it on
/// the base model beneath.
async fn callable_on_the_base_model(fixture: &Fixture, provider: &Provider) {
    fixture.emulator.advance(600);
    tuner::deployments::check_all(&fixture.app.context())
        .await
        .expect("check deployments");
    let reply = fixture
        .app
        .admin_gql("{ availableModels { name baseModel } }", json!({}))
        .await;
    let listed = reply.data()["availableModels"].clone();
    assert_eq!(
        listed,
        json!([{ "name": "support", "baseModel": provider.base_model }])
    );
    assert_eq!(available(fixture).await.len(), 1);
}

#[tokio::test]
async fn a_together_job_continues_from_the_first_jobs_output_model() {
    let (fixture, remote, first_model) = second_job_continues(&TOGETHER).await;
    assert_eq!(remote["model"], TOGETHER.base_model, "{remote}");
    assert_eq!(remote["from_checkpoint"], first_model, "{remote}");
    callable_on_the_base_model(&fixture, &TOGETHER).await;
}

#[tokio::test]
async fn a_fireworks_job_warm_starts_from_the_first_jobs_model() {
    let (fixture, remote, first_model) = second_job_continues(&FIREWORKS).await;
    assert_eq!(remote["warmStartFrom"], first_model, "{remote}");
    callable_on_the_base_model(&fixture, &FIREWORKS).await;
}

#[tokio::test]
async fn a_nebius_job_trains_on_the_first_jobs_checkpoint() {
    let (fixture, remote, first_model) = second_job_continues(&NEBIUS).await;
    assert_eq!(remote["model"], first_model, "{remote}");
    callable_on_the_base_model(&fixture, &NEBIUS).await;
}

#[tokio::test]
async fn from_the_base_model_a_job_trains_again_on_every_block_and_the_preview_says_so() {
    let fixture = fixture(&TOGETHER, 1_000).await;
    fixture.blocks(3, None).await;
    trained(&fixture, json!({})).await;
    fixture.blocks(2, Some("new")).await;
    let query =
        "query($id: ID!, $input: TrainingJobInput) { trainingPreview(modelId: $id, input: $input) {
        trainingModel continuesTraining blockCount warnings { code } } }";
    let input = json!({ "fromBaseModel": true });
    let reply = fixture
        .app
        .admin_gql(query, json!({ "id": fixture.model_id, "input": input }))
        .await;
    let preview = reply.data()["trainingPreview"].clone();
    assert_eq!(preview["trainingModel"], TOGETHER.base_model);
    assert_eq!(preview["continuesTraining"], false);
    assert_eq!(preview["blockCount"], 5);
    let codes = warning_codes(&preview);
    assert!(codes.contains(&"RETRAINS_ALL_BLOCKS"), "{codes:?}");
    let second = trained(&fixture, input).await;
    assert_eq!(second["blockCount"], 5);
    let remote_id = second["providerJobId"].as_str().expect("provider job");
    let remote = fixture
        .emulator
        .job_for(TOGETHER.dialect, remote_id)
        .expect("remote job");
    assert!(remote["from_checkpoint"].is_null(), "{remote}");
}
