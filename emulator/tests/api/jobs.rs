//! Creating, listing (metadata filter, paging) and cancelling jobs, and request errors.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{examples, spawn, MODEL};

fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_new_job_records_metadata_and_requested_hyperparameters() {
    let app = spawn().await;
    let extra = json!({
        "metadata": {"tuner_job": "42", "workspace": "default"},
        "hyperparameters": {"n_epochs": 2, "batch_size": "auto", "learning_rate_multiplier": 0.5},
        "seed": 7,
    });
    let job = app.start_job(MODEL, 10, extra).await;
    assert_eq!(job["metadata"]["tuner_job"], "42");
    assert_eq!(
        job["hyperparameters"],
        json!({"n_epochs": 2, "batch_size": "auto", "learning_rate_multiplier": 0.5})
    );
    assert_eq!(job["seed"], 7);
    assert_eq!(job["model"], MODEL);
    assert!(job["error"].is_null());
    assert!(job["training_file"].as_str().unwrap().starts_with("file-"));
    assert_eq!(app.emulator.jobs(), vec![job]);
}

#[tokio::test]
async fn jobs_are_listed_newest_first_and_filtered_by_metadata() {
    let app = spawn().await;
    let a = app
        .start_job(MODEL, 10, json!({"metadata": {"team": "red"}}))
        .await;
    let b = app
        .start_job(
            MODEL,
            10,
            json!({"metadata": {"team": "blue", "tier": "1"}}),
        )
        .await;
    let c = app
        .start_job(MODEL, 10, json!({"metadata": {"team": "red", "tier": "1"}}))
        .await;
    let d = app.start_job(MODEL, 10, json!({})).await;
    let id = |job: &Value| job["id"].as_str().unwrap().to_owned();

    let all = app.get_json("/fine_tuning/jobs").await;
    assert_eq!(all["object"], "list");
    assert_eq!(ids(&all), vec![id(&d), id(&c), id(&b), id(&a)]);
    let red = app.get_json("/fine_tuning/jobs?metadata[team]=red").await;
    assert_eq!(ids(&red), vec![id(&c), id(&a)]);
    let both = app
        .get_json("/fine_tuning/jobs?metadata%5Bteam%5D=red&metadata%5Btier%5D=1")
        .await;
    assert_eq!(ids(&both), vec![id(&c)]);
    let none = app.get_json("/fine_tuning/jobs?metadata=null").await;
    assert_eq!(ids(&none), vec![id(&d)]);
    assert!(ids(&app.get_json("/fine_tuning/jobs?metadata[team]=green").await).is_empty());
}

#[tokio::test]
async fn the_job_list_pages_with_after_and_limit() {
    let app = spawn().await;
    for _ in 0..3 {
        app.start_job(MODEL, 10, json!({})).await;
    }
    let first = app.get_json("/fine_tuning/jobs?limit=2").await;
    assert_eq!(first["has_more"], true);
    let page = ids(&first);
    let next = app
        .get_json(&format!("/fine_tuning/jobs?limit=2&after={}", page[1]))
        .await;
    assert_eq!(next["has_more"], false);
    assert_eq!(ids(&next).len(), 1);
}

#[tokio::test]
async fn a_running_job_can_be_cancelled_once() {
    let app = spawn().await;
    let job = app.start_job(MODEL, 10, json!({})).await;
    let id = job["id"].as_str().unwrap();
    app.emulator.advance(6);
    let path = format!("/fine_tuning/jobs/{id}/cancel");
    let (status, cancelled) = app.send(app.post(&path)).await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    app.finish_all();
    let later = app.job(id).await;
    assert_eq!(later["status"], "cancelled");
    assert!(later["fine_tuned_model"].is_null());
    let (status, body) = app.send(app.post(&path)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("cancelled"));
    let events = app.events(id).await;
    assert_eq!(events[0]["message"], "Fine-tuning job cancelled");
}

#[tokio::test]
async fn a_succeeded_job_cannot_be_cancelled() {
    let app = spawn().await;
    let job = app.start_job(MODEL, 10, json!({})).await;
    app.finish_all();
    let path = format!("/fine_tuning/jobs/{}/cancel", job["id"].as_str().unwrap());
    let (status, body) = app.send(app.post(&path)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn an_unknown_model_is_rejected_with_model_not_found() {
    let app = spawn().await;
    let file = app.upload(&examples(10)).await;
    let (status, body) = app
        .create_job(json!({"model": "gpt-5-nonexistent", "training_file": file}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "model_not_found");
    assert_eq!(body["error"]["param"], "model");
    let fake_ft = format!("ft:{MODEL}:someone-else::AbC12345");
    let (status, body) = app
        .create_job(json!({"model": fake_ft, "training_file": file}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "model_not_found");
}

#[tokio::test]
async fn a_missing_or_wrong_purpose_training_file_is_rejected() {
    let app = spawn().await;
    let (status, body) = app
        .create_job(json!({"model": MODEL, "training_file": "file-missing"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["param"], "training_file");
    let (_, file) = app.upload_as("anything", "user_data").await;
    let request = json!({"model": MODEL, "training_file": file["id"]});
    let (status, body) = app.create_job(request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["param"], "training_file");
}

#[tokio::test]
async fn bad_suffix_metadata_and_hyperparameters_are_rejected() {
    let app = spawn().await;
    let file = app.upload(&examples(10)).await;
    let cases = [
        (json!({"suffix": "has space"}), "suffix"),
        (json!({"suffix": "x".repeat(65)}), "suffix"),
        (
            json!({"metadata": (0..17).map(|i| (format!("k{i}"), json!("v"))).collect::<serde_json::Map<_, _>>()}),
            "metadata",
        ),
        (
            json!({"hyperparameters": {"n_epochs": 0}}),
            "hyperparameters.n_epochs",
        ),
        (json!({"method": {"type": "dpo"}}), "method.type"),
    ];
    for (extra, param) in cases {
        let mut body = json!({"model": MODEL, "training_file": file});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let (status, error) = app.create_job(body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        assert_eq!(error["error"]["param"], param, "{error}");
    }
    let (status, error) = app
        .send(app.post("/fine_tuning/jobs").body("{not json"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn an_unknown_job_is_not_found() {
    let app = spawn().await;
    let (status, body) = app.send(app.get("/fine_tuning/jobs/ftjob-nope")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(app.emulator.job("ftjob-nope").is_none());
}
