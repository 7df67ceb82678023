//! Together AI: training through GraphQL to a TRAINED model, its loss curve from `/metrics`,
//! repair by training file, cancelling, and 5xx faults.

use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{json, Value};
use tuner::entities::training_job;
use tuner::ids::{JobId, ModelId, TypedId};
use tuner::training_jobs::prepare::prepare;
use tuner::training_jobs::reconcile::reconcile_submissions;
use tuner::training_jobs::request::JobRequest;
use tuner_emulator::Dialect;

use super::{available, charged_once, fixture, followed, TOGETHER};
use crate::training_jobs::{Fixture, API_KEY};

const CREATE: &str = "/together/v1/fine-tunes";

async fn together_get(fixture: &Fixture, path: &str) -> Value {
    let url = format!("{}{path}", fixture.emulator.base_url_for(Dialect::Together));
    reqwest::Client::new()
        .get(url)
        .bearer_auth(API_KEY)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json")
}

/// Uploads a training file to the Together dialect and returns its id.
async fn upload(fixture: &Fixture) -> String {
    let line =
        r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}"#;
    let form = reqwest::multipart::Form::new()
        .text("purpose", "fine-tune")
        .text("file_name", "t.jsonl")
        .part(
            "file",
            reqwest::multipart::Part::bytes(format!("{line}\n").into_bytes()).file_name("t.jsonl"),
        );
    let url = format!(
        "{}/files/upload",
        fixture.emulator.base_url_for(Dialect::Together)
    );
    let file: Value = reqwest::Client::new()
        .post(url)
        .bearer_auth(API_KEY)
        .multipart(form)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");
    file["id"].as_str().expect("file id").to_owned()
}

/// Creates a Together job on `file` directly (as if tuner's answer had been lost).
async fn create_remote(fixture: &Fixture, file: &str) -> String {
    let url = format!(
        "{}/fine-tunes",
        fixture.emulator.base_url_for(Dialect::Together)
    );
    let job: Value = reqwest::Client::new()
        .post(url)
        .bearer_auth(API_KEY)
        .json(&json!({ "model": TOGETHER.base_model, "training_file": file }))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    job["id"].as_str().expect("job id").to_owned()
}

#[tokio::test]
async fn a_together_job_trains_to_a_model_that_is_trained_but_not_callable() {
    let fixture = fixture(&TOGETHER, 1_000).await;
    fixture.blocks(3, None).await;
    let preview =
        "query($id: ID!) { trainingPreview(modelId: $id) { provider blockCount errors { code } } }";
    let reply = fixture
        .app
        .admin_gql(preview, json!({ "id": fixture.model_id }))
        .await;
    let preview = reply.data()["trainingPreview"].clone();
    assert_eq!(preview["provider"], "together");
    assert_eq!(preview["blockCount"], 3);
    assert_eq!(
        preview["errors"],
        json!([]),
        "Together trains on 3 examples"
    );

    let hyperparameters =
        json!({ "nEpochs": 2, "learningRate": 2e-5, "loraRank": 16, "loraAlpha": 32 });
    let reply = fixture
        .run(json!({ "suffix": "v1", "hyperparameters": hyperparameters }))
        .await;
    let job = reply.data()["runTrainingJob"].clone();
    assert_eq!(job["status"], "QUEUED", "{job}");
    assert_eq!(job["provider"], "together");
    let job_id = job["id"].as_str().expect("id");
    let remote_id = job["providerJobId"].as_str().expect("provider job");
    let remote = fixture
        .emulator
        .job_for(Dialect::Together, remote_id)
        .expect("remote job");
    assert_eq!(remote["training_file"], job["providerFileId"]);
    assert_eq!(remote["learning_rate"], 2e-5);
    assert_eq!(remote["n_epochs"], 2);
    assert_eq!(remote["suffix"], "v1");
    assert_eq!(
        (
            &remote["training_type"]["lora_r"],
            &remote["training_type"]["lora_alpha"]
        ),
        (&json!(16), &json!(32))
    );

    fixture.emulator.advance(6);
    assert_eq!(fixture.refresh(job_id).await["status"], "RUNNING");
    let done = fixture.finish(job_id).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let output = remote["model_output_name"].as_str().expect("output name");
    assert_eq!(done["fineTunedModel"], output);
    assert_eq!(done["model"]["status"], "TRAINED");
    assert_eq!(done["model"]["fineTunedModel"], output);
    assert!(available(&fixture).await.is_empty(), "not callable yet");

    let stored = followed(&fixture, job_id).await;
    let messages: Vec<&str> = stored["events"]["edges"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["node"]["kind"] == "MESSAGE")
        .filter_map(|e| e["node"]["message"].as_str())
        .collect();
    let remote_events = together_get(&fixture, &format!("/fine-tunes/{remote_id}/events")).await;
    let remote_events = remote_events["data"].as_array().expect("events").len();
    assert_eq!(
        messages.len(),
        remote_events,
        "every event once: {messages:?}"
    );
    let curve = stored["metrics"].as_array().expect("metrics");
    let remote_metrics = together_get(&fixture, &format!("/fine-tunes/{remote_id}/metrics")).await;
    let remote_metrics = remote_metrics["metrics"]
        .as_array()
        .expect("metrics")
        .clone();
    assert!(!curve.is_empty());
    assert_eq!(curve.len(), remote_metrics.len(), "{curve:?}");
    for (point, snapshot) in curve.iter().zip(&remote_metrics) {
        assert_eq!(point["step"], snapshot["train/global_step"]);
        assert_eq!(point["trainLoss"], snapshot["train/loss"]);
    }
    let checkpoints = stored["checkpoints"].as_array().expect("checkpoints");
    assert!(checkpoints
        .iter()
        .any(|c| c["fineTunedModelCheckpoint"] == output));
    charged_once(&fixture, 1_000, 3).await;

    // Reading again stores nothing twice.
    fixture.refresh(job_id).await;
    let again = followed(&fixture, job_id).await;
    assert_eq!(
        again["events"]["totalCount"],
        stored["events"]["totalCount"]
    );
}

#[tokio::test]
async fn a_lost_answer_to_create_is_found_again_by_its_training_file() {
    let fixture = fixture(&TOGETHER, 1_000).await;
    let blocks = fixture.blocks(2, None).await;
    // Another job on another file is not the one tuner lost.
    let other = upload(&fixture).await;
    create_remote(&fixture, &other).await;
    // The job is created, but its answer outlasts tuner's request timeout.
    fixture.emulator.hold_responses("POST", CREATE, 15_000);
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    fixture.emulator.hold_responses("POST", CREATE, 0);
    assert_eq!(job["status"], "QUEUED", "{job}");
    let remote = fixture
        .emulator
        .job_for(
            Dialect::Together,
            job["providerJobId"].as_str().expect("id"),
        )
        .expect("the job tuner recorded");
    assert_eq!(remote["training_file"], job["providerFileId"]);
    assert_ne!(remote["training_file"], other.as_str());
    assert_eq!(
        fixture.emulator.requests("POST", CREATE),
        2,
        "created once by tuner"
    );
    assert!(fixture
        .statuses(&blocks)
        .await
        .iter()
        .all(|s| s == "TRAINED"));
    charged_once(&fixture, 1_000, 2).await;
}

/// Step 1 of a submission with its uploaded file recorded, as a crash after the upload leaves
/// it; returns the job's id and the file's.
async fn interrupted(fixture: &Fixture) -> (JobId, String) {
    fixture.blocks(2, None).await;
    let context = fixture.app.context();
    let model_id = ModelId::parse("id", &fixture.model_id).expect("id");
    let request = JobRequest::default();
    let (job, _file) = prepare(&context, fixture.app.workspace_id, model_id, &request)
        .await
        .expect("step 1");
    let file = upload(fixture).await;
    let mut row: training_job::ActiveModel = job.clone().into();
    row.provider_file_id = Set(Some(file.clone()));
    row.update(&fixture.app.db).await.expect("file recorded");
    (job.id, file)
}

#[tokio::test]
async fn a_crash_between_create_and_commit_is_repaired_by_the_training_file() {
    let fixture = fixture(&TOGETHER, 1_000).await;
    let decoy = upload(&fixture).await;
    create_remote(&fixture, &decoy).await;
    let (job_id, file) = interrupted(&fixture).await;
    let remote_id = create_remote(&fixture, &file).await;
    let outcome = reconcile_submissions(&fixture.app.context())
        .await
        .expect("reconcile");
    assert_eq!((outcome.completed, outcome.failed), (1, 0));
    let row = training_job::Entity::find_by_id(job_id)
        .one(&fixture.app.db)
        .await
        .expect("read")
        .expect("job");
    assert_eq!(row.provider_job_id.as_deref(), Some(remote_id.as_str()));
    charged_once(&fixture, 1_000, 2).await;
}

#[tokio::test]
async fn a_crash_before_create_fails_the_job_cleanly() {
    let fixture = fixture(&TOGETHER, 1_000).await;
    let other = upload(&fixture).await;
    create_remote(&fixture, &other).await;
    let (job_id, _file) = interrupted(&fixture).await;
    let outcome = reconcile_submissions(&fixture.app.context())
        .await
        .expect("reconcile");
    assert_eq!((outcome.completed, outcome.failed), (0, 1));
    let row = training_job::Entity::find_by_id(job_id)
        .one(&fixture.app.db)
        .await
        .expect("read")
        .expect("job");
    assert_eq!(row.provider_job_id, None);
    assert_eq!(fixture.credits().await.0, 1_000, "nothing charged");
}

#[tokio::test]
async fn a_together_job_is_cancelled_and_gives_its_blocks_back() {
    let fixture = fixture(&TOGETHER, 1_000).await;
    let blocks = fixture.blocks(2, None).await;
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
    let remote = fixture
        .emulator
        .job_for(
            Dialect::Together,
            job["providerJobId"].as_str().expect("id"),
        )
        .expect("remote");
    assert_eq!(remote["status"], "cancelled");
    assert!(fixture
        .statuses(&blocks)
        .await
        .iter()
        .all(|s| s == "NOT_TRAINED"));
    assert_eq!(
        fixture.credits().await.0,
        1_000 - 100,
        "block credits refunded"
    );
}

#[tokio::test]
async fn server_errors_on_together_are_retried_and_nothing_is_lost_or_charged_twice() {
    let fixture = fixture(&TOGETHER, 1_000).await;
    let blocks = fixture.blocks(2, None).await;
    fixture
        .emulator
        .fail_next("POST", "/together/v1/files/upload", 500, 1, None);
    fixture.emulator.fail_next("POST", CREATE, 503, 1, Some(0));
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    assert_eq!(job["status"], "QUEUED", "{job}");
    assert_eq!(fixture.emulator.requests("POST", CREATE), 2);
    assert_eq!(fixture.emulator.jobs_for(Dialect::Together).len(), 1);
    let job_id = job["id"].as_str().expect("id");
    fixture
        .emulator
        .fail_next("GET", "/together/v1/fine-tunes/", 502, 2, None);
    let done = fixture.finish(job_id).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert!(fixture
        .statuses(&blocks)
        .await
        .iter()
        .all(|s| s == "TRAINED"));
    charged_once(&fixture, 1_000, 2).await;
}
