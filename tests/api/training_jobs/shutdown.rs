//! Stopping the background tasks: a poll round under way when the stop comes is finished and
//! committed first, so closing the database afterwards loses nothing; a slow check of the
//! providers' shutdown days holds up neither the poll rounds nor the stop.

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_model_list_holds_up_neither_the_job_polling_nor_the_stop() {
    let fixture = Fixture::new(1_000).await;
    fixture.blocks(10, None).await;
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    let job_id = JobId::parse("id", job["id"].as_str().expect("id")).expect("id");
    fixture.emulator.advance(3_600);
    // The shutdown-day check (the model list) answers after a minute.
    fixture.emulator.hold_responses("GET", "/v1/models", 60_000);
    let supervisor = Supervisor::new();
    let context = fixture.app.context();
    supervisor.spawn("job poller", |stop| poller::poll(context, stop));
    let mut status = JobStatus::ValidatingFiles;
    for _ in 0..200 {
        let job = tuner::training_jobs::get(&fixture.app.db, fixture.app.workspace_id, job_id)
            .await
            .expect("job");
        status = job.status;
        if status == JobStatus::Succeeded {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(
        status,
        JobStatus::Succeeded,
        "polled while the model list hangs"
    );
    assert_eq!(
        fixture.emulator.requests("GET", "/v1/models"),
        1,
        "the check is under way"
    );
    assert!(
        supervisor.shutdown(Duration::from_secs(5)).await,
        "the stop does not wait for the model list"
    );
}
