//! Leases on submissions: the process submitting a job holds a lease on it (in the job's
//! `lease_owner` / `lease_expires_at`, which [`super::leases`] uses for jobs once submitted)
//! and renews it while the upload and the job creation last. Once the lease has run out the
//! submitter is taken to be dead, and any replica may take the job over to repair it (see
//! [`super::reconcile`]). Jobs recorded without a lease (by older versions) count from when
//! they were created.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};

use super::TrainingSettings;
use crate::entities::training_job::{self, JobStatus};
use crate::error::Result;
use crate::ids::JobId;

/// Shortest time between two renewals, whatever the lease's length.
const MIN_RENEWAL_PERIOD: Duration = Duration::from_millis(100);

/// The lease's length as a chrono duration.
pub fn length(settings: &TrainingSettings) -> chrono::Duration {
    chrono::Duration::from_std(settings.submission_lease).unwrap_or(chrono::Duration::MAX)
}

/// When a lease taken or renewed at `now` ends.
pub fn expiry(settings: &TrainingSettings, now: DateTime<Utc>) -> DateTime<Utc> {
    now.checked_add_signed(length(settings))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// SUBMITTING jobs whose lease has run out at `now`, or that have none and were created at
/// least one lease length ago.
pub fn lapsed(settings: &TrainingSettings, now: DateTime<Utc>) -> Condition {
    let created_before = now
        .checked_sub_signed(length(settings))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    Condition::all()
        .add(training_job::Column::Status.eq(JobStatus::Submitting))
        .add(
            Condition::any()
                .add(training_job::Column::LeaseExpiresAt.lt(now))
                .add(
                    Condition::all()
                        .add(training_job::Column::LeaseExpiresAt.is_null())
                        .add(training_job::Column::CreatedAt.lte(created_before)),
                ),
        )
}

/// Takes over the lease of a SUBMITTING job whose lease has lapsed; false when it has not (its
/// submitter renewed it, or another replica took it first). One UPDATE decides, so two
/// replicas never both take the same job.
pub async fn take_over(
    db: &impl ConnectionTrait,
    settings: &TrainingSettings,
    job_id: JobId,
) -> Result<bool> {
    let now = Utc::now();
    let taken = training_job::Entity::update_many()
        .col_expr(
            training_job::Column::LeaseOwner,
            Expr::value(settings.replica_id.as_str()),
        )
        .col_expr(
            training_job::Column::LeaseExpiresAt,
            Expr::value(expiry(settings, now)),
        )
        .filter(training_job::Column::Id.eq(job_id))
        .filter(lapsed(settings, now))
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Extends this replica's lease on a job it is submitting; false when the job is no longer
/// SUBMITTING or no longer this replica's.
pub async fn renew(
    db: &impl ConnectionTrait,
    settings: &TrainingSettings,
    job_id: JobId,
) -> Result<bool> {
    let renewed = training_job::Entity::update_many()
        .col_expr(
            training_job::Column::LeaseExpiresAt,
            Expr::value(expiry(settings, Utc::now())),
        )
        .filter(training_job::Column::Id.eq(job_id))
        .filter(training_job::Column::Status.eq(JobStatus::Submitting))
        .filter(training_job::Column::LeaseOwner.eq(settings.replica_id.as_str()))
        .exec(db)
        .await?;
    Ok(renewed.rows_affected == 1)
}

/// Runs `work` (the submission of `job_id`) while renewing its lease every third of the
/// lease's length. Renewals stop when `work` ends, however it ends (even when it is dropped).
pub async fn renewing<T>(
    db: &impl ConnectionTrait,
    settings: &TrainingSettings,
    job_id: JobId,
    work: impl Future<Output = T>,
) -> T {
    tokio::select! {
        biased;
        out = work => out,
        never = renew_until_lost(db, settings, job_id) => match never {},
    }
}

/// Renews the lease forever; once it is lost, waits forever.
async fn renew_until_lost(
    db: &impl ConnectionTrait,
    settings: &TrainingSettings,
    job_id: JobId,
) -> std::convert::Infallible {
    let period = (settings.submission_lease / 3).max(MIN_RENEWAL_PERIOD);
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match renew(db, settings, job_id).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!(job = %job_id, "the submission's lease is no longer this replica's (the job moved on, or another replica took it over)");
                return std::future::pending().await;
            }
            // A renewal that fails is tried again at the next tick; the lease lasts three.
            Err(err) => {
                tracing::warn!(job = %job_id, error = %crate::error::report(&err), "cannot renew the submission's lease")
            }
        }
    }
}
