//! Training jobs: previewing, submitting and following fine-tuning jobs on a provider.

pub mod backoff;
pub mod cancel;
pub mod connection;
pub mod counts;
pub mod dataset;
pub mod event_types;
pub mod events;
pub mod feed;
pub mod graphql;
pub mod leases;
pub mod lifecycle;
pub mod loader;
pub mod poller;
pub mod prepare;
pub mod preview;
pub mod preview_types;
pub mod reconcile;
pub mod request;
pub mod submission_lease;
pub mod submit;
pub mod subscription;
pub mod tracking;
pub mod types;
pub mod watch;

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::entities::training_job;
use crate::entities::training_job_block;
use crate::error::Result;
use crate::ids::{BlockId, JobId, ModelId, WorkspaceId};
use crate::pagination::{self, Order, Page, PageRequest};
use crate::tenancy::{get_in, WorkspaceScoped};

pub use crate::training_settings::TrainingSettings;

/// The job with this id in the workspace.
pub async fn get(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
    id: JobId,
) -> Result<training_job::Model> {
    get_in::<training_job::Entity>(db, workspace_id, id).await
}

/// A model's jobs, newest first.
pub async fn for_model(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
    model_id: ModelId,
) -> Result<Vec<training_job::Model>> {
    Ok(training_job::Entity::in_workspace(workspace_id)
        .filter(training_job::Column::ModelId.eq(model_id))
        .order_by_desc(training_job::Column::Id)
        .all(db)
        .await?)
}

/// One page of a model's jobs, newest first.
pub async fn page_for_model(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
    model_id: ModelId,
    request: &PageRequest,
) -> Result<Page<training_job::Model>> {
    let select = training_job::Entity::in_workspace(workspace_id)
        .filter(training_job::Column::ModelId.eq(model_id));
    pagination::fetch_in_order(
        db,
        select,
        training_job::Column::Id,
        request,
        Order::NewestFirst,
    )
    .await
}

/// How many jobs a model has had.
pub async fn count_for_model(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
    model_id: ModelId,
) -> Result<u64> {
    Ok(training_job::Entity::in_workspace(workspace_id)
        .filter(training_job::Column::ModelId.eq(model_id))
        .count(db)
        .await?)
}

/// The workspace's model's job that is still active, if any.
pub async fn active_for_model(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
    model_id: ModelId,
) -> Result<Option<training_job::Model>> {
    Ok(
        training_job::Entity::active_of_model(workspace_id, model_id)
            .one(db)
            .await?,
    )
}

/// The blocks a job sent, by block id, from `after` on; at most `limit`.
pub async fn blocks_of(
    db: &impl ConnectionTrait,
    job: &training_job::Model,
    after: Option<BlockId>,
    limit: u64,
) -> Result<Vec<training_job_block::Model>> {
    let mut select =
        training_job_block::Entity::find().filter(training_job_block::Column::JobId.eq(job.id));
    if let Some(after) = after {
        select = select.filter(training_job_block::Column::BlockId.gt(after));
    }
    Ok(select
        .order_by_asc(training_job_block::Column::BlockId)
        .limit(limit)
        .all(db)
        .await?)
}
