//! Moving a model off a provider: bots call it under the same name throughout, and switch to
//! the new provider only once the new model is callable; a failed move changes nothing they see.

use serde_json::{json, Value};
use tuner::auth::Role;
use tuner_emulator::Dialect;

use super::{answering_model, available, warning_codes, FIREWORKS, TOGETHER};
use crate::harness::http_options;
use crate::training_jobs::{Fixture, API_KEY};

const MOVE: &str = "mutation($id: ID!, $p: String!, $b: String!) {
    moveCustomModel(id: $id, provider: $p, baseModel: $b) { id status provider blockCount } }";

/// A model trained on OpenAI (READY), with Together credentials on the same emulator and
/// `extra` NOT_TRAINED blocks written since.
async fn trained_on_openai(extra: usize) -> (Fixture, String) {
    let fixture = Fixture::new(10_000).await;
    fixture.app.create_rule("Be brief.").await;
    fixture.blocks(10, None).await;
    let reply = fixture.run(json!({})).await;
    let job_id = reply.data()["runTrainingJob"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(fixture.finish(&job_id).await["status"], "SUCCEEDED");
    let set = "mutation($url: String!, $key: String!) { setProviderCredentials(provider: \"together\", apiKey: $key, baseUrl: $url) { provider } }";
    let url = fixture.emulator.base_url_for(Dialect::Together);
    fixture
        .app
        .admin_gql(set, json!({ "url": url, "key": API_KEY }))
        .await
        .data();
    fixture.blocks(extra, Some("new")).await;
    let openai_model = available(&fixture).await[0]["providerModel"]
        .as_str()
        .expect("provider model")
        .to_owned();
    (fixture, openai_model)
}

async fn block_statuses(fixture: &Fixture) -> Vec<(String, String)> {
    let query = "{ trainingBlocks(first: 100) { nodes { tag status } } }";
    let reply = fixture.app.admin_gql(query, json!({})).await;
    let nodes = reply.data()["trainingBlocks"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    nodes
        .iter()
        .map(|n| {
            (
                n["tag"].as_str().unwrap_or("").to_owned(),
                n["status"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_model_moved_to_together_answers_under_its_name_throughout_the_move() {
    let (fixture, openai_model) = trained_on_openai(2).await;
    let base = fixture.app.serve(http_options()).await;
    let reader = fixture.app.token(Role::Reader).await;
    assert_eq!(answering_model(&base, &reader).await, openai_model);

    let vars = json!({ "id": fixture.model_id, "p": TOGETHER.id, "b": TOGETHER.base_model });
    let reply = fixture.app.admin_gql(MOVE, vars).await;
    let job = reply.data()["moveCustomModel"].clone();
    assert_eq!(job["provider"], "together");
    assert_eq!(
        job["blockCount"], 12,
        "every block trained before plus the two new ones"
    );
    assert_eq!(
        answering_model(&base, &reader).await,
        openai_model,
        "while it trains"
    );

    let job_id = job["id"].as_str().expect("id");
    assert_eq!(fixture.finish(job_id).await["status"], "SUCCEEDED");
    let listed = available(&fixture).await;
    assert_eq!(
        listed[0]["providerModel"],
        openai_model.as_str(),
        "while it deploys"
    );
    assert_eq!(answering_model(&base, &reader).await, openai_model);

    fixture.emulator.advance(60);
    tuner::deployments::check_all(&fixture.app.context())
        .await
        .expect("check");
    let now_serving = available(&fixture).await[0]["providerModel"]
        .as_str()
        .expect("provider model")
        .to_owned();
    assert_ne!(now_serving, openai_model);
    assert_eq!(
        answering_model(&base, &reader).await,
        now_serving,
        "on Together now"
    );
    let reply = fixture
        .app
        .admin_gql("{ availableModels { provider } }", json!({}))
        .await;
    assert_eq!(reply.data()["availableModels"][0]["provider"], "together");
    assert!(block_statuses(&fixture)
        .await
        .iter()
        .all(|(_, status)| status == "TRAINED"));
}

#[tokio::test]
async fn a_failed_move_leaves_bots_on_the_old_model_and_gives_back_only_the_new_blocks() {
    let (fixture, openai_model) = trained_on_openai(2).await;
    fixture
        .emulator
        .fail_next("POST", "/together/v1/fine-tunes", 400, 1, None);
    let vars = json!({ "id": fixture.model_id, "p": TOGETHER.id, "b": TOGETHER.base_model });
    let reply = fixture.app.admin_gql(MOVE, vars).await;
    assert_eq!(reply.data()["moveCustomModel"]["status"], "FAILED");
    let listed = available(&fixture).await;
    assert_eq!(listed[0]["providerModel"], openai_model.as_str());
    let statuses = block_statuses(&fixture).await;
    for (tag, status) in statuses {
        let expected = if tag == "new" {
            "NOT_TRAINED"
        } else {
            "TRAINED"
        };
        assert_eq!(status, expected, "block tagged {tag:?}");
    }
}

/// A model served from a Together endpoint, moved to Fireworks; its move job has succeeded and
/// the Fireworks deployment is starting.
async fn moving_from_together_to_fireworks() -> Fixture {
    let fixture = super::fixture(&TOGETHER, 10_000).await;
    fixture.blocks(3, None).await;
    let reply = fixture.run(json!({ "deploy": true })).await;
    let job_id = reply.data()["runTrainingJob"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(fixture.finish(&job_id).await["status"], "SUCCEEDED");
    fixture.emulator.advance(60);
    tuner::deployments::check_all(&fixture.app.context())
        .await
        .expect("check");
    assert_eq!(available(&fixture).await.len(), 1, "served on Together");
    let set = "mutation($url: String!, $key: String!) { setProviderCredentials(provider: \"fireworks\", apiKey: $key, baseUrl: $url, accountId: \"acme\") { provider } }";
    let url = fixture.emulator.base_url_for(Dialect::Fireworks);
    fixture
        .app
        .admin_gql(set, json!({ "url": url, "key": API_KEY }))
        .await
        .data();
    let vars = json!({ "id": fixture.model_id, "p": FIREWORKS.id, "b": FIREWORKS.base_model });
    let reply = fixture.app.admin_gql(MOVE, vars).await;
    let job_id = reply.data()["moveCustomModel"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(fixture.finish(&job_id).await["status"], "SUCCEEDED");
    assert_eq!(fixture.emulator.deployments_for(Dialect::Together).len(), 1);
    assert_eq!(
        fixture.emulator.deployments_for(Dialect::Fireworks).len(),
        1
    );
    fixture
}

#[tokio::test]
async fn after_a_move_the_replaced_deployment_is_removed_on_the_provider_moved_off() {
    let fixture = moving_from_together_to_fireworks().await;
    let reply = fixture
        .app
        .admin_gql("{ availableModels { provider } }", json!({}))
        .await;
    assert_eq!(
        reply.data()["availableModels"][0]["provider"],
        "together",
        "while Fireworks deploys"
    );
    fixture.emulator.advance(600);
    tuner::deployments::check_all(&fixture.app.context())
        .await
        .expect("check");
    let reply = fixture
        .app
        .admin_gql("{ availableModels { provider } }", json!({}))
        .await;
    assert_eq!(reply.data()["availableModels"][0]["provider"], "fireworks");
    assert_eq!(
        fixture.emulator.deployments_for(Dialect::Together),
        Vec::<String>::new(),
        "the Together endpoint no longer runs (nor bills)"
    );
    assert_eq!(
        fixture.emulator.deployments_for(Dialect::Fireworks).len(),
        1
    );
}

#[tokio::test]
async fn undeploying_during_a_move_removes_the_deployments_on_both_providers() {
    let fixture = moving_from_together_to_fireworks().await;
    let undeploy = "mutation($id: ID!) { undeployCustomModel(id: $id) { status servingModel } }";
    let reply = fixture
        .app
        .admin_gql(undeploy, json!({ "id": fixture.model_id }))
        .await;
    let model = reply.data()["undeployCustomModel"].clone();
    assert_eq!(model["status"], "TRAINED");
    assert!(model["servingModel"].is_null(), "{model}");
    for dialect in [Dialect::Together, Dialect::Fireworks] {
        assert_eq!(
            fixture.emulator.deployments_for(dialect),
            Vec::<String>::new(),
            "{dialect:?}"
        );
    }
    assert_eq!(available(&fixture).await, Vec::<Value>::new());
}

const MOVE_PREVIEW: &str = "query($id: ID!, $p: String!, $b: String!) {
    movePreview(id: $id, provider: $p, baseModel: $b) {
        provider trainingModel continuesTraining blockCount errors { code } warnings { code } } }";

#[tokio::test]
async fn a_move_preview_applies_the_new_providers_rules_to_every_block_and_changes_nothing() {
    let (fixture, openai_model) = trained_on_openai(2).await;
    let vars = json!({ "id": fixture.model_id, "p": TOGETHER.id, "b": TOGETHER.base_model });
    let reply = fixture.app.admin_gql(MOVE_PREVIEW, vars).await;
    let preview = reply.data()["movePreview"].clone();
    assert_eq!(preview["provider"], "together");
    assert_eq!(preview["trainingModel"], TOGETHER.base_model);
    assert_eq!(preview["continuesTraining"], false);
    assert_eq!(
        preview["blockCount"], 12,
        "every block trained before plus the two new ones"
    );
    assert_eq!(preview["errors"], json!([]));
    let codes = warning_codes(&preview);
    assert!(codes.contains(&"RETRAINS_ALL_BLOCKS"), "{codes:?}");

    let reply = fixture
        .app
        .admin_gql(
            "query($id: ID!) { customModel(id: $id) { provider baseModel } }",
            json!({ "id": fixture.model_id }),
        )
        .await;
    assert_eq!(
        reply.data()["customModel"]["provider"],
        "openai",
        "unchanged"
    );
    assert_eq!(available(&fixture).await[0]["providerModel"], openai_model);

    let vars = json!({ "id": fixture.model_id, "p": "mistral", "b": "x" });
    let reply = fixture.app.admin_gql(MOVE_PREVIEW, vars).await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    assert!(reply.message().contains("together"), "{}", reply.message());
}
