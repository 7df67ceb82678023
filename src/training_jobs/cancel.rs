//! Cancelling a job at the provider. The cancelled job is then recorded like a refresh, so it
//! gives its blocks back and refunds their credits (see [`super::tracking`]).

use sea_orm::ActiveEnum;

use super::tracking;
use crate::app_context::AppContext;
use crate::entities::training_job::{self, JobStatus};
use crate::error::{Error, Result};
use crate::ids::{JobId, WorkspaceId};

/// Asks the provider to cancel the workspace's job `id` and records the job it returns.
pub async fn cancel(
    app: &AppContext,
    workspace_id: WorkspaceId,
    id: JobId,
) -> Result<training_job::Model> {
    let job = super::get(&app.db, workspace_id, id).await?;
    if job.status.is_terminal() {
        return Err(Error::conflict(
            "id",
            format!(
                "the training job has already ended ({}); only an active job can be cancelled",
                job.status.to_value()
            ),
        ));
    }
    let Some(provider_job_id) = job
        .provider_job_id
        .clone()
        .filter(|_| job.status != JobStatus::Submitting)
    else {
        return Err(Error::conflict(
            "id",
            "the training job is still being submitted; wait until the provider has the job, \
             then cancel it",
        ));
    };
    let provider = tracking::provider_for(app, &job).await?;
    let remote = provider
        .cancel_job(&provider_job_id)
        .await
        .map_err(|err| Error::Provider(err.message()))?;
    tracking::record(app, provider.as_ref(), job, &remote).await
}
