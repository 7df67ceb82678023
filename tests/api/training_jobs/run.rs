//! `runTrainingJob`: what is sent, marked and charged, and what happens when something fails.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::Fixture;

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn a_job_uploads_the_blocks_marks_them_trained_and_charges_the_workspace() {
    let fixture = Fixture::new(1_000).await;
    fixture.app.create_rule("Be brief.").await;
    let ids = fixture.blocks(10, None).await;
    let reply = fixture
        .run(json!({ "suffix": "support", "hyperparameters": { "nEpochs": 3 } }))
        .await;
    let job = &reply.data()["runTrainingJob"];
    assert_eq!(job["status"], "VALIDATING_FILES");
    assert_eq!(job["blockCount"], 10);
    assert_eq!(job["chargeCredits"], 110);
    assert_eq!(job["baseModel"], "gpt-4o-mini-2024-07-18");
    assert_eq!(job["systemPrompt"], "Be brief.");
    assert_eq!(job["model"]["status"], "TRAINING");

    let file_id = job["providerFileId"].as_str().expect("file id");
    let content = fixture
        .emulator
        .file_content(file_id)
        .expect("uploaded file");
    assert_eq!(job["fileSha256"].as_str(), Some(hex(&content).as_str()));
    let lines: Vec<&str> = std::str::from_utf8(&content)
        .expect("utf-8")
        .lines()
        .collect();
    assert_eq!(lines.len(), 10);
    assert!(lines[0].starts_with(r#"{"messages":[{"role":"system","content":"Be brief."}"#));

    let remote = fixture
        .emulator
        .job(job["providerJobId"].as_str().expect("job id"))
        .expect("remote job");
    assert_eq!(remote["metadata"]["tuner_job_id"], job["id"]);
    assert_eq!(remote["user_provided_suffix"], "support");
    assert_eq!(remote["model"], "gpt-4o-mini-2024-07-18");

    assert!(fixture.statuses(&ids).await.iter().all(|s| s == "TRAINED"));
    let (balance, ledger) = fixture.credits().await;
    assert_eq!(balance, 1_000 - 110);
    let reasons: Vec<(&str, i64)> = ledger
        .iter()
        .map(|e| {
            (
                e["reason"].as_str().unwrap_or(""),
                e["amount"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert!(
        reasons.contains(&("JOB_FEE", -100)) && reasons.contains(&("BLOCK_CREDITS", -10)),
        "{reasons:?}"
    );
}

#[tokio::test]
async fn a_job_exposes_the_blocks_it_sent_with_their_hashes() {
    let fixture = Fixture::new(1_000).await;
    let ids = fixture.blocks(10, None).await;
    let job_id = fixture.run(json!({})).await.data()["runTrainingJob"]["id"].clone();
    let reply = fixture
        .app
        .admin_gql(
            "query($id: ID!) { trainingJob(id: $id) { blocks(first: 500) { blockId contentHash block { id status } } } }",
            json!({ "id": job_id }),
        )
        .await;
    let blocks = reply.data()["trainingJob"]["blocks"]
        .as_array()
        .expect("blocks")
        .clone();
    let mut sent: Vec<String> = blocks
        .iter()
        .map(|b| b["blockId"].as_str().unwrap_or("").to_owned())
        .collect();
    sent.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(sent, expected);
    assert!(blocks
        .iter()
        .all(|b| b["contentHash"].as_str().is_some_and(|h| h.len() == 64)));
    assert!(blocks.iter().all(|b| b["block"]["status"] == "TRAINED"));
}

#[tokio::test]
async fn only_untrained_blocks_with_the_tag_are_sent() {
    let fixture = Fixture::new(1_000).await;
    let returns = fixture.blocks(10, Some("returns")).await;
    let billing = fixture.blocks(4, Some("billing")).await;
    let draft = fixture.app.admin_gql(
        "mutation { createTrainingBlock(input: {status: DRAFT, tag: \"returns\", exchanges: [{prompt: \"a\", response: \"\"}]}) { id } }",
        json!({}),
    ).await.data()["createTrainingBlock"]["id"].as_str().expect("id").to_owned();
    let job = fixture.run(json!({ "tag": "returns" })).await.data()["runTrainingJob"].clone();
    assert_eq!(job["blockCount"], 10);
    assert!(fixture
        .statuses(&returns)
        .await
        .iter()
        .all(|s| s == "TRAINED"));
    assert!(fixture
        .statuses(&billing)
        .await
        .iter()
        .all(|s| s == "NOT_TRAINED"));
    assert_eq!(fixture.statuses(&[draft]).await, ["DRAFT"]);
}

async fn nothing_changed(fixture: &Fixture, ids: &[String], balance: i64) {
    assert!(
        fixture
            .statuses(ids)
            .await
            .iter()
            .all(|s| s == "NOT_TRAINED"),
        "blocks unchanged"
    );
    let (now, ledger) = fixture.credits().await;
    assert_eq!(now, balance, "balance unchanged");
    assert!(
        ledger.iter().all(|e| e["reason"] == "GRANT"),
        "nothing charged: {ledger:?}"
    );
}

#[tokio::test]
async fn too_few_blocks_are_refused_before_anything_is_sent() {
    let fixture = Fixture::new(1_000).await;
    let ids = fixture.blocks(9, None).await;
    let reply = fixture.run(json!({})).await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    assert!(
        reply.message().contains("TOO_FEW_EXAMPLES"),
        "{}",
        reply.message()
    );
    assert_eq!(fixture.emulator.requests("*", "/v1/files"), 0);
    nothing_changed(&fixture, &ids, 1_000).await;
    let jobs = fixture
        .app
        .admin_gql(
            "query($id: ID!) { trainingJobs(modelId: $id) { id } }",
            json!({ "id": fixture.model_id }),
        )
        .await;
    assert_eq!(jobs.data()["trainingJobs"], json!([]), "no job recorded");
}

#[tokio::test]
async fn a_short_balance_is_refused_with_insufficient_credits() {
    let fixture = Fixture::new(50).await;
    let ids = fixture.blocks(10, None).await;
    let reply = fixture.run(json!({})).await;
    assert_eq!(reply.code(), "INSUFFICIENT_CREDITS");
    assert!(reply.message().contains("110"), "{}", reply.message());
    nothing_changed(&fixture, &ids, 50).await;
}

#[tokio::test]
async fn in_record_mode_a_short_balance_goes_negative() {
    let mut app = crate::harness::TestApp::spawn().await;
    app.training.billing_mode = tuner::config::BillingMode::Record;
    app.rebuild_schema();
    let fixture = Fixture::with_app(app, 0).await;
    fixture.blocks(10, None).await;
    fixture.run(json!({})).await.data();
    assert_eq!(fixture.credits().await.0, -110);
}

#[tokio::test]
async fn a_refused_upload_fails_the_job_with_the_providers_message_and_charges_nothing() {
    let fixture = Fixture::new(1_000).await;
    let ids = fixture.blocks(10, None).await;
    fixture
        .emulator
        .fail_next("POST", "/v1/files", 400, 1, None);
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    assert_eq!(job["status"], "FAILED");
    assert!(
        job["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{job}"
    );
    assert_eq!(job["providerJobId"], Value::Null);
    nothing_changed(&fixture, &ids, 1_000).await;
    let again = fixture.run(json!({})).await;
    assert_eq!(
        again.data()["runTrainingJob"]["status"],
        "VALIDATING_FILES",
        "the blocks are free again"
    );
}

#[tokio::test]
async fn transient_provider_errors_are_retried() {
    let fixture = Fixture::new(1_000).await;
    fixture.blocks(10, None).await;
    fixture
        .emulator
        .fail_next("POST", "/v1/files", 503, 2, Some(0));
    fixture
        .emulator
        .fail_next("POST", "/v1/fine_tuning/jobs", 429, 1, Some(0));
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    assert_eq!(job["status"], "VALIDATING_FILES", "{job}");
    assert_eq!(fixture.emulator.requests("POST", "/v1/files"), 3);
    assert_eq!(fixture.emulator.requests("POST", "/v1/fine_tuning/jobs"), 2);
}

#[tokio::test]
async fn a_provider_that_keeps_failing_fails_the_job_cleanly() {
    let fixture = Fixture::new(1_000).await;
    let ids = fixture.blocks(10, None).await;
    fixture
        .emulator
        .fail_next("POST", "/v1/fine_tuning/jobs", 500, 50, Some(0));
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    assert_eq!(job["status"], "FAILED");
    nothing_changed(&fixture, &ids, 1_000).await;
}

#[tokio::test]
async fn a_second_active_job_for_the_model_is_a_conflict() {
    let fixture = Fixture::new(1_000).await;
    fixture.blocks(10, Some("a")).await;
    let b = fixture.blocks(10, Some("b")).await;
    fixture.run(json!({ "tag": "a" })).await.data();
    let reply = fixture.run(json!({ "tag": "b" })).await;
    assert_eq!(reply.code(), "CONFLICT");
    assert!(fixture
        .statuses(&b)
        .await
        .iter()
        .all(|s| s == "NOT_TRAINED"));
    assert_eq!(
        fixture.credits().await.0,
        1_000 - 110,
        "only the first job was charged"
    );
}

#[tokio::test]
async fn running_with_no_untrained_blocks_says_so() {
    let fixture = Fixture::new(1_000).await;
    let reply = fixture.run(json!({})).await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    assert!(
        reply.message().contains("no NOT_TRAINED blocks"),
        "{}",
        reply.message()
    );
}

#[tokio::test]
async fn a_training_file_larger_than_the_provider_accepts_is_refused() {
    let mut app = crate::harness::TestApp::spawn().await;
    app.training.max_file_bytes = 1_000;
    app.rebuild_schema();
    let fixture = Fixture::with_app(app, 1_000).await;
    let ids = fixture.blocks(10, None).await;
    let reply = fixture.run(json!({})).await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    assert!(reply.message().contains("at most"), "{}", reply.message());
    assert_eq!(fixture.emulator.requests("POST", "/v1/files"), 0);
    nothing_changed(&fixture, &ids, 1_000).await;
}
