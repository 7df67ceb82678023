//! Fault injection, request counting and latency knobs (library API).

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::helpers::{examples, spawn};

#[tokio::test]
async fn injected_503s_carry_retry_after_and_then_requests_succeed() {
    let app = spawn().await;
    app.emulator.fail_next("POST", "/v1/files", 503, 2, Some(1));
    let content = examples(10);
    for _ in 0..2 {
        let part =
            reqwest::multipart::Part::bytes(content.clone().into_bytes()).file_name("t.jsonl");
        let form = reqwest::multipart::Form::new()
            .text("purpose", "fine-tune")
            .part("file", part);
        let response = app.post("/files").multipart(form).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()["retry-after"], "1");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["type"], "server_error");
    }
    let (status, _) = app.upload_as(&content, "fine-tune").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.emulator.requests("POST", "/v1/files"), 3);
    assert_eq!(app.emulator.file_content("file-none"), None);
}

#[tokio::test]
async fn faults_only_hit_matching_requests() {
    let app = spawn().await;
    app.emulator
        .fail_next("GET", "/v1/fine_tuning/jobs", 429, 1, None);
    assert_eq!(app.send(app.get("/models")).await.0, StatusCode::OK);
    let (status, body) = app.send(app.get("/fine_tuning/jobs")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"]["code"], "rate_limit_exceeded");
    assert_eq!(
        app.send(app.get("/fine_tuning/jobs")).await.0,
        StatusCode::OK
    );
    assert_eq!(app.emulator.requests("GET", "/v1/fine_tuning/jobs"), 2);
    assert_eq!(app.emulator.requests("", ""), 3);
}

#[tokio::test]
async fn a_v1_fault_also_hits_the_azure_path() {
    let app = spawn().await;
    app.emulator.fail_next("*", "/v1/models", 500, 1, None);
    let url = format!("{}/models", app.emulator.azure_base_url());
    let request = app.client.get(url).header("api-key", crate::helpers::KEY);
    assert_eq!(app.send(request).await.0, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(app.emulator.requests("GET", "/openai/v1/models"), 1);
}

#[tokio::test]
async fn the_latency_knob_delays_responses() {
    let app = spawn().await;
    app.emulator.set_latency(150);
    let started = Instant::now();
    assert_eq!(app.send(app.get("/models")).await.0, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(150));
    app.emulator.set_latency(0);
    assert_eq!(app.send(app.get("/models")).await.0, StatusCode::OK);
}
