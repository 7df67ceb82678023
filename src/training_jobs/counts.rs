//! How many training jobs each status holds, across every workspace: the operator's view that
//! the metrics scrape reports. Counts only, no row, so reaching past the workspace scope leaks
//! nothing to a client.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ConnectionTrait, EntityTrait, Iterable, QuerySelect};

use crate::entities::training_job::{self, JobStatus};
use crate::error::Result;

/// Every status with its number of jobs (0 for statuses no job has), in one grouped query.
pub async fn count_by_status(db: &impl ConnectionTrait) -> Result<Vec<(String, i64)>> {
    let rows: Vec<(String, i64)> = training_job::Entity::find()
        .select_only()
        .column(training_job::Column::Status)
        .column_as(Expr::col(training_job::Column::Id).count(), "jobs")
        .group_by(training_job::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    Ok(JobStatus::iter()
        .map(|status| {
            let name = sea_orm::ActiveEnum::to_value(&status);
            let jobs = rows
                .iter()
                .find(|(stored, _)| *stored == name)
                .map_or(0, |(_, jobs)| *jobs);
            (name, jobs)
        })
        .collect())
}
