//! Stopping the background tasks: a poll round under way when the stop comes is finished and
//! committed first, so closing the database afterwards loses nothing.

use std::time::Duration;

use serde_json::json;
use tuner::entities::training_job::JobStatus;
use tuner::supervisor::Supervisor;
use tuner::training_jobs::poller;

use super::Fixture;
use tuner::ids::{JobId, TypedId};

const JOBS: &str = "/v1/fine_tuning/jobs";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_during_a_poll_round_finishes_the_round_before_the_pool_closes() {
    let fixture = Fixture::new(1_000).await;
    fixture.blocks(10, None).await;
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    assert_eq!(job["status"], "VALIDATING_FILES");
    let job_id = job["id"].as_str().expect("id").to_owned();
    // The provider has finished the job, and is slow to say so.
    fixture.emulator.advance(3_600);
    fixture.emulator.hold_responses("GET", JOBS, 1_500);
    let asked = fixture.emulator.requests("GET", JOBS);
    let supervisor = Supervisor::new();
    let context = fixture.app.context();
    supervisor.spawn("job poller", |stop| poller::poll(context, stop));
    for _ in 0..200 {
        if fixture.emulator.requests("GET", JOBS) > asked {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        fixture.emulator.requests("GET", JOBS) > asked,
        "a round began"
    );
    assert!(supervisor.shutdown(Duration::from_secs(30)).await);
    fixture
        .app
        .db
        .clone()
        .close()
        .await
        .expect("close the pool");
    // What the round learnt was committed before the pool closed.
    let reopened = tuner::db::connect(&fixture.app.database_url)
        .await
        .expect("reopen");
    let stored = tuner::training_jobs::get(
        &reopened,
        fixture.app.workspace_id,
        JobId::parse("id", &job_id).expect("id"),
    )
    .await
    .expect("job");
    assert_eq!(stored.status, JobStatus::Succeeded);
}
