//! Nebius Token Factory: training through GraphQL with Nebius hyperparameters, the loss curve
//! from checkpoints, repair without metadata, and cancelling.

use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{json, Value};
use tuner::entities::training_job;
use tuner::ids::{ModelId, TypedId};
use tuner::training_jobs::prepare::prepare;
use tuner::training_jobs::reconcile::reconcile_submissions;
use tuner::training_jobs::request::JobRequest;
use tuner_emulator::Dialect;

use super::{available, charged_once, fixture, followed, NEBIUS};
use crate::training_jobs::{Fixture, API_KEY};

fn url(fixture: &Fixture, path: &str) -> String {
    format!("{}{path}", fixture.emulator.base_url_for(Dialect::Nebius))
}

async fn nebius_get(fixture: &Fixture, path: &str) -> Value {
    reqwest::Client::new()
        .get(url(fixture, path))
        .bearer_auth(API_KEY)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn a_nebius_job_trains_to_a_trained_model_with_a_loss_curve_from_checkpoints() {
    let fixture = fixture(&NEBIUS, 1_000).await;
    fixture.blocks(12, None).await;
    let hyperparameters =
        json!({ "nEpochs": 2, "learningRate": 3e-5, "loraRank": 8, "loraAlpha": 16 });
    let reply = fixture
        .run(json!({ "suffix": "support", "hyperparameters": hyperparameters }))
        .await;
    let job = reply.data()["runTrainingJob"].clone();
    assert_eq!(job["status"], "VALIDATING_FILES", "{job}");
    let job_id = job["id"].as_str().expect("id");
    let remote_id = job["providerJobId"].as_str().expect("provider job");
    let remote = fixture
        .emulator
        .job_for(Dialect::Nebius, remote_id)
        .expect("remote");
    let sent = &remote["hyperparameters"];
    assert_eq!(sent["learning_rate"], 3e-5);
    assert_eq!(sent["n_epochs"], 2);
    assert_eq!(
        (&sent["lora"], &sent["lora_r"], &sent["lora_alpha"]),
        (&json!(true), &json!(8), &json!(16))
    );
    assert_eq!(remote["user_provided_suffix"], "support");

    let done = fixture.finish(job_id).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(done["model"]["status"], "TRAINED");
    assert!(available(&fixture).await.is_empty(), "not callable yet");

    let checkpoints = nebius_get(
        &fixture,
        &format!("/fine_tuning/jobs/{remote_id}/checkpoints"),
    )
    .await;
    let mut checkpoints = checkpoints["data"].as_array().expect("checkpoints").clone();
    checkpoints.sort_by_key(|c| c["step_number"].as_u64());
    let last = checkpoints.last().expect("a checkpoint");
    let trained = format!("{remote_id}:{}", last["id"].as_str().expect("id"));
    assert_eq!(done["fineTunedModel"], trained.as_str());
    assert_eq!(done["model"]["fineTunedModel"], trained.as_str());

    let stored = followed(&fixture, job_id).await;
    let curve = stored["metrics"].as_array().expect("metrics");
    assert_eq!(
        curve.len(),
        checkpoints.len(),
        "one point per checkpoint: {curve:?}"
    );
    for (point, checkpoint) in curve.iter().zip(&checkpoints) {
        assert_eq!(point["step"], checkpoint["step_number"]);
        assert_eq!(point["trainLoss"], checkpoint["metrics"]["train_loss"]);
    }
    let messages = stored["events"]["edges"].as_array().expect("events");
    assert!(messages.len() > curve.len(), "the log is kept too");
    charged_once(&fixture, 1_000, 12).await;
}

#[tokio::test]
async fn a_nebius_crash_between_create_and_commit_is_repaired_by_the_training_file() {
    let fixture = fixture(&NEBIUS, 1_000).await;
    fixture.blocks(10, None).await;
    let context = fixture.app.context();
    let model_id = ModelId::parse("id", &fixture.model_id).expect("id");
    let (job, file) = prepare(
        &context,
        fixture.app.workspace_id,
        model_id,
        &JobRequest::default(),
    )
    .await
    .expect("step 1");
    let bytes = std::fs::read(file.path()).expect("compiled file");
    let form = reqwest::multipart::Form::new()
        .text("purpose", "fine-tune")
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("t.jsonl"),
        );
    let client = reqwest::Client::new();
    let uploaded: Value = client
        .post(url(&fixture, "/files"))
        .bearer_auth(API_KEY)
        .multipart(form)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");
    let file_id = uploaded["id"].as_str().expect("id").to_owned();
    let mut row: training_job::ActiveModel = job.clone().into();
    row.provider_file_id = Set(Some(file_id.clone()));
    row.update(&fixture.app.db).await.expect("file recorded");
    let body = json!({ "model": NEBIUS.base_model, "training_file": file_id });
    let created: Value = client
        .post(url(&fixture, "/fine_tuning/jobs"))
        .bearer_auth(API_KEY)
        .json(&body)
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");

    let outcome = reconcile_submissions(&fixture.app.context())
        .await
        .expect("reconcile");
    assert_eq!((outcome.completed, outcome.failed), (1, 0));
    let row = training_job::Entity::find_by_id(job.id)
        .one(&fixture.app.db)
        .await
        .expect("read")
        .expect("job");
    assert_eq!(row.provider_job_id.as_deref(), created["id"].as_str());
    charged_once(&fixture, 1_000, 10).await;
}

#[tokio::test]
async fn a_nebius_job_is_cancelled_and_gives_its_blocks_back() {
    let fixture = fixture(&NEBIUS, 1_000).await;
    let blocks = fixture.blocks(10, None).await;
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    fixture.emulator.advance(5);
    let cancel = "mutation($id: ID!) { cancelTrainingJob(id: $id) { status model { status } } }";
    let reply = fixture
        .app
        .admin_gql(cancel, json!({ "id": job["id"] }))
        .await;
    let cancelled = reply.data()["cancelTrainingJob"].clone();
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(cancelled["model"]["status"], "NOT_TRAINED");
    assert!(fixture
        .statuses(&blocks)
        .await
        .iter()
        .all(|s| s == "NOT_TRAINED"));
    assert_eq!(fixture.credits().await.0, 1_000 - 100);
}

#[tokio::test]
async fn server_errors_on_nebius_are_retried_and_nothing_is_lost_or_charged_twice() {
    let fixture = fixture(&NEBIUS, 1_000).await;
    let blocks = fixture.blocks(10, None).await;
    let create = "/nebius/v1/fine_tuning/jobs";
    fixture
        .emulator
        .fail_next("POST", "/nebius/v1/files", 500, 1, None);
    fixture.emulator.fail_next("POST", create, 429, 1, Some(0));
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    assert_ne!(job["status"], "FAILED", "{job}");
    assert_eq!(fixture.emulator.requests("POST", create), 2);
    assert_eq!(fixture.emulator.jobs_for(Dialect::Nebius).len(), 1);
    let job_id = job["id"].as_str().expect("id");
    fixture
        .emulator
        .fail_next("GET", "/nebius/v1/fine_tuning/jobs/", 502, 2, None);
    let done = fixture.finish(job_id).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert!(fixture
        .statuses(&blocks)
        .await
        .iter()
        .all(|s| s == "TRAINED"));
    charged_once(&fixture, 1_000, 10).await;
}
