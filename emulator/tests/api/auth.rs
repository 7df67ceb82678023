//! API keys: Bearer (OpenAI) and api-key (Azure) headers, and the 401 error shape.

use reqwest::StatusCode;
use tuner_emulator::EmulatorConfig;

use crate::helpers::{spawn, spawn_with, KEY};

#[tokio::test]
async fn a_request_without_a_key_is_rejected_with_invalid_api_key() {
    let app = spawn().await;
    let (status, body) = app.send(app.client.get(app.url("/models"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "invalid_api_key");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(body["error"]["param"].is_null());
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Incorrect API key provided"),
        "{message}"
    );
}

#[tokio::test]
async fn a_wrong_key_is_rejected_without_echoing_it() {
    let app = spawn().await;
    let request = app
        .client
        .get(app.url("/models"))
        .bearer_auth("sk-wrong-secret-1234");
    let (status, body) = app.send(request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "invalid_api_key");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(!message.contains("sk-wrong-secret"), "{message}");
    assert!(message.contains("1234"), "{message}");
}

#[tokio::test]
async fn the_azure_api_key_header_is_accepted_on_azure_paths() {
    let app = spawn().await;
    let url = format!("{}/models", app.emulator.azure_base_url());
    let (status, body) = app.send(app.client.get(url).header("api-key", KEY)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["object"], "list");
}

#[tokio::test]
async fn without_a_configured_key_any_non_empty_key_is_accepted() {
    let app = spawn_with(EmulatorConfig::default()).await;
    let request = app.client.get(app.url("/models")).bearer_auth("anything");
    assert_eq!(app.send(request).await.0, StatusCode::OK);
    let (status, _) = app.send(app.client.get(app.url("/models"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
