//! The `/_emulator` HTTP knobs used with the standalone binary, and the real-clock mode.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tuner_emulator::{ClockMode, EmulatorConfig};

use crate::helpers::{examples, spawn, spawn_with, TestEmulator, MODEL};

fn admin_url(app: &TestEmulator, path: &str) -> String {
    app.emulator
        .base_url()
        .replace("/v1", &format!("/_emulator{path}"))
}

async fn admin_post(app: &TestEmulator, path: &str, body: Value) -> Value {
    let (status, body) = app
        .send(app.client.post(admin_url(app, path)).json(&body))
        .await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

#[tokio::test]
async fn the_clock_advances_over_http() {
    let app = spawn().await;
    let job = app.start_job(MODEL, 10, json!({})).await;
    let before = app.send(app.client.get(admin_url(&app, "/clock"))).await.1["now"]
        .as_i64()
        .unwrap();
    let after = admin_post(&app, "/clock/advance", json!({"seconds": 60})).await;
    assert_eq!(after["now"].as_i64().unwrap(), before + 60);
    assert_eq!(
        app.job(job["id"].as_str().unwrap()).await["status"],
        "succeeded"
    );
}

#[tokio::test]
async fn a_held_response_is_handled_at_once_and_answered_later() {
    let app = spawn().await;
    let file = app.upload(&examples(10)).await;
    let create = json!({"model": MODEL, "training_file": file});
    let hold = json!({"method": "POST", "path": "/v1/fine_tuning/jobs", "ms": 60_000});
    admin_post(&app, "/delays", hold).await;
    let impatient = app
        .post("/fine_tuning/jobs")
        .json(&create)
        .timeout(std::time::Duration::from_millis(300))
        .send()
        .await;
    assert!(impatient.is_err_and(|err| err.is_timeout()));
    assert_eq!(
        app.emulator.jobs().len(),
        1,
        "the job was created all the same"
    );
    let release = json!({"method": "POST", "path": "/v1/fine_tuning/jobs", "ms": 0});
    admin_post(&app, "/delays", release).await;
    assert_eq!(app.create_job(create).await.0, StatusCode::OK);
    assert_eq!(app.emulator.jobs().len(), 2);
}

#[tokio::test]
async fn faults_latency_and_requests_are_reachable_over_http() {
    let app = spawn().await;
    let fault =
        json!({"method": "GET", "path": "/v1/models", "status": 503, "count": 1, "retry_after": 2});
    assert_eq!(admin_post(&app, "/faults", fault).await["pending"], 1);
    let response = app.get("/models").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "2");
    assert_eq!(app.send(app.get("/models")).await.0, StatusCode::OK);
    admin_post(&app, "/latency", json!({"ms": 0})).await;

    let url = format!(
        "{}?method=GET&path=/v1/models",
        admin_url(&app, "/requests")
    );
    let log = app.send(app.client.get(url)).await.1;
    assert_eq!(log["count"], 2);
    assert_eq!(log["data"][0]["status"], 503);
    assert_eq!(log["data"][1]["status"], 200);
    let (status, body) = app
        .send(
            app.client
                .post(admin_url(&app, "/faults"))
                .json(&json!({"status": 200})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn the_real_clock_also_moves_with_advance() {
    let app = spawn_with(EmulatorConfig {
        clock: ClockMode::Real { speed: 1.0 },
        ..EmulatorConfig::default()
    })
    .await;
    let file_request =
        |app: &TestEmulator| app.client.get(app.url("/models")).bearer_auth("any-key");
    assert_eq!(app.send(file_request(&app)).await.0, StatusCode::OK);
    let part = reqwest::multipart::Part::bytes(crate::helpers::examples(10).into_bytes())
        .file_name("t.jsonl");
    let form = reqwest::multipart::Form::new()
        .text("purpose", "fine-tune")
        .part("file", part);
    let file = app
        .send(
            app.client
                .post(app.url("/files"))
                .bearer_auth("k")
                .multipart(form),
        )
        .await
        .1;
    let request = json!({"model": MODEL, "training_file": file["id"]});
    let job = app
        .send(
            app.client
                .post(app.url("/fine_tuning/jobs"))
                .bearer_auth("k")
                .json(&request),
        )
        .await
        .1;
    app.emulator.advance(100);
    let done = app.emulator.job(job["id"].as_str().unwrap()).unwrap();
    assert_eq!(done["status"], "succeeded");
}

#[tokio::test]
async fn undeploy_idle_is_reachable_over_http() {
    use tuner_emulator::Dialect::Together;
    let app = spawn().await;
    let request = json!({"model": "Qwen/Qwen2.5-7B-Instruct", "hardware": "1x_nvidia_h100_80gb_sxm",
        "autoscaling": {"min_replicas": 1, "max_replicas": 1}});
    let (status, endpoint) = app
        .send(app.post_at(Together, "/endpoints").json(&request))
        .await;
    assert_eq!(status, StatusCode::OK, "{endpoint}");
    let body = admin_post(&app, "/undeploy-idle", json!({"idle_secs": 0})).await;
    assert_eq!(body["undeployed"], json!([]), "not started yet");
    app.emulator.advance(10);
    let body = admin_post(&app, "/undeploy-idle", json!({"idle_secs": 5})).await;
    assert_eq!(body["undeployed"], json!([endpoint["name"]]));
    let path = format!("/endpoints/{}", endpoint["id"].as_str().unwrap());
    assert_eq!(app.json_at(Together, &path).await["state"], "STOPPED");
}

#[tokio::test]
async fn a_garbage_fault_carries_the_request_out_and_answers_an_unreadable_200() {
    let app = spawn().await;
    let file = app.upload(&crate::helpers::examples(10)).await;
    let fault = json!({"method": "POST", "path": "/v1/fine_tuning/jobs", "garbage": true});
    assert_eq!(admin_post(&app, "/faults", fault).await["pending"], 1);
    let body = json!({"model": "gpt-4o-mini-2024-07-18", "training_file": file});
    let response = app
        .post("/fine_tuning/jobs")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/html");
    let answer = response.bytes().await.unwrap();
    assert!(serde_json::from_slice::<serde_json::Value>(&answer).is_err());
    assert_eq!(app.emulator.jobs().len(), 1, "the job was created");

    let both = json!({"status": 500, "garbage": true});
    let (status, body) = app
        .send(app.client.post(admin_url(&app, "/faults")).json(&both))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}
