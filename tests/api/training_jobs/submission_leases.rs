//! Submission leases: a submission under way keeps its job however long the provider takes; a
//! job left SUBMITTING without a lease (by an older version) is repaired a lease after it was
//! created.

use std::time::Duration;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tuner::entities::training_job::{self, JobStatus};
use tuner::training_jobs::prepare::prepare;
use tuner::training_jobs::reconcile::{reconcile_submissions, Reconciled};
use tuner::training_jobs::request::JobRequest;
use tuner::training_jobs::submit;
use tuner::training_jobs::TrainingSettings;

use super::Fixture;
use tuner::ids::{ModelId, TypedId};

const CREATE: &str = "/v1/fine_tuning/jobs";

fn replica(fixture: &Fixture, name: &str, lease: Duration) -> TrainingSettings {
    TrainingSettings {
        replica_id: name.to_owned(),
        submission_lease: lease,
        ..fixture.app.training.clone()
    }
}

async fn only_job(fixture: &Fixture) -> training_job::Model {
    let jobs = training_job::Entity::find()
        .all(&fixture.app.db)
        .await
        .expect("jobs");
    assert_eq!(jobs.len(), 1);
    jobs.into_iter().next().expect("job")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewed_submission_lease_is_not_taken_over_while_the_submission_is_under_way() {
    let fixture = Fixture::new(1_000).await;
    fixture.blocks(10, None).await;
    let lease = Duration::from_secs(1);
    let (a, b) = (replica(&fixture, "a", lease), replica(&fixture, "b", lease));
    // The provider creates the job at once but answers only 5 s later.
    fixture.emulator.hold_responses("POST", CREATE, 5_000);
    let a = fixture.app.context_with(a);
    let (workspace, model) = (
        fixture.app.workspace_id,
        ModelId::parse("id", &fixture.model_id).expect("model id"),
    );
    let submission =
        tokio::spawn(async move { submit::run(&a, workspace, model, JobRequest::default()).await });
    for _ in 0..600 {
        if !fixture.emulator.jobs().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(fixture.emulator.jobs().len(), 1, "the provider job exists");
    // Twice the lease: only renewals keep the job a's.
    tokio::time::sleep(lease * 2).await;
    let outcome = reconcile_submissions(&fixture.app.context_with(b))
        .await
        .expect("reconcile");
    assert_eq!(outcome, Reconciled::default(), "b left the job alone");
    let job = only_job(&fixture).await;
    assert_eq!(job.status, JobStatus::Submitting);
    assert_eq!(job.lease_owner.as_deref(), Some("a"));
    assert!(job.lease_expires_at.expect("lease") > Utc::now(), "renewed");

    let job = submission.await.expect("task").expect("submitted");
    assert_eq!(job.status, JobStatus::ValidatingFiles);
    assert_eq!(fixture.emulator.requests("POST", CREATE), 1);
    assert_eq!(fixture.credits().await.0, 1_000 - 110);
}

#[tokio::test]
async fn a_job_recorded_without_a_lease_is_repaired_a_lease_after_it_was_created() {
    let fixture = Fixture::new(1_000).await;
    fixture.blocks(10, None).await;
    let context = fixture.app.context();
    let model = ModelId::parse("id", &fixture.model_id).expect("model id");
    let (job, _file) = prepare(
        &context,
        fixture.app.workspace_id,
        model,
        &JobRequest::default(),
    )
    .await
    .expect("step 1");
    // As an older version recorded it: SUBMITTING, no lease.
    let update = |column, value: Expr| {
        training_job::Entity::update_many()
            .col_expr(column, value)
            .filter(training_job::Column::Id.eq(job.id))
            .exec(&fixture.app.db)
    };
    update(
        training_job::Column::LeaseOwner,
        Expr::value(Option::<String>::None),
    )
    .await
    .expect("no owner");
    update(
        training_job::Column::LeaseExpiresAt,
        Expr::value(Option::<chrono::DateTime<Utc>>::None),
    )
    .await
    .expect("no lease");
    let settings = replica(&fixture, "b", Duration::from_secs(60));
    let other = fixture.app.context_with(settings);
    let reconcile = || reconcile_submissions(&other);
    assert_eq!(
        reconcile().await.expect("reconcile"),
        Reconciled::default(),
        "created just now"
    );
    let created = Utc::now() - chrono::Duration::seconds(61);
    update(training_job::Column::CreatedAt, Expr::value(created))
        .await
        .expect("older");
    assert_eq!(reconcile().await.expect("reconcile").failed, 1);
    assert_eq!(only_job(&fixture).await.status, JobStatus::Failed);
}
