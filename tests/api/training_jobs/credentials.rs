//! Provider credentials: write-only keys, checks against the provider, clear errors.

use std::sync::Arc;

use sea_orm::EntityTrait;
use serde_json::json;
use tuner::auth::Role;
use tuner::workspaces::credentials;

use super::{Fixture, API_KEY};
use crate::harness::TestApp;

const SET: &str = "mutation($p: String!, $k: String!, $u: String) { setProviderCredentials(provider: $p, apiKey: $k, baseUrl: $u) { provider apiKeyLast4 baseUrl } }";
const TEST: &str =
    "mutation($p: String!) { testProviderCredentials(provider: $p) { ok message modelCount } }";

#[tokio::test]
async fn the_key_is_stored_encrypted_and_shown_only_by_its_last_four_characters() {
    let fixture = Fixture::new(0).await;
    let listed = fixture
        .app
        .admin_gql(
            "{ providerCredentials { provider apiKeyLast4 baseUrl } }",
            json!({}),
        )
        .await;
    let body = listed.body.to_string();
    assert!(!body.contains(API_KEY), "the key never leaves the server");
    assert_eq!(
        listed.data()["providerCredentials"][0]["apiKeyLast4"],
        "1234"
    );
    let rows = tuner::entities::provider_credential::Entity::find()
        .all(&fixture.app.db)
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].api_key_ciphertext.contains(API_KEY));
    assert!(
        !format!("{:?}", rows[0]).contains(&rows[0].api_key_ciphertext),
        "Debug hides the ciphertext"
    );
}

#[tokio::test]
async fn working_credentials_pass_the_test() {
    let fixture = Fixture::new(0).await;
    let reply = fixture.app.admin_gql(TEST, json!({ "p": "openai" })).await;
    let result = &reply.data()["testProviderCredentials"];
    assert_eq!(result["ok"], true, "{result}");
    assert!(result["modelCount"].as_u64().expect("count") > 0);
}

#[tokio::test]
async fn a_wrong_key_fails_the_test_with_the_providers_reason() {
    let fixture = Fixture::new(0).await;
    let url = fixture.emulator.base_url();
    fixture
        .app
        .admin_gql(
            SET,
            json!({ "p": "openai", "k": "sk-wrong-9999", "u": url }),
        )
        .await
        .data();
    let reply = fixture.app.admin_gql(TEST, json!({ "p": "openai" })).await;
    let result = &reply.data()["testProviderCredentials"];
    assert_eq!(result["ok"], false);
    assert!(
        result["message"]
            .as_str()
            .expect("message")
            .contains("Incorrect API key"),
        "{result}"
    );
}

#[tokio::test]
async fn an_unreachable_provider_fails_the_test_saying_so() {
    let app = TestApp::spawn().await;
    let reply = app
        .admin_gql(
            SET,
            json!({ "p": "openai", "k": "sk-x", "u": "http://127.0.0.1:9/v1" }),
        )
        .await;
    reply.data();
    let reply = app.admin_gql(TEST, json!({ "p": "openai" })).await;
    let result = &reply.data()["testProviderCredentials"];
    assert_eq!(result["ok"], false);
    assert!(!result["message"].as_str().expect("message").is_empty());
}

#[tokio::test]
async fn bad_credentials_input_is_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let cases = [
        (json!({ "p": "nope", "k": "sk-x" }), "provider"),
        (json!({ "p": "openai", "k": "  " }), "apiKey"),
        (json!({ "p": "openai", "k": "sk x" }), "apiKey"),
        (
            json!({ "p": "openai", "k": "sk-x", "u": "ftp://example.com" }),
            "baseUrl",
        ),
        (json!({ "p": "azure-openai", "k": "sk-x" }), "baseUrl"),
    ];
    for (vars, field) in cases {
        let reply = app.admin_gql(SET, vars.clone()).await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{vars}");
        assert_eq!(reply.field(), field, "{vars}");
    }
    let listed = app
        .admin_gql("{ providerCredentials { provider } }", json!({}))
        .await;
    assert_eq!(listed.data()["providerCredentials"], json!([]));
}

#[tokio::test]
async fn only_admins_manage_credentials() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let reply = app
        .gql(&editor, SET, json!({ "p": "openai", "k": "sk-x" }))
        .await;
    assert_eq!(reply.code(), "FORBIDDEN");
    let reply = app.gql(&editor, TEST, json!({ "p": "openai" })).await;
    assert_eq!(reply.code(), "FORBIDDEN");
}

#[tokio::test]
async fn missing_credentials_say_how_to_set_them() {
    let app = TestApp::spawn().await;
    let model = app.create_model("m").await;
    let reply = app
        .admin_gql(
            "mutation($id: ID!) { runTrainingJob(modelId: $id) { id } }",
            json!({ "id": model }),
        )
        .await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    assert!(
        reply.message().contains("setProviderCredentials"),
        "{}",
        reply.message()
    );
}

#[tokio::test]
async fn a_provider_client_is_reused_until_the_credentials_change() {
    let fixture = Fixture::new(0).await;
    let context = fixture.app.context();
    let connect = || credentials::connect(&context, fixture.app.workspace_id, "openai");
    let first = connect().await.expect("client");
    let again = connect().await.expect("client");
    assert!(
        Arc::ptr_eq(&first, &again),
        "the same client, key decrypted once"
    );
    let reply = fixture
        .app
        .admin_gql(
            "mutation($url: String!, $key: String!) { setProviderCredentials(provider: \"openai\", apiKey: $key, baseUrl: $url) { provider } }",
            json!({ "url": fixture.emulator.base_url(), "key": API_KEY }),
        )
        .await;
    reply.data();
    let after = connect().await.expect("client");
    assert!(!Arc::ptr_eq(&first, &after), "new credentials, new client");
    let other_settings = tuner::training_jobs::TrainingSettings {
        provider: tuner::provider::ProviderSettings {
            max_retries: 9,
            ..fixture.app.training.provider.clone()
        },
        ..fixture.app.training.clone()
    };
    let other = fixture.app.context_with(other_settings);
    let with_other_settings = credentials::connect(&other, fixture.app.workspace_id, "openai")
        .await
        .expect("client");
    assert!(!Arc::ptr_eq(&after, &with_other_settings));
}
