//! A job through its whole life on the manual clock: states, events, checkpoints, the new model.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{messages, spawn, MODEL};

#[tokio::test]
async fn a_job_moves_through_every_state_to_succeeded() {
    let app = spawn().await;
    let job = app.start_job(MODEL, 12, json!({"suffix": "support"})).await;
    let id = job["id"].as_str().unwrap();
    assert!(id.starts_with("ftjob-"));
    assert_eq!(job["object"], "fine_tuning.job");
    assert_eq!(job["status"], "validating_files");
    assert_eq!(job["hyperparameters"]["n_epochs"], "auto");
    assert!(job["fine_tuned_model"].is_null());

    app.emulator.advance(2);
    assert_eq!(app.job(id).await["status"], "queued");
    app.emulator.advance(2);
    let running = app.job(id).await;
    assert_eq!(running["status"], "running");
    // 12 examples: 12 x 3 < 100, so OpenAI's heuristic picks 100 / 12 = 8 epochs.
    assert_eq!(running["hyperparameters"]["n_epochs"], 8);
    assert_eq!(running["hyperparameters"]["batch_size"], 1);
    assert!(running["hyperparameters"]["learning_rate_multiplier"].is_number());
    assert_eq!(
        running["method"]["supervised"]["hyperparameters"]["n_epochs"],
        8
    );

    app.emulator.advance(10);
    let done = app.job(id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let model = done["fine_tuned_model"].as_str().unwrap();
    let prefix = format!("ft:{MODEL}:tuner-emulator:support:");
    assert!(model.starts_with(&prefix), "{model}");
    assert_eq!(model.len(), prefix.len() + 8);
    assert!(done["trained_tokens"].as_u64().unwrap() > 0);
    let created = done["created_at"].as_i64().unwrap();
    assert_eq!(done["finished_at"].as_i64().unwrap(), created + 14);
    assert_eq!(app.emulator.job(id).unwrap(), done);
}

#[tokio::test]
async fn a_succeeded_job_has_message_and_metrics_events() {
    let app = spawn().await;
    let job = app.start_job(MODEL, 10, json!({})).await;
    let id = job["id"].as_str().unwrap();
    app.finish_all();
    let events = app.events(id).await;
    let all = messages(&events);
    for expected in [
        "Validating training file",
        "Files validated, moving job to queued state",
        "Fine-tuning job started",
        "New fine-tuned model created",
        "The job has successfully completed",
    ] {
        assert!(
            all.iter().any(|m| m.starts_with(expected)),
            "{expected} in {all:?}"
        );
    }
    assert_eq!(all.last().unwrap(), "The job has successfully completed");
    let times: Vec<i64> = events
        .iter()
        .map(|e| e["created_at"].as_i64().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );

    let metrics: Vec<&Value> = events
        .iter()
        .rev()
        .filter(|e| e["type"] == "metrics")
        .collect();
    assert_eq!(metrics.len(), 10);
    let first = &metrics[0]["data"];
    let last = &metrics[9]["data"];
    assert!(first["train_loss"].as_f64().unwrap() > last["train_loss"].as_f64().unwrap());
    assert!(
        first["train_mean_token_accuracy"].as_f64().unwrap()
            < last["train_mean_token_accuracy"].as_f64().unwrap()
    );
    // 10 examples: 10 epochs of 10 steps.
    assert_eq!(last["step"], 100);
    assert_eq!(last["total_steps"], 100);
    let message = metrics[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Step 10/100: training loss="),
        "{message}"
    );
    assert!(events
        .iter()
        .all(|e| e["object"] == "fine_tuning.job.event"));
    assert!(events
        .iter()
        .all(|e| e["id"].as_str().unwrap().starts_with("ftevent-")));
}

#[tokio::test]
async fn metrics_events_appear_as_the_clock_moves_through_running() {
    let app = spawn().await;
    let job = app.start_job(MODEL, 10, json!({})).await;
    let id = job["id"].as_str().unwrap();
    app.emulator.advance(4 + 5);
    let events = app.events(id).await;
    let metrics = events.iter().filter(|e| e["type"] == "metrics").count();
    assert_eq!(metrics, 5);
    assert_eq!(app.job(id).await["status"], "running");
}

#[tokio::test]
async fn events_page_backwards_with_after() {
    let app = spawn().await;
    let job = app.start_job(MODEL, 10, json!({})).await;
    let id = job["id"].as_str().unwrap();
    app.finish_all();
    let all = app.events(id).await;
    let path = format!("/fine_tuning/jobs/{id}/events?limit=3");
    let first = app.get_json(&path).await;
    assert_eq!(first["object"], "list");
    assert_eq!(first["has_more"], true);
    assert_eq!(first["data"].as_array().unwrap(), &all[..3].to_vec());
    let last_id = first["data"][2]["id"].as_str().unwrap();
    let next = app.get_json(&format!("{path}&after={last_id}")).await;
    assert_eq!(next["data"].as_array().unwrap(), &all[3..6].to_vec());
    let oldest = all.last().unwrap()["id"].as_str().unwrap();
    let end = app.get_json(&format!("{path}&after={oldest}")).await;
    assert_eq!(end["data"].as_array().unwrap().len(), 0);
    assert_eq!(end["has_more"], false);
}

#[tokio::test]
async fn a_succeeded_job_lists_up_to_three_checkpoints_newest_first() {
    let app = spawn().await;
    let job = app.start_job(MODEL, 10, json!({"method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 4}}}})).await;
    let id = job["id"].as_str().unwrap();
    assert_eq!(job["hyperparameters"]["n_epochs"], 4);
    let path = format!("/fine_tuning/jobs/{id}/checkpoints");
    assert_eq!(
        app.get_json(&path).await["data"].as_array().unwrap().len(),
        0
    );
    app.finish_all();
    let model = app.job(id).await["fine_tuned_model"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = app.get_json(&path).await;
    let data = list["data"].as_array().unwrap();
    let steps: Vec<u64> = data
        .iter()
        .map(|c| c["step_number"].as_u64().unwrap())
        .collect();
    assert_eq!(steps, vec![40, 30, 20]);
    assert_eq!(data[0]["fine_tuned_model_checkpoint"], model.as_str());
    assert_eq!(
        data[1]["fine_tuned_model_checkpoint"],
        format!("{model}:ckpt-step-30")
    );
    assert_eq!(data[0]["fine_tuning_job_id"], id);
    assert_eq!(data[0]["object"], "fine_tuning.job.checkpoint");
    assert!(data[0]["id"].as_str().unwrap().starts_with("ftckpt-"));
    assert!(data[0]["metrics"]["train_loss"].is_number());
    assert_eq!(list["first_id"], data[0]["id"]);
    assert_eq!(list["last_id"], data[2]["id"]);
    assert_eq!(list["has_more"], false);
}

#[tokio::test]
async fn the_fine_tuned_model_appears_in_models() {
    let app = spawn().await;
    let job = app.start_job(MODEL, 10, json!({})).await;
    let id = job["id"].as_str().unwrap();
    let before = app.get_json("/models").await;
    assert_eq!(before["data"].as_array().unwrap().len(), 5);
    app.finish_all();
    let model = app.job(id).await["fine_tuned_model"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        model.starts_with(&format!("ft:{MODEL}:tuner-emulator::")),
        "{model}"
    );
    let list = app.get_json("/models").await;
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&model.as_str()), "{ids:?}");
    let one = app.get_json(&format!("/models/{model}")).await;
    assert_eq!(one["object"], "model");
    assert_eq!(one["owned_by"], "org-tuner-emulator");
    let (status, body) = app.send(app.get("/models/gpt-unknown")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "model_not_found");
}

#[tokio::test]
async fn training_continues_from_a_fine_tuned_model() {
    let app = spawn().await;
    let first = app
        .start_job("gpt-4.1-mini-2025-04-14", 10, json!({"suffix": "v1"}))
        .await;
    app.finish_all();
    let tuned = app.job(first["id"].as_str().unwrap()).await["fine_tuned_model"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = app.start_job(&tuned, 10, json!({"suffix": "v2"})).await;
    assert_eq!(second["model"], tuned.as_str());
    app.finish_all();
    let done = app.job(second["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "succeeded");
    let model = done["fine_tuned_model"].as_str().unwrap();
    assert!(
        model.starts_with("ft:gpt-4.1-mini-2025-04-14:tuner-emulator:v2:"),
        "{model}"
    );
}

#[tokio::test]
async fn the_results_file_holds_step_metrics() {
    let app = spawn().await;
    let job = app.start_job(MODEL, 10, json!({})).await;
    app.finish_all();
    let done = app.job(job["id"].as_str().unwrap()).await;
    let file_id = done["result_files"][0].as_str().unwrap();
    let file = app.get_json(&format!("/files/{file_id}")).await;
    assert_eq!(file["purpose"], "fine-tune-results");
    let csv = String::from_utf8(app.emulator.file_content(file_id).unwrap()).unwrap();
    assert!(csv.starts_with("step,train_loss"), "{csv}");
}
