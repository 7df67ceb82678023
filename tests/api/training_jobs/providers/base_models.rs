//! `baseModels(provider)`: what each provider fine-tunes, from its API where it has one.

use serde_json::{json, Value};
use tuner::auth::Role;

use super::{fixture, FIREWORKS, NEBIUS, TOGETHER};
use crate::training_jobs::Fixture;

const QUERY: &str = "query($p: String!) { baseModels(provider: $p) {
    id contextLength encoding encodingAssumed exampleTokenLimit retiresAt } }";

async fn base_models(fixture: &Fixture, provider: &str) -> Vec<Value> {
    let reply = fixture.app.admin_gql(QUERY, json!({ "p": provider })).await;
    reply.data()["baseModels"]
        .as_array()
        .expect("models")
        .clone()
}

fn find<'a>(models: &'a [Value], id: &str) -> &'a Value {
    models
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or(&Value::Null)
}

#[tokio::test]
async fn together_lists_what_it_fine_tunes_with_context_lengths_and_estimated_token_counts() {
    let together = fixture(&TOGETHER, 0).await;
    let models = base_models(&together, "together").await;
    let llama = find(&models, TOGETHER.base_model);
    assert!(
        llama["contextLength"].as_u64().unwrap_or(0) > 0,
        "{models:?}"
    );
    assert_eq!(
        llama["encodingAssumed"], true,
        "no Llama tokenizer offline: estimates"
    );
    let nebius = fixture(&NEBIUS, 0).await;
    let models = base_models(&nebius, "nebius").await;
    assert!(find(&models, NEBIUS.base_model).is_object(), "{models:?}");
    let fireworks = fixture(&FIREWORKS, 0).await;
    let models = base_models(&fireworks, "fireworks").await;
    let base = find(&models, FIREWORKS.base_model);
    assert!(
        base["contextLength"].as_u64().unwrap_or(0) > 0,
        "{models:?}"
    );
}

#[tokio::test]
async fn openai_lists_its_tunable_models_with_their_encoding_and_retirement() {
    let fixture = Fixture::new(0).await;
    let models = base_models(&fixture, "openai").await;
    let mini = find(&models, "gpt-4o-mini-2024-07-18");
    assert_eq!(
        (mini["encoding"].as_str(), mini["encodingAssumed"].as_bool()),
        (Some("o200k_base"), Some(false))
    );
    assert_eq!(mini["retiresAt"], "2027-01-14T00:00:00+00:00");
    let reader = fixture.app.token(Role::Reader).await;
    let reply = fixture
        .app
        .gql(&reader, QUERY, json!({ "p": "openai" }))
        .await;
    assert_eq!(reply.code(), "FORBIDDEN");
    let reply = fixture
        .app
        .admin_gql(QUERY, json!({ "p": "together" }))
        .await;
    assert_eq!(
        reply.code(),
        "BAD_USER_INPUT",
        "no Together credentials: {}",
        reply.message()
    );
}
