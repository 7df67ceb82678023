//! The Together AI dialect over HTTP: files, fine-tunes, metrics, endpoints, chat, faults.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tuner_emulator::Dialect::{self, Together};

use crate::dialects::chat_body;
use crate::helpers::{examples, spawn, TestEmulator};

const BASE: &str = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference";

async fn upload(app: &TestEmulator, content: &str) -> String {
    let url = app.at(Together, "/files/upload");
    let fields = [("purpose", "fine-tune"), ("file_name", "support.jsonl")];
    let (status, file) = app.multipart(url, &fields, content).await;
    assert_eq!(status, StatusCode::OK, "{file}");
    assert_eq!(file["object"], "file");
    assert_eq!(file["filename"], "support.jsonl");
    assert_eq!(file["Processed"], true);
    file["id"].as_str().unwrap().to_owned()
}

async fn create(app: &TestEmulator, body: Value) -> (StatusCode, Value) {
    app.send(app.post_at(Together, "/fine-tunes").json(&body))
        .await
}

async fn start(app: &TestEmulator, content: &str, extra: Value) -> Value {
    let file = upload(app, content).await;
    let mut body = json!({"training_file": file, "model": BASE});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let (status, job) = create(app, body).await;
    assert_eq!(status, StatusCode::OK, "{job}");
    job
}

async fn job(app: &TestEmulator, id: &str) -> Value {
    app.json_at(Together, &format!("/fine-tunes/{id}")).await
}

#[tokio::test]
async fn a_together_job_trains_deploys_and_answers() {
    let app = spawn().await;
    let extra = json!({
        "n_epochs": 2,
        "n_checkpoints": 2,
        "suffix": "support",
        "learning_rate": 2e-5,
        "training_type": {"type": "Lora", "lora_r": 16, "lora_alpha": 32},
    });
    let created = start(&app, &examples(12), extra).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("ft-"), "{id}");
    assert_eq!(created["status"], "pending");
    assert_eq!(created["batch_size"], "max");
    assert_eq!(created["training_type"]["lora_r"], 16);
    assert_eq!(created["trainingfile_numlines"], 12);
    let output = created["model_output_name"].as_str().unwrap().to_owned();
    assert!(
        output.starts_with("tuner-emulator/Meta-Llama-3.1-8B-Instruct-Reference-support-"),
        "{output}"
    );

    app.emulator.advance(2);
    assert_eq!(job(&app, &id).await["status"], "queued");
    app.emulator.advance(2);
    let running = job(&app, &id).await;
    assert_eq!(running["status"], "running");
    assert_eq!(running["progress"]["estimate_available"], true);
    app.emulator.advance(5);
    let metrics = app
        .json_at(Together, &format!("/fine-tunes/{id}/metrics"))
        .await["metrics"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(metrics.len(), 5);
    let steps: Vec<u64> = metrics
        .iter()
        .map(|m| m["train/global_step"].as_u64().unwrap())
        .collect();
    assert!(steps.windows(2).all(|w| w[0] < w[1]), "{steps:?}");
    let first = metrics[0]["train/loss"].as_f64().unwrap();
    let last = metrics[4]["train/loss"].as_f64().unwrap();
    assert!(first > last, "{metrics:?}");
    assert_eq!(metrics[0]["train/learning_rate"], 2e-5);

    app.emulator.advance(5);
    let done = job(&app, &id).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["epochs_completed"], 2);
    let events = app
        .json_at(Together, &format!("/fine-tunes/{id}/events"))
        .await["data"]
        .as_array()
        .unwrap()
        .clone();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    for kind in [
        "job_pending",
        "training_start",
        "checkpoint_save",
        "job_complete",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    assert_eq!(kinds.iter().filter(|k| **k == "epoch_complete").count(), 2);
    assert_eq!(kinds.last(), Some(&"job_complete"));
    assert!(events.iter().all(|e| e["object"] == "fine-tune-event"));
    let checkpoints = app
        .json_at(Together, &format!("/fine-tunes/{id}/checkpoints"))
        .await["data"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(checkpoints.len(), 2);
    assert_eq!(checkpoints[0]["checkpoint_type"], "Final");
    assert_eq!(checkpoints[0]["path"], output.as_str());
    assert_eq!(checkpoints[1]["checkpoint_type"], "Intermediate");

    // Not callable until a dedicated endpoint serves it.
    let (status, body) = app
        .send(app.chat(Together, &chat_body(&output, false)))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "model_not_available");

    let request = json!({
        "model": output,
        "hardware": "1x_nvidia_h100_80gb_sxm",
        "autoscaling": {"min_replicas": 1, "max_replicas": 1},
        "display_name": "support",
    });
    let (status, endpoint) = app
        .send(app.post_at(Together, "/endpoints").json(&request))
        .await;
    assert_eq!(status, StatusCode::OK, "{endpoint}");
    assert_eq!(endpoint["state"], "PENDING");
    assert_eq!(endpoint["type"], "dedicated");
    let endpoint_id = endpoint["id"].as_str().unwrap().to_owned();
    assert!(endpoint_id.starts_with("endpoint-"));
    let path = format!("/endpoints/{endpoint_id}");
    app.emulator.advance(2);
    assert_eq!(app.json_at(Together, &path).await["state"], "STARTING");
    app.emulator.advance(2);
    assert_eq!(app.json_at(Together, &path).await["state"], "STARTED");
    let listed = app.json_at(Together, "/endpoints").await;
    assert_eq!(listed["data"][0]["id"], endpoint_id.as_str());

    app.assert_chat_works(Together, &output).await;
    let endpoint_name = endpoint["name"].as_str().unwrap();
    app.assert_chat_works(Together, endpoint_name).await;

    // An idle endpoint gets stopped, and the model is no longer callable.
    app.emulator.advance(600);
    assert_eq!(
        app.emulator.undeploy_idle(300),
        vec![endpoint_name.to_owned()]
    );
    assert_eq!(app.json_at(Together, &path).await["state"], "STOPPED");
    let (status, _) = app
        .send(app.chat(Together, &chat_body(&output, false)))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let deleted = app.delete_at(Together, &path).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let (status, _) = app.send(app.get_at(Together, &path)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn jobs_are_found_again_by_their_training_file() {
    let app = spawn().await;
    let first = start(&app, &examples(3), json!({})).await;
    let second = start(&app, &examples(4), json!({})).await;
    let list = app.json_at(Together, "/fine-tunes").await;
    let data = list["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    let found: Vec<&Value> = data
        .iter()
        .filter(|j| j["training_file"] == first["training_file"])
        .collect();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["id"], first["id"]);
    assert_eq!(data[0]["id"], second["id"], "newest first");
    // Files and jobs of one provider are invisible to another.
    let (status, _) = app
        .send(app.get(&format!(
            "/fine_tuning/jobs/{}",
            first["id"].as_str().unwrap()
        )))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(app.emulator.jobs().is_empty());
    assert_eq!(app.emulator.jobs_for(Together).len(), 2);
}

#[tokio::test]
async fn turns_that_do_not_alternate_fail_the_job() {
    let app = spawn().await;
    let twice = json!({"messages": [
        {"role": "user", "content": "one"},
        {"role": "user", "content": "two"},
        {"role": "assistant", "content": "three"},
    ]})
    .to_string();
    let created = start(&app, &format!("{twice}\n"), json!({})).await;
    let id = created["id"].as_str().unwrap();
    app.emulator.advance(2);
    assert_eq!(job(&app, id).await["status"], "error");
    let events = app
        .json_at(Together, &format!("/fine-tunes/{id}/events"))
        .await;
    let error = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "job_error")
        .cloned()
        .expect("a job_error event");
    assert_eq!(error["level"], "error");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("must alternate"),
        "{error}"
    );
}

#[tokio::test]
async fn create_checks_model_batch_size_and_checkpoint() {
    let app = spawn().await;
    let file = upload(&app, &examples(3)).await;
    for (body, param) in [
        (
            json!({"training_file": file, "model": "gpt-4o-mini-2024-07-18"}),
            "model",
        ),
        (
            json!({"training_file": file, "model": BASE, "batch_size": "min"}),
            "batch_size",
        ),
        (
            json!({"training_file": "file-missing", "model": BASE}),
            "training_file",
        ),
        (
            json!({"training_file": file, "model": BASE, "from_checkpoint": "ft-nope"}),
            "from_checkpoint",
        ),
        (
            json!({"training_file": file, "model": BASE, "training_type": {"type": "Lora"}}),
            "training_type",
        ),
    ] {
        let (status, error) = create(&app, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        assert_eq!(error["error"]["param"], param, "{error}");
        assert_eq!(error["error"]["type"], "invalid_request_error");
    }
    let (status, job) = create(&app, json!({"training_file": file, "model": BASE, "batch_size": 8, "training_type": {"type": "Full"}})).await;
    assert_eq!(status, StatusCode::OK, "{job}");
    assert_eq!(job["batch_size"], 8);
    assert_eq!(job["training_type"], json!({"type": "Full"}));
}

#[tokio::test]
async fn a_running_job_is_cancelled_and_a_finished_one_continues() {
    let app = spawn().await;
    let created = start(&app, &examples(5), json!({})).await;
    let id = created["id"].as_str().unwrap().to_owned();
    app.emulator.advance(5);
    let (status, cancelled) = app
        .send(app.post_at(Together, &format!("/fine-tunes/{id}/cancel")))
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    let (status, _) = app
        .send(app.post_at(Together, &format!("/fine-tunes/{id}/cancel")))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let finished = start(&app, &examples(5), json!({})).await;
    let finished_id = finished["id"].as_str().unwrap();
    app.emulator.advance(60);
    let continued = start(&app, &examples(5), json!({"from_checkpoint": finished_id})).await;
    assert_eq!(continued["from_checkpoint"], finished_id);
}

#[tokio::test]
async fn the_catalogue_lists_supported_models_and_limits() {
    let app = spawn().await;
    let supported = app.json_at(Together, "/fine-tunes/models/supported").await;
    let models = supported["models"].as_array().unwrap();
    assert!(models.contains(&json!(BASE)));
    assert!(models.contains(&json!("Qwen/Qwen2.5-7B-Instruct")));
    let limits = app
        .json_at(
            Together,
            &format!("/fine-tunes/models/limits?model_name={BASE}"),
        )
        .await;
    assert_eq!(limits["model_name"], BASE);
    assert!(limits["lora_training"]["max_rank"].as_u64().unwrap() > 0);
    let (status, missing) = app
        .send(app.get_at(Together, "/fine-tunes/models/limits?model_name=nope"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(missing["message"].is_string());
    let listed = app.json_at(Together, "/models").await;
    let llama = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == BASE)
        .cloned()
        .unwrap();
    assert_eq!(llama["context_length"], 131_072);
    app.assert_chat_works(Together, BASE).await;
}

#[tokio::test]
async fn faults_hit_together_paths_in_its_error_shape() {
    let app = spawn().await;
    let file = upload(&app, &examples(3)).await;
    app.emulator
        .fail_next("POST", "/together/v1/fine-tunes", 503, 1, Some(2));
    let body = json!({"training_file": file, "model": BASE});
    let response = app
        .post_at(Together, "/fine-tunes")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "2");
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["type"], "server_error");
    assert!(app.emulator.jobs_for(Dialect::Together).is_empty());
    assert_eq!(create(&app, body).await.0, StatusCode::OK);
    assert_eq!(app.emulator.requests("POST", "/together/v1/fine-tunes"), 2);
    // An OpenAI-path fault leaves Together alone.
    app.emulator
        .fail_next("GET", "/v1/fine-tunes", 500, 1, None);
    assert_eq!(
        app.send(app.get_at(Together, "/fine-tunes")).await.0,
        StatusCode::OK
    );
}
