//! The Fireworks AI dialect over HTTP: datasets, supervised fine-tuning jobs, models,
//! deployments, inference, faults.

use reqwest::StatusCode;
use serde_json::{json, Value};
use tuner_emulator::Dialect::Fireworks;

use crate::dialects::chat_body;
use crate::helpers::{examples, spawn, TestEmulator};

const BASE: &str = "accounts/fireworks/models/llama-v3p1-8b-instruct";
const ACCOUNT: &str = "/accounts/acme";

fn path(rest: &str) -> String {
    format!("{ACCOUNT}{rest}")
}

/// Creates dataset `id` and uploads `content` to it; returns its name.
async fn dataset(app: &TestEmulator, id: &str, content: &str) -> String {
    let body = json!({"datasetId": id, "dataset": {"userUploaded": {}, "displayName": id}});
    let (status, created) = app
        .send(app.post_at(Fireworks, &path("/datasets")).json(&body))
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["state"], "UPLOADING");
    let url = app.at(Fireworks, &path(&format!("/datasets/{id}:upload")));
    let (status, uploaded) = app.multipart(url, &[], content).await;
    assert_eq!(status, StatusCode::OK, "{uploaded}");
    let name = format!("accounts/acme/datasets/{id}");
    let ready = app
        .json_at(Fireworks, &path(&format!("/datasets/{id}")))
        .await;
    assert_eq!(ready["state"], "READY");
    assert_eq!(ready["name"], name.as_str());
    name
}

async fn create_job(app: &TestEmulator, id: &str, body: Value) -> (StatusCode, Value) {
    let url = path(&format!(
        "/supervisedFineTuningJobs?supervisedFineTuningJobId={id}"
    ));
    app.send(app.post_at(Fireworks, &url).json(&body)).await
}

async fn job(app: &TestEmulator, id: &str) -> Value {
    app.json_at(Fireworks, &path(&format!("/supervisedFineTuningJobs/{id}")))
        .await
}

#[tokio::test]
async fn a_fireworks_job_trains_deploys_and_answers() {
    let app = spawn().await;
    let dataset = dataset(&app, "support-data", &examples(12)).await;
    let body = json!({
        "dataset": dataset,
        "baseModel": BASE,
        "outputModel": "support-model",
        "epochs": 2,
        "learningRate": 0.0001,
        "loraRank": 16,
        "maxContextLength": 8192,
        "displayName": "support",
    });
    let (status, created) = create_job(&app, "sft-one", body).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(
        created["name"],
        "accounts/acme/supervisedFineTuningJobs/sft-one"
    );
    assert_eq!(created["state"], "JOB_STATE_CREATING");
    assert_eq!(created["outputModel"], "accounts/acme/models/support-model");
    assert_eq!(created["loraRank"], 16);
    app.emulator.advance(1);
    assert_eq!(job(&app, "sft-one").await["state"], "JOB_STATE_VALIDATING");
    app.emulator.advance(1);
    assert_eq!(job(&app, "sft-one").await["state"], "JOB_STATE_PENDING");
    app.emulator.advance(2);
    assert_eq!(job(&app, "sft-one").await["state"], "JOB_STATE_RUNNING");
    app.emulator.advance(5);
    let halfway = job(&app, "sft-one").await;
    assert_eq!(halfway["jobProgress"]["percent"], 50, "{halfway}");
    app.emulator.advance(5);
    let done = job(&app, "sft-one").await;
    assert_eq!(done["state"], "JOB_STATE_COMPLETED");
    assert_eq!(done["jobProgress"]["percent"], 100);
    assert!(done["completedTime"].is_string());

    let model = app.json_at(Fireworks, &path("/models/support-model")).await;
    assert_eq!(model["state"], "READY");
    assert_eq!(model["kind"], "HF_PEFT_ADDON");
    assert_eq!(model["peftDetails"]["baseModel"], BASE);

    // Serverless LoRA is gone: the model alone is not callable.
    let tuned = "accounts/acme/models/support-model";
    let (status, error) = app
        .send(app.chat(Fireworks, &chat_body(tuned, false)))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error["error"]["object"], "error");

    let request = json!({"baseModel": tuned, "minReplicaCount": 0, "maxReplicaCount": 1,
        "autoscalingPolicy": {"scaleToZeroWindow": "600s"}, "displayName": "support"});
    let (status, deployment) = app
        .send(
            app.post_at(Fireworks, &path("/deployments?deploymentId=support-dep"))
                .json(&request),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{deployment}");
    assert_eq!(deployment["name"], "accounts/acme/deployments/support-dep");
    assert_eq!(deployment["state"], "CREATING");
    let target = format!("{tuned}#accounts/acme/deployments/support-dep");
    let (status, _) = app
        .send(app.chat(Fireworks, &chat_body(&target, false)))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not ready yet");
    app.emulator.advance(4);
    let ready = app
        .json_at(Fireworks, &path("/deployments/support-dep"))
        .await;
    assert_eq!(ready["state"], "READY");
    assert_eq!(ready["replicaCount"], 1);
    app.assert_chat_works(Fireworks, &target).await;
    let listed = app.json_at(Fireworks, &path("/deployments")).await;
    assert_eq!(listed["deployments"].as_array().unwrap().len(), 1);

    // Scaled to zero when idle, then undeployed by the provider.
    app.emulator.advance(700);
    let idle = app
        .json_at(Fireworks, &path("/deployments/support-dep"))
        .await;
    assert_eq!(idle["replicaCount"], 0);
    assert_eq!(idle["state"], "READY");
    let removed = app.emulator.undeploy_idle(600);
    assert_eq!(
        removed,
        vec!["accounts/acme/deployments/support-dep".to_owned()]
    );
    let (status, gone) = app
        .send(app.get_at(Fireworks, &path("/deployments/support-dep")))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(gone["code"], 5, "{gone}");
    assert!(gone["message"].as_str().unwrap().contains("support-dep"));
    let (status, _) = app
        .send(app.chat(Fireworks, &chat_body(&target, false)))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn jobs_are_listed_by_dataset() {
    let app = spawn().await;
    let first = dataset(&app, "first", &examples(3)).await;
    let second = dataset(&app, "second", &examples(3)).await;
    for (id, dataset) in [("job-a", &first), ("job-b", &second)] {
        let body = json!({"dataset": dataset, "baseModel": BASE});
        assert_eq!(create_job(&app, id, body).await.0, StatusCode::OK);
    }
    let filter = format!("dataset=\"{second}\"");
    let url = format!(
        "{}/supervisedFineTuningJobs?filter={}",
        ACCOUNT,
        urlencode(&filter)
    );
    let list = app.json_at(Fireworks, &url).await;
    let jobs = list["supervisedFineTuningJobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 1, "{list}");
    assert_eq!(
        jobs[0]["name"],
        "accounts/acme/supervisedFineTuningJobs/job-b"
    );
    assert_eq!(jobs[0]["outputModel"], "accounts/acme/models/job-b");
    let all = app
        .json_at(Fireworks, &path("/supervisedFineTuningJobs?pageSize=1"))
        .await;
    assert_eq!(all["totalSize"], 2);
    assert_eq!(all["nextPageToken"], "1");
    let other = app
        .json_at(Fireworks, "/accounts/other/supervisedFineTuningJobs")
        .await;
    assert_eq!(other["supervisedFineTuningJobs"], json!([]));
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn fewer_than_three_examples_fail_the_job() {
    let app = spawn().await;
    let dataset = dataset(&app, "tiny", &examples(2)).await;
    let body = json!({"dataset": dataset, "baseModel": BASE});
    assert_eq!(create_job(&app, "tiny-job", body).await.0, StatusCode::OK);
    app.emulator.advance(2);
    let failed = job(&app, "tiny-job").await;
    assert_eq!(failed["state"], "JOB_STATE_FAILED");
    assert_eq!(failed["status"]["code"], "INVALID_ARGUMENT");
    assert!(
        failed["status"]["message"]
            .as_str()
            .unwrap()
            .contains("at least 3"),
        "{failed}"
    );
}

#[tokio::test]
async fn ids_and_requests_are_checked_in_fireworks_error_shape() {
    let app = spawn().await;
    let body = json!({"datasetId": "1data", "dataset": {"userUploaded": {}}});
    let (status, error) = app
        .send(app.post_at(Fireworks, &path("/datasets")).json(&body))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["code"], 3, "{error}");
    assert!(error["message"].as_str().unwrap().contains("1data"));
    assert_eq!(error["details"], json!([]));

    let body = json!({"datasetId": "empty", "dataset": {"userUploaded": {}}});
    assert_eq!(
        app.send(app.post_at(Fireworks, &path("/datasets")).json(&body))
            .await
            .0,
        StatusCode::OK
    );
    let (status, error) = app
        .send(app.post_at(Fireworks, &path("/datasets")).json(&body))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error["code"], 6);
    let job = json!({"dataset": "accounts/acme/datasets/empty", "baseModel": BASE});
    let (status, error) = create_job(&app, "too-early", job).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(error["message"].as_str().unwrap().contains("READY"));

    let (status, error) = app
        .send(app.get_at(Fireworks, &path("/models/nothing")))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error["code"], 5);
    let base = app
        .json_at(
            Fireworks,
            "/accounts/fireworks/models/llama-v3p1-8b-instruct",
        )
        .await;
    assert_eq!(base["kind"], "HF_BASE_MODEL");
    app.assert_chat_works(Fireworks, BASE).await;
}

#[tokio::test]
async fn deleting_a_running_job_cancels_it() {
    let app = spawn().await;
    let dataset = dataset(&app, "cancel-me", &examples(5)).await;
    let body = json!({"dataset": dataset, "baseModel": BASE});
    assert_eq!(create_job(&app, "doomed", body).await.0, StatusCode::OK);
    app.emulator.advance(5);
    assert_eq!(job(&app, "doomed").await["state"], "JOB_STATE_RUNNING");
    let (status, _) = app
        .send(app.delete_at(Fireworks, &path("/supervisedFineTuningJobs/doomed")))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .send(app.get_at(Fireworks, &path("/supervisedFineTuningJobs/doomed")))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let kept = app.emulator.jobs_for(Fireworks);
    assert_eq!(kept[0]["state"], "JOB_STATE_CANCELLED");
    app.emulator.advance(60);
    let (status, _) = app
        .send(app.get_at(Fireworks, &path("/models/doomed")))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a cancelled job makes no model"
    );
}

#[tokio::test]
async fn faults_hit_fireworks_paths_in_its_error_shapes() {
    let app = spawn().await;
    app.emulator.fail_next(
        "GET",
        "/fireworks/v1/accounts/acme/supervisedFineTuningJobs",
        429,
        1,
        Some(3),
    );
    let response = app
        .get_at(Fireworks, &path("/supervisedFineTuningJobs"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "3");
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["code"], 8, "{error}");
    app.emulator
        .fail_next("POST", "/fireworks/inference", 500, 1, None);
    let (status, error) = app.send(app.chat(Fireworks, &chat_body(BASE, false))).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(error["error"]["type"], "server_error", "{error}");
    assert_eq!(
        app.send(app.chat(Fireworks, &chat_body(BASE, false)))
            .await
            .0,
        StatusCode::OK
    );
    // A missing key answers in the same shape.
    let response = app
        .client
        .get(app.at(Fireworks, &path("/datasets")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["code"], 16);
}
