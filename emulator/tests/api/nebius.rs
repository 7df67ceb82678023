//! The Nebius Token Factory dialect over HTTP: files, jobs with Nebius hyperparameters,
//! checkpoints, custom models, chat, faults.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tuner_emulator::Dialect::Nebius;

use crate::dialects::chat_body;
use crate::helpers::{examples, spawn, TestEmulator, KEY};

const BASE: &str = "meta-llama/Meta-Llama-3.1-8B-Instruct";

async fn upload(app: &TestEmulator, content: &str) -> String {
    let url = app.at(Nebius, "/files");
    let (status, file) = app
        .multipart(url, &[("purpose", "fine-tune")], content)
        .await;
    assert_eq!(status, StatusCode::OK, "{file}");
    file["id"].as_str().unwrap().to_owned()
}

async fn create(app: &TestEmulator, body: Value) -> (StatusCode, Value) {
    app.send(app.post_at(Nebius, "/fine_tuning/jobs").json(&body))
        .await
}

fn v0(app: &TestEmulator, path: &str) -> String {
    format!("{}{path}", app.emulator.nebius_v0_url())
}

#[tokio::test]
async fn a_nebius_job_trains_registers_and_answers() {
    let app = spawn().await;
    let training = upload(&app, &examples(12)).await;
    let validation = upload(&app, &examples(3)).await;
    let hyperparameters = json!({"n_epochs": 2, "batch_size": 4, "learning_rate": 2e-5,
        "lora": true, "lora_r": 16, "lora_alpha": 16, "context_length": 8192, "packing": true});
    let (status, job) = create(
        &app,
        json!({"model": BASE, "training_file": training, "validation_file": validation,
            "hyperparameters": hyperparameters, "suffix": "support"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{job}");
    let id = job["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("ftjob-"));
    assert_eq!(job["status"], "validating_files");
    assert_eq!(job["hyperparameters"]["learning_rate"], 2e-5);
    assert_eq!(job["hyperparameters"]["lora"], true);
    assert_eq!(job["hyperparameters"]["context_length"], 8192);
    assert!(job.get("method").is_none());

    app.emulator.advance(4);
    assert_eq!(
        app.json_at(Nebius, &format!("/fine_tuning/jobs/{id}"))
            .await["status"],
        "running"
    );
    app.emulator.advance(10);
    let done = app
        .json_at(Nebius, &format!("/fine_tuning/jobs/{id}"))
        .await;
    assert_eq!(done["status"], "succeeded");
    assert!(done["fine_tuned_model"].is_null());
    let events = app
        .json_at(Nebius, &format!("/fine_tuning/jobs/{id}/events?limit=100"))
        .await;
    assert!(events["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["type"] == "metrics"));
    let checkpoints = app
        .json_at(Nebius, &format!("/fine_tuning/jobs/{id}/checkpoints"))
        .await["data"]
        .as_array()
        .unwrap()
        .clone();
    assert!(!checkpoints.is_empty());
    let last = &checkpoints[0];
    let checkpoint = last["id"].as_str().unwrap();
    assert!(checkpoint.starts_with("ftckpt_"), "{checkpoint}");
    assert!(last["metrics"]["train_loss"].is_number());
    assert!(
        last["metrics"]["valid_loss"].as_f64().unwrap()
            > last["metrics"]["train_loss"].as_f64().unwrap()
    );

    let request =
        json!({"name": "support", "base_model": BASE, "source": format!("{id}:{checkpoint}")});
    let (status, model) = app
        .send(
            app.client
                .post(v0(&app, "/models"))
                .bearer_auth(KEY)
                .json(&request),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{model}");
    assert_eq!(model["status"], "validating");
    let name = model["name"].as_str().unwrap().to_owned();
    let (status, error) = app.send(app.chat(Nebius, &chat_body(&name, false))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error["error"]["code"], "model_not_found");
    app.emulator.advance(4);
    let fetched = app
        .send(
            app.client
                .get(v0(&app, &format!("/models/{name}")))
                .bearer_auth(KEY),
        )
        .await;
    assert_eq!(fetched.0, StatusCode::OK, "{}", fetched.1);
    assert_eq!(fetched.1["status"], "active");
    app.assert_chat_works(Nebius, &name).await;
    let models = app.json_at(Nebius, "/models").await;
    assert!(models["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["id"] == name.as_str()));

    let (status, _) = app
        .send(
            app.client
                .post(v0(&app, "/models"))
                .bearer_auth(KEY)
                .json(&request),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = app
        .send(
            app.client
                .delete(v0(&app, &format!("/models/{name}")))
                .bearer_auth(KEY),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.send(app.chat(Nebius, &chat_body(&name, false))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn nebius_checks_hyperparameters_suffix_and_sources() {
    let app = spawn().await;
    let file = upload(&app, &examples(10)).await;
    let long = "x".repeat(65);
    for (body, param) in [
        (
            json!({"model": BASE, "training_file": file, "hyperparameters": {"learning_rate_multiplier": 2}}),
            "hyperparameters",
        ),
        (
            json!({"model": BASE, "training_file": file, "hyperparameters": {"lora": "yes"}}),
            "hyperparameters.lora",
        ),
        (
            json!({"model": BASE, "training_file": file, "suffix": long}),
            "suffix",
        ),
        (
            json!({"model": "gpt-4o-mini-2024-07-18", "training_file": file}),
            "model",
        ),
    ] {
        let (status, error) = create(&app, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        assert_eq!(error["error"]["param"], param, "{error}");
    }
    let request = json!({"name": "x", "base_model": BASE, "source": "ftjob-none:ftckpt_none"});
    let (status, error) = app
        .send(
            app.client
                .post(v0(&app, "/models"))
                .bearer_auth(KEY)
                .json(&request),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"]["param"], "source");
    // An OpenAI file is not a Nebius file.
    let openai_file = app.upload(&examples(10)).await;
    let (status, _) = create(&app, json!({"model": BASE, "training_file": openai_file})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_nebius_job_is_cancelled_and_faults_hit_nebius_paths() {
    let app = spawn().await;
    let file = upload(&app, &examples(10)).await;
    let (_, job) = create(&app, json!({"model": BASE, "training_file": file})).await;
    let id = job["id"].as_str().unwrap();
    app.emulator.advance(5);
    let (status, cancelled) = app
        .send(app.post_at(Nebius, &format!("/fine_tuning/jobs/{id}/cancel")))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cancelled["status"], "cancelled");
    let list = app.json_at(Nebius, "/fine_tuning/jobs").await;
    assert_eq!(list["data"][0]["training_file"], file.as_str());

    app.emulator.fail_next("*", "/nebius/", 502, 1, None);
    let (status, error) = app.send(app.chat(Nebius, &chat_body(BASE, false))).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(error["error"]["type"], "server_error");
    app.assert_chat_works(Nebius, BASE).await;
}
