//! Leases on active jobs: with several replicas on one Postgres, each active job is followed by
//! one replica at a time. A replica claims the jobs that are free, its own, or whose lease ran
//! out (its owner died), skipping rows another replica is claiming right now.

use chrono::Utc;
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::TrainingSettings;
use crate::db;
use crate::entities::training_job::{self, JobStatus};
use crate::error::Result;
use crate::ids::JobId;

/// Claims (or renews) the leases of the submitted, active jobs this replica may follow and
/// returns those jobs. On SQLite the write transaction alone serialises claims.
pub async fn claim(
    db: &DatabaseConnection,
    settings: &TrainingSettings,
) -> Result<Vec<training_job::Model>> {
    let now = Utc::now();
    let me = settings.replica_id.as_str();
    let claimable = Condition::any()
        .add(training_job::Column::LeaseOwner.is_null())
        .add(training_job::Column::LeaseOwner.eq(me))
        .add(training_job::Column::LeaseExpiresAt.lt(now));
    let txn = db::begin_write(db).await?;
    let jobs = training_job::Entity::find()
        .filter(training_job::Column::Status.is_in(JobStatus::ACTIVE))
        .filter(training_job::Column::Status.ne(JobStatus::Submitting))
        .filter(claimable)
        .order_by_asc(training_job::Column::Id)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(&txn)
        .await?;
    if !jobs.is_empty() {
        let lease =
            chrono::Duration::from_std(settings.lease_duration).unwrap_or(chrono::Duration::MAX);
        let ids: Vec<JobId> = jobs.iter().map(|job| job.id).collect();
        training_job::Entity::update_many()
            .col_expr(training_job::Column::LeaseOwner, Expr::value(me))
            .col_expr(
                training_job::Column::LeaseExpiresAt,
                Expr::value(now + lease),
            )
            .filter(training_job::Column::Id.is_in(ids))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(jobs)
}
