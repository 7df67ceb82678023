//! Following a job's events, metrics and checkpoints; cancelling jobs; provider failures while
//! refreshing and the poller's backoff.

use serde_json::{json, Value};
use tuner::auth::Role;
use tuner::training_jobs::backoff::Backoff;
use tuner::training_jobs::tracking::refresh_all;

use super::Fixture;
use tuner::ids::{JobId, TypedId};

const EVENTS: &str = "query($id: ID!, $first: Int, $after: String) { trainingJob(id: $id) { \
    events(first: $first, after: $after) { totalCount \
    edges { cursor node { id createdAt level message kind metrics { step totalSteps trainLoss } } } \
    nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }";

/// A job started on 10 blocks: (job id, provider job id, block ids).
async fn started(fixture: &Fixture) -> (String, String, Vec<String>) {
    let blocks = fixture.blocks(10, None).await;
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    let id = job["id"].as_str().expect("id").to_owned();
    let remote = job["providerJobId"].as_str().expect("remote").to_owned();
    (id, remote, blocks)
}

async fn events_page(fixture: &Fixture, job_id: &str, first: i64, after: Option<&str>) -> Value {
    let vars = json!({ "id": job_id, "first": first, "after": after });
    let reply = fixture.app.admin_gql(EVENTS, vars).await;
    reply.data()["trainingJob"]["events"].clone()
}

/// The provider's events of a job straight from the emulator, oldest first.
async fn remote_events(fixture: &Fixture, remote_id: &str) -> Vec<Value> {
    remote_list(fixture, remote_id, "events").await
}

async fn remote_list(fixture: &Fixture, remote_id: &str, what: &str) -> Vec<Value> {
    let base = fixture.emulator.base_url();
    let url = format!("{base}/fine_tuning/jobs/{remote_id}/{what}?limit=1000");
    let client = reqwest::Client::new();
    let response = client.get(url).bearer_auth(super::API_KEY).send().await;
    let body: Value = response.expect("list").json().await.expect("json");
    let mut items = body["data"].as_array().expect("data").clone();
    items.reverse();
    items
}

/// Clears the emulator's injected faults.
async fn clear_faults(fixture: &Fixture) {
    let root = fixture.emulator.base_url().replace("/v1", "");
    let response = reqwest::Client::new()
        .delete(format!("{root}/_emulator/faults"))
        .send()
        .await
        .expect("clear faults");
    assert!(response.status().is_success());
}

#[tokio::test]
async fn refreshing_stores_each_provider_event_once() {
    let fixture = Fixture::new(1_000).await;
    let (job_id, remote_id, _) = started(&fixture).await;
    fixture.emulator.advance(6);
    fixture.refresh(&job_id).await;
    let first = events_page(&fixture, &job_id, 100, None).await["totalCount"].clone();
    fixture.refresh(&job_id).await;
    let again = events_page(&fixture, &job_id, 100, None).await;
    assert_eq!(
        again["totalCount"], first,
        "nothing new, nothing stored twice"
    );
    assert_eq!(
        again["totalCount"],
        remote_events(&fixture, &remote_id).await.len()
    );
    fixture.emulator.advance(3);
    fixture.refresh(&job_id).await;
    let later = events_page(&fixture, &job_id, 100, None).await;
    assert!(later["totalCount"].as_u64() > first.as_u64(), "{later}");
    assert_eq!(
        later["totalCount"],
        remote_events(&fixture, &remote_id).await.len()
    );
    let messages: Vec<&Value> = later["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| &e["node"]["message"])
        .collect();
    let remote = remote_events(&fixture, &remote_id).await;
    let expected: Vec<&Value> = remote.iter().map(|e| &e["message"]).collect();
    assert_eq!(messages, expected, "oldest first, in the provider's order");
}

#[tokio::test]
async fn a_succeeded_job_has_its_loss_curve_and_checkpoints() {
    let fixture = Fixture::new(1_000).await;
    let (job_id, remote_id, _) = started(&fixture).await;
    fixture.emulator.advance(8);
    fixture.refresh(&job_id).await;
    let done = fixture.finish(&job_id).await;
    assert_eq!(done["status"], "SUCCEEDED");
    let query = "query($id: ID!) { trainingJob(id: $id) { \
        metrics { step totalSteps trainLoss trainMeanTokenAccuracy createdAt } \
        checkpoints { id fineTunedModelCheckpoint stepNumber metrics { step trainLoss } createdAt } } }";
    let reply = fixture.app.admin_gql(query, json!({ "id": job_id })).await;
    let job = reply.data()["trainingJob"].clone();
    let metrics = job["metrics"].as_array().expect("metrics");
    let remote: Vec<Value> = remote_events(&fixture, &remote_id)
        .await
        .into_iter()
        .filter(|e| e["type"] == "metrics")
        .collect();
    assert!(!metrics.is_empty());
    assert_eq!(metrics.len(), remote.len());
    for (point, event) in metrics.iter().zip(&remote) {
        assert_eq!(point["step"], event["data"]["step"]);
        assert_eq!(point["trainLoss"], event["data"]["train_loss"]);
        assert_eq!(point["totalSteps"], event["data"]["total_steps"]);
    }
    let steps: Vec<i64> = metrics.iter().filter_map(|m| m["step"].as_i64()).collect();
    assert!(steps.windows(2).all(|w| w[0] < w[1]), "{steps:?}");

    let checkpoints = job["checkpoints"].as_array().expect("checkpoints");
    let remote_checkpoints = remote_list(&fixture, &remote_id, "checkpoints").await;
    assert!(!checkpoints.is_empty());
    assert_eq!(checkpoints.len(), remote_checkpoints.len());
    let last = checkpoints.last().expect("last");
    assert_eq!(last["fineTunedModelCheckpoint"], done["fineTunedModel"]);
    assert_eq!(last["metrics"]["step"], last["stepNumber"]);
    let steps: Vec<i64> = checkpoints
        .iter()
        .filter_map(|c| c["stepNumber"].as_i64())
        .collect();
    assert!(steps.windows(2).all(|w| w[0] < w[1]), "{steps:?}");
}

#[tokio::test]
async fn events_page_oldest_first_with_cursors() {
    let fixture = Fixture::new(1_000).await;
    let (job_id, _, _) = started(&fixture).await;
    fixture.finish(&job_id).await;
    let all = events_page(&fixture, &job_id, 100, None).await;
    let total = all["totalCount"].as_u64().expect("total");
    assert!(total > 10, "{all}");
    let all_ids: Vec<Value> = all["nodes"].as_array().expect("nodes").clone();
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = events_page(&fixture, &job_id, 4, after.as_deref()).await;
        assert_eq!(page["totalCount"], total);
        assert_eq!(page["pageInfo"]["hasPreviousPage"], after.is_some());
        seen.extend(page["nodes"].as_array().expect("nodes").iter().cloned());
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, all_ids);
    let kinds = all["edges"].as_array().expect("edges");
    let metrics = kinds.iter().find(|e| e["node"]["kind"] == "METRICS");
    let message = kinds.iter().find(|e| e["node"]["kind"] == "MESSAGE");
    assert!(metrics.expect("a metrics event")["node"]["metrics"]["step"].is_i64());
    assert!(message.expect("a message event")["node"]["metrics"].is_null());

    let vars = json!({ "id": job_id, "first": 2, "after": "not-a-cursor" });
    let bad = fixture.app.admin_gql(EVENTS, vars).await;
    assert_eq!((bad.code(), bad.field()), ("BAD_USER_INPUT", "after"));
    let small = "query($id: ID!) { trainingJob(id: $id) { events(first: 501) { totalCount } } }";
    let big = fixture.app.admin_gql(small, json!({ "id": job_id })).await;
    assert_eq!((big.code(), big.field()), ("BAD_USER_INPUT", "first"));
}

const CANCEL: &str = "mutation($id: ID!) { cancelTrainingJob(id: $id) { status model { status } \
    events(first: 500) { nodes { message } } } }";

#[tokio::test]
async fn a_running_job_is_cancelled_and_refunds_its_blocks() {
    let fixture = Fixture::new(1_000).await;
    let (job_id, _, blocks) = started(&fixture).await;
    fixture.emulator.advance(6);
    assert_eq!(fixture.refresh(&job_id).await["status"], "RUNNING");
    let reply = fixture.app.admin_gql(CANCEL, json!({ "id": job_id })).await;
    let job = reply.data()["cancelTrainingJob"].clone();
    assert_eq!(job["status"], "CANCELLED");
    assert_eq!(job["model"]["status"], "NOT_TRAINED");
    let nodes = job["events"]["nodes"].as_array().expect("nodes");
    assert_eq!(
        nodes.last().expect("event")["message"],
        "Fine-tuning job cancelled"
    );
    let statuses = fixture.statuses(&blocks).await;
    assert!(statuses.iter().all(|s| s == "NOT_TRAINED"), "{statuses:?}");
    let (balance, ledger) = fixture.credits().await;
    assert_eq!(balance, 1_000 - 100);
    assert_eq!(
        (&ledger[0]["reason"], &ledger[0]["amount"]),
        (&json!("REFUND"), &json!(10))
    );

    let again = fixture.app.admin_gql(CANCEL, json!({ "id": job_id })).await;
    assert_eq!(again.code(), "CONFLICT");
    assert!(
        again.message().contains("already ended"),
        "{}",
        again.message()
    );
}

#[tokio::test]
async fn cancelling_needs_an_editor_of_the_jobs_workspace() {
    let fixture = Fixture::new(1_000).await;
    let (job_id, _, _) = started(&fixture).await;
    let reader = fixture.app.token(Role::Reader).await;
    let forbidden = fixture
        .app
        .gql(&reader, CANCEL, json!({ "id": job_id }))
        .await;
    assert_eq!(forbidden.code(), "FORBIDDEN");
    let other = fixture.app.other_workspace("other").await;
    let foreign = fixture
        .app
        .gql(&other, CANCEL, json!({ "id": job_id }))
        .await;
    assert_eq!(foreign.code(), "NOT_FOUND");
    let status = fixture.refresh(&job_id).await["status"].clone();
    assert_eq!(status, "VALIDATING_FILES", "the job runs on");
}

#[tokio::test]
async fn a_provider_failure_while_cancelling_is_reported_and_changes_nothing() {
    let fixture = Fixture::new(1_000).await;
    let (job_id, _, _) = started(&fixture).await;
    fixture
        .emulator
        .fail_next("POST", "/v1/fine_tuning/jobs", 500, 50, Some(0));
    let reply = fixture.app.admin_gql(CANCEL, json!({ "id": job_id })).await;
    assert_eq!(reply.code(), "PROVIDER_ERROR");
    clear_faults(&fixture).await;
    assert_eq!(fixture.refresh(&job_id).await["status"], "VALIDATING_FILES");
    assert_eq!(fixture.credits().await.0, 1_000 - 110);
}

#[tokio::test]
async fn a_provider_error_while_refreshing_is_reported_and_a_later_refresh_works() {
    let fixture = Fixture::new(1_000).await;
    let (job_id, remote_id, _) = started(&fixture).await;
    fixture.emulator.advance(6);
    fixture
        .emulator
        .fail_next("GET", "/v1/fine_tuning/jobs", 503, 50, Some(0));
    let query = "mutation($id: ID!) { refreshTrainingJob(id: $id) { status } }";
    let failed = fixture.app.admin_gql(query, json!({ "id": job_id })).await;
    assert_eq!(failed.code(), "PROVIDER_ERROR");
    assert_eq!(
        events_page(&fixture, &job_id, 1, None).await["totalCount"],
        0
    );
    clear_faults(&fixture).await;
    assert_eq!(fixture.refresh(&job_id).await["status"], "RUNNING");
    let stored = events_page(&fixture, &job_id, 1, None).await["totalCount"].clone();
    assert_eq!(stored, remote_events(&fixture, &remote_id).await.len());
}

#[tokio::test]
async fn the_poller_waits_longer_after_each_failure_and_resumes_on_success() {
    let fixture = Fixture::new(1_000).await;
    let (job_id, _, _) = started(&fixture).await;
    let context = fixture.app.context();
    let mut backoff = Backoff::default();
    fixture
        .emulator
        .fail_next("GET", "/v1/fine_tuning/jobs", 503, 1_000, Some(0));
    let round = refresh_all(&context, &mut backoff).await.expect("round");
    assert_eq!((round.refreshed, round.failed), (0, 1));
    let asked = fixture.emulator.requests("GET", "/v1/fine_tuning/jobs");
    let round = refresh_all(&context, &mut backoff).await.expect("round");
    assert_eq!(round.skipped, 1, "one round of rest after one failure");
    assert_eq!(
        fixture.emulator.requests("GET", "/v1/fine_tuning/jobs"),
        asked
    );
    let round = refresh_all(&context, &mut backoff).await.expect("round");
    assert_eq!(round.failed, 1);
    let job = JobId::parse("id", &job_id).expect("id");
    assert_eq!(backoff.waiting(job), 2, "two rounds after two failures");
    clear_faults(&fixture).await;
    for _ in 0..2 {
        let round = refresh_all(&context, &mut backoff).await.expect("round");
        assert_eq!(round.skipped, 1);
    }
    fixture.emulator.advance(6);
    let round = refresh_all(&context, &mut backoff).await.expect("round");
    assert_eq!(round.refreshed, 1);
    assert_eq!(backoff.waiting(job), 0);
    let status = fixture.refresh(&job_id).await["status"].clone();
    assert_eq!(status, "RUNNING");
}
