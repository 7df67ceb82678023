//! Training on Together AI, Nebius Token Factory and Fireworks AI against the emulator's dialects over real
//! HTTP: the whole path through GraphQL, repair without metadata, cancelling, faults, and the
//! refusals that depend on the provider.

mod base_models;
mod continued;
mod deployments;
mod fireworks;
mod garbage;
mod moves;
mod nebius;
mod refusals;
mod together;
mod whole_path;

use serde_json::{json, Value};
use tuner_emulator::{ClockMode, Dialect, Emulator, EmulatorConfig};

use super::{Fixture, API_KEY};
use crate::harness::TestApp;

/// A provider as tuner names it and as the emulator serves it.
pub(crate) struct Provider {
    pub id: &'static str,
    pub dialect: Dialect,
    pub base_model: &'static str,
    /// The account id the credentials carry (providers whose paths name an account).
    pub account_id: Option<&'static str>,
}

pub(crate) const TOGETHER: Provider = Provider {
    id: "together",
    dialect: Dialect::Together,
    base_model: "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference",
    account_id: None,
};

pub(crate) const NEBIUS: Provider = Provider {
    id: "nebius",
    dialect: Dialect::Nebius,
    base_model: "meta-llama/Meta-Llama-3.1-8B-Instruct",
    account_id: None,
};

pub(crate) const FIREWORKS: Provider = Provider {
    id: "fireworks",
    dialect: Dialect::Fireworks,
    base_model: "accounts/fireworks/models/llama-v3p1-8b-instruct",
    account_id: Some("acme"),
};

/// A tuner whose workspace has credentials for `provider` (pointed at the emulator), `credits`
/// granted and one model on that provider and its base model.
pub(crate) async fn fixture(provider: &Provider, credits: i64) -> Fixture {
    let app = TestApp::spawn().await;
    let config = EmulatorConfig {
        api_key: Some(API_KEY.to_owned()),
        clock: ClockMode::Manual,
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::spawn(config).await.expect("emulator");
    let set = "mutation($p: String!, $url: String!, $key: String!, $account: String) { setProviderCredentials(provider: $p, apiKey: $key, baseUrl: $url, accountId: $account) { provider } }";
    let vars = json!({ "p": provider.id, "url": emulator.base_url_for(provider.dialect),
        "key": API_KEY, "account": provider.account_id });
    app.admin_gql(set, vars).await.data();
    if credits != 0 {
        tuner::credits::grant(&app.db, app.workspace_id, credits)
            .await
            .expect("grant");
    }
    let create = "mutation($p: String!, $b: String!) { createCustomModel(input: {name: \"support\", provider: $p, baseModel: $b}) { id provider baseModel } }";
    let reply = app
        .admin_gql(
            create,
            json!({ "p": provider.id, "b": provider.base_model }),
        )
        .await;
    let model = reply.data()["createCustomModel"].clone();
    assert_eq!(model["provider"], provider.id);
    let model_id = model["id"].as_str().expect("id").to_owned();
    Fixture {
        app,
        emulator,
        model_id,
    }
}

/// The job's stored events, metrics and checkpoints, read through GraphQL.
pub(crate) async fn followed(fixture: &Fixture, job_id: &str) -> Value {
    let query = "query($id: ID!) { trainingJob(id: $id) { status fineTunedModel \
        events(first: 500) { totalCount edges { node { level message kind } } } \
        metrics { step trainLoss validLoss } \
        checkpoints { fineTunedModelCheckpoint stepNumber } } }";
    let reply = fixture.app.admin_gql(query, json!({ "id": job_id })).await;
    reply.data()["trainingJob"].clone()
}

/// The names `availableModels` lists.
pub(crate) async fn available(fixture: &Fixture) -> Vec<Value> {
    let reply = fixture
        .app
        .admin_gql("{ availableModels { name providerModel } }", json!({}))
        .await;
    reply.data()["availableModels"]
        .as_array()
        .expect("models")
        .clone()
}

/// Asserts the workspace paid the fee and block credits of one job of `blocks` blocks, once.
pub(crate) async fn charged_once(fixture: &Fixture, start: i64, blocks: i64) {
    let (balance, ledger) = fixture.credits().await;
    assert_eq!(balance, start - 100 - blocks, "charged once: {ledger:?}");
    let charges = ledger
        .iter()
        .filter(|e| e["jobId"].is_string() && e["amount"].as_i64() < Some(0))
        .count();
    assert_eq!(charges, 2, "one fee and one block charge: {ledger:?}");
}

/// Which model answers a chat to `support` through tuner.
pub(crate) async fn answering_model(base: &str, token: &str) -> String {
    let answer: Value = reqwest::Client::new()
        .post(format!("{base}/v1/chat/completions"))
        .bearer_auth(token)
        .json(&json!({ "model": "support", "messages": [{ "role": "user", "content": "hi" }] }))
        .send()
        .await
        .expect("chat")
        .json()
        .await
        .expect("json");
    let said = answer["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default();
    said.strip_prefix("[model=")
        .and_then(|rest| rest.split(']').next())
        .unwrap_or_default()
        .to_owned()
}

/// The codes of a preview's warnings.
pub(crate) fn warning_codes(preview: &Value) -> Vec<&str> {
    preview["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w["code"].as_str())
        .collect()
}
