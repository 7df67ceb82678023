//! After submission: following jobs to the end, incremental training, refunds, crash repair,
//! and concurrent submissions.

use serde_json::json;
use tuner::training_jobs::prepare::prepare;
use tuner::training_jobs::reconcile::reconcile_submissions;
use tuner::training_jobs::request::JobRequest;

use super::Fixture;
use tuner::ids::{JobId, ModelId, TypedId};

#[tokio::test]
async fn a_followed_job_makes_the_model_ready_with_its_fine_tuned_model() {
    let fixture = Fixture::new(1_000).await;
    fixture.blocks(10, None).await;
    let job = fixture.run(json!({ "suffix": "v1" })).await.data()["runTrainingJob"].clone();
    let job_id = job["id"].as_str().expect("id");
    fixture.emulator.advance(5);
    let running = fixture.refresh(job_id).await;
    assert_ne!(running["status"], "SUCCEEDED");
    let done = fixture.finish(job_id).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let name = done["fineTunedModel"].as_str().expect("fine-tuned model");
    assert!(
        name.starts_with("ft:gpt-4o-mini-2024-07-18:") && name.contains(":v1:"),
        "{name}"
    );
    assert_eq!(done["model"]["status"], "READY");
    assert_eq!(done["model"]["fineTunedModel"], name);
}

#[tokio::test]
async fn a_second_run_sends_only_new_blocks_and_continues_from_the_fine_tuned_model() {
    let fixture = Fixture::new(1_000).await;
    fixture.blocks(10, Some("first")).await;
    let first = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    let done = fixture.finish(first["id"].as_str().expect("id")).await;
    let tuned = done["fineTunedModel"].as_str().expect("tuned").to_owned();

    let new = fixture.blocks(10, Some("second")).await;
    let second = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    assert_eq!(second["blockCount"], 10);
    assert_eq!(second["baseModel"], tuned.as_str());
    let remote = fixture
        .emulator
        .job(second["providerJobId"].as_str().expect("id"))
        .expect("remote");
    assert_eq!(remote["model"], tuned.as_str());
    let content = fixture
        .emulator
        .file_content(second["providerFileId"].as_str().expect("file"))
        .expect("file");
    let text = String::from_utf8(content).expect("utf-8");
    assert!(
        text.contains("about second") && !text.contains("about first"),
        "only the new blocks"
    );
    assert!(fixture.statuses(&new).await.iter().all(|s| s == "TRAINED"));

    fixture.finish(second["id"].as_str().expect("id")).await;
    fixture.blocks(10, None).await;
    let third =
        fixture.run(json!({ "fromBaseModel": true })).await.data()["runTrainingJob"].clone();
    assert_eq!(third["baseModel"], "gpt-4o-mini-2024-07-18");
}

#[tokio::test]
async fn a_cancelled_job_gives_its_blocks_back_and_refunds_their_credits() {
    let fixture = Fixture::new(1_000).await;
    let ids = fixture.blocks(10, None).await;
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    let remote_id = job["providerJobId"].as_str().expect("id");
    let url = format!(
        "{}/fine_tuning/jobs/{remote_id}/cancel",
        fixture.emulator.base_url()
    );
    let response = reqwest::Client::new()
        .post(url)
        .bearer_auth(super::API_KEY)
        .send()
        .await
        .expect("cancel");
    assert!(response.status().is_success());
    let cancelled = fixture.refresh(job["id"].as_str().expect("id")).await;
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(cancelled["model"]["status"], "NOT_TRAINED");
    assert!(fixture
        .statuses(&ids)
        .await
        .iter()
        .all(|s| s == "NOT_TRAINED"));
    let (balance, ledger) = fixture.credits().await;
    assert_eq!(
        balance,
        1_000 - 100,
        "the fee stays, the block credits come back"
    );
    assert_eq!(ledger[0]["reason"], "REFUND");
    assert_eq!(ledger[0]["amount"], 10);
}

async fn prepared_job(fixture: &Fixture) -> (JobId, Vec<String>) {
    let ids = fixture.blocks(10, None).await;
    let context = fixture.app.context();
    let model_id = ModelId::parse("id", &fixture.model_id).expect("id");
    let (job, _file) = prepare(
        &context,
        fixture.app.workspace_id,
        model_id,
        &JobRequest::default(),
    )
    .await
    .expect("step 1");
    (job.id, ids)
}

#[tokio::test]
async fn a_submission_interrupted_after_the_provider_job_was_created_is_completed_on_start() {
    let fixture = Fixture::new(1_000).await;
    let (job_id, ids) = prepared_job(&fixture).await;
    // The crash: the provider job exists (found by its metadata) but tuner never recorded it.
    let client = reqwest::Client::new();
    let form = reqwest::multipart::Form::new()
        .text("purpose", "fine-tune")
        .part(
            "file",
            reqwest::multipart::Part::bytes(training_file()).file_name("t.jsonl"),
        );
    let file: serde_json::Value = client
        .post(format!("{}/files", fixture.emulator.base_url()))
        .bearer_auth(super::API_KEY)
        .multipart(form)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");
    let created = client
        .post(format!("{}/fine_tuning/jobs", fixture.emulator.base_url()))
        .bearer_auth(super::API_KEY)
        .json(&json!({ "model": "gpt-4o-mini-2024-07-18", "training_file": file["id"], "metadata": { "tuner_job_id": job_id.to_string() } }))
        .send()
        .await
        .expect("create");
    assert!(created.status().is_success());

    let outcome = reconcile_submissions(&fixture.app.context())
        .await
        .expect("reconcile");
    assert_eq!(outcome.completed, 1);
    let job = fixture
        .app
        .admin_gql(
            "query($id: ID!) { trainingJob(id: $id) { status providerJobId } }",
            json!({ "id": job_id.to_string() }),
        )
        .await;
    assert_eq!(job.data()["trainingJob"]["status"], "VALIDATING_FILES");
    assert!(fixture.statuses(&ids).await.iter().all(|s| s == "TRAINED"));
    assert_eq!(fixture.credits().await.0, 1_000 - 110);
}

#[tokio::test]
async fn a_submission_interrupted_before_the_provider_job_existed_fails_cleanly() {
    let fixture = Fixture::new(1_000).await;
    let (job_id, ids) = prepared_job(&fixture).await;
    let outcome = reconcile_submissions(&fixture.app.context())
        .await
        .expect("reconcile");
    assert_eq!(outcome.failed, 1);
    let job = fixture
        .app
        .admin_gql(
            "query($id: ID!) { trainingJob(id: $id) { status error { code } } }",
            json!({ "id": job_id.to_string() }),
        )
        .await;
    assert_eq!(job.data()["trainingJob"]["status"], "FAILED");
    assert!(fixture
        .statuses(&ids)
        .await
        .iter()
        .all(|s| s == "NOT_TRAINED"));
    assert_eq!(fixture.credits().await.0, 1_000);
    fixture.run(json!({})).await.data();
}

fn training_file() -> Vec<u8> {
    let line =
        r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}"#;
    format!("{}\n", [line; 10].join("\n")).into_bytes()
}

#[tokio::test]
async fn concurrent_jobs_never_share_a_block() {
    let fixture = Fixture::new(10_000).await;
    let other = fixture.app.create_model("other").await;
    fixture.blocks(30, None).await;
    let query = "mutation($id: ID!) { runTrainingJob(modelId: $id) { id blockCount } }";
    let (a, b) = tokio::join!(
        fixture
            .app
            .admin_gql(query, json!({ "id": fixture.model_id })),
        fixture.app.admin_gql(query, json!({ "id": other })),
    );
    let mut sent = Vec::new();
    for reply in [a, b] {
        if reply.body.get("errors").is_some() {
            assert_eq!(
                reply.code(),
                "BAD_USER_INPUT",
                "the loser finds no blocks left: {:?}",
                reply.body
            );
            continue;
        }
        let job_id = reply.data()["runTrainingJob"]["id"].clone();
        let blocks = fixture
            .app
            .admin_gql(
                "query($id: ID!) { trainingJob(id: $id) { blocks(first: 500) { blockId } } }",
                json!({ "id": job_id }),
            )
            .await;
        for block in blocks.data()["trainingJob"]["blocks"]
            .as_array()
            .expect("blocks")
        {
            sent.push(block["blockId"].as_str().expect("id").to_owned());
        }
    }
    let unique: std::collections::HashSet<_> = sent.iter().collect();
    assert_eq!(unique.len(), sent.len(), "a block went into two jobs");
    assert_eq!(sent.len(), 30, "every block went into exactly one job");
}

#[tokio::test]
async fn concurrent_runs_for_one_model_start_one_job() {
    let fixture = Fixture::new(10_000).await;
    fixture.blocks(20, None).await;
    let (a, b) = tokio::join!(fixture.run(json!({})), fixture.run(json!({})));
    let codes: Vec<Option<String>> = [a, b]
        .iter()
        .map(|r| r.body.get("errors").map(|_| r.code().to_owned()))
        .collect();
    assert!(codes.contains(&None), "one job starts: {codes:?}");
    assert!(
        codes.contains(&Some("CONFLICT".to_owned()))
            || codes.contains(&Some("BAD_USER_INPUT".to_owned())),
        "the other is refused: {codes:?}"
    );
}
