//! `availableModels`: what bot platforms are told about ready models.

use serde_json::json;
use tuner::auth::Role;

use crate::training_jobs::Fixture;

const AVAILABLE: &str =
    "{ availableModels { id name providerModel systemPrompt baseModel provider \
    trainedAt rulesChangedSinceTraining retiresAt } }";

async fn trained_fixture() -> Fixture {
    let fixture = Fixture::new(1_000).await;
    fixture.app.create_rule("Be brief.").await;
    fixture.blocks(10, None).await;
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    fixture.finish(job["id"].as_str().expect("id")).await;
    fixture
}

#[tokio::test]
async fn a_ready_model_is_listed_with_the_system_prompt_it_was_trained_with() {
    let fixture = Fixture::new(1_000).await;
    let reader = fixture.app.token(Role::Reader).await;
    let before = fixture.app.gql(&reader, AVAILABLE, json!({})).await;
    assert_eq!(
        before.data()["availableModels"],
        json!([]),
        "nothing is ready yet"
    );

    fixture.app.create_rule("Be brief.").await;
    fixture.blocks(10, None).await;
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    let done = fixture.finish(job["id"].as_str().expect("id")).await;

    let reply = fixture.app.gql(&reader, AVAILABLE, json!({})).await;
    let models = reply.data()["availableModels"]
        .as_array()
        .expect("list")
        .clone();
    assert_eq!(models.len(), 1);
    let model = &models[0];
    assert_eq!(model["id"], fixture.model_id.as_str());
    assert_eq!(model["providerModel"], done["fineTunedModel"]);
    assert_eq!(model["systemPrompt"], "Be brief.");
    assert_eq!(model["baseModel"], "gpt-4o-mini-2024-07-18");
    assert_eq!(model["provider"], "openai");
    assert_eq!(model["rulesChangedSinceTraining"], false);
    assert_eq!(model["retiresAt"], "2027-01-14T00:00:00+00:00");
    assert!(model["trainedAt"].is_string());
}

#[tokio::test]
async fn changing_the_rules_after_training_is_flagged() {
    let fixture = trained_fixture().await;
    fixture.app.create_rule("Sign every answer.").await;
    let reply = fixture.app.admin_gql(AVAILABLE, json!({})).await;
    let model = &reply.data()["availableModels"][0];
    assert_eq!(model["rulesChangedSinceTraining"], true);
    assert_eq!(
        model["systemPrompt"], "Be brief.",
        "still the prompt it was trained with"
    );
}

#[tokio::test]
async fn retired_models_are_not_listed() {
    let mut fixture = trained_fixture().await;
    let app = &mut fixture.app;
    app.training.retirements =
        tuner::available_models::Retirements::parse("gpt-4o-mini-2024-07-18=2020-01-01")
            .expect("table");
    app.schema = tuner::schema::build(app.db.clone(), app.secrets.clone(), app.training.clone());
    let reply = app.admin_gql(AVAILABLE, json!({})).await;
    assert_eq!(reply.data()["availableModels"], json!([]));
}

#[tokio::test]
async fn other_workspaces_and_missing_tokens_see_nothing() {
    let fixture = trained_fixture().await;
    let other = fixture.app.other_workspace("other").await;
    let reply = fixture.app.gql(&other, AVAILABLE, json!({})).await;
    assert_eq!(reply.data()["availableModels"], json!([]));
    let reply = fixture.app.gql("", AVAILABLE, json!({})).await;
    assert_eq!(reply.code(), "UNAUTHENTICATED");
}
