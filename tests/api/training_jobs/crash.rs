//! A `tuner serve` killed (SIGKILL) while a submission is in flight, after the provider created
//! the job but before tuner recorded it: the next server on the same database completes the
//! job from the provider's job once the submission's lease has run out.

use std::time::{Duration, Instant};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use tuner::entities::training_job::{self, JobStatus};

use super::{Fixture, API_KEY};
use crate::cli::Server;

const CREATE: &str = "/v1/fine_tuning/jobs";
/// Seconds of the servers' submission lease: short, so that the test is.
const LEASE: &str = "3";
/// However slow the machine, the job is repaired long before this.
const DEADLINE: Duration = Duration::from_secs(60);

/// Posts a GraphQL operation to a running server.
async fn gql(address: &str, token: &str, query: &str, variables: Value) -> reqwest::Result<Value> {
    reqwest::Client::new()
        .post(format!("http://{address}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await?
        .json()
        .await
}

async fn job_row(fixture: &Fixture) -> Option<training_job::Model> {
    training_job::Entity::find()
        .filter(training_job::Column::WorkspaceId.eq(fixture.app.workspace_id))
        .one(&fixture.app.db)
        .await
        .expect("job")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submission_cut_short_by_sigkill_is_completed_by_the_next_server_within_its_lease() {
    let fixture = Fixture::new(1_000).await;
    let blocks = fixture.blocks(10, None).await;
    let env = [
        ("TUNER_SUBMISSION_LEASE", LEASE),
        ("TUNER_POLL_INTERVAL", "1"),
    ];
    let first = Server::start_with(&fixture.app.database_url, &env);
    // The credentials again, sealed with the servers' key this time.
    let set = "mutation($k: String!, $u: String) { setProviderCredentials(provider: \"openai\", apiKey: $k, baseUrl: $u) { provider } }";
    let vars = json!({ "k": API_KEY, "u": fixture.emulator.base_url() });
    let reply = gql(&first.address, &fixture.app.admin, set, vars).await;
    assert!(reply.expect("set").get("errors").is_none());

    // The provider creates the job at once and keeps its answer: the kill lands in between.
    fixture.emulator.hold_responses("POST", CREATE, 600_000);
    let run = "mutation($id: ID!) { runTrainingJob(modelId: $id) { id } }";
    let (address, admin) = (first.address.clone(), fixture.app.admin.clone());
    let vars = json!({ "id": fixture.model_id });
    let pending = tokio::spawn(async move { gql(&address, &admin, run, vars).await });
    let started = Instant::now();
    while fixture.emulator.jobs().is_empty() && started.elapsed() < DEADLINE {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let remote = fixture.emulator.jobs();
    assert_eq!(remote.len(), 1, "the provider job exists");
    let job = job_row(&fixture).await.expect("recorded");
    assert_eq!(job.status, JobStatus::Submitting);
    assert!(job.lease_owner.is_some(), "the submission holds a lease");

    let status = first.kill();
    assert!(!status.success(), "killed: {status:?}");
    assert!(pending.await.expect("task").is_err(), "never answered");
    fixture.emulator.hold_responses("POST", CREATE, 0);
    assert_eq!(
        job_row(&fixture).await.expect("job").status,
        JobStatus::Submitting
    );

    let second = Server::start_with(&fixture.app.database_url, &env);
    let started = Instant::now();
    let mut job = job_row(&fixture).await.expect("job");
    while job.status == JobStatus::Submitting && started.elapsed() < DEADLINE {
        tokio::time::sleep(Duration::from_millis(200)).await;
        job = job_row(&fixture).await.expect("job");
    }
    assert_eq!(job.status, JobStatus::ValidatingFiles, "{job:?}");
    assert_eq!(job.provider_job_id.as_deref(), remote[0]["id"].as_str());
    assert_eq!(
        fixture.emulator.requests("POST", CREATE),
        1,
        "submitted once"
    );
    assert!(fixture
        .statuses(&blocks)
        .await
        .iter()
        .all(|s| s == "TRAINED"));
    let (balance, ledger) = fixture.credits().await;
    assert_eq!(balance, 1_000 - 110, "charged once: {ledger:?}");
    assert_eq!(ledger.iter().filter(|e| e["jobId"].is_string()).count(), 2);
    second.stop();
}
