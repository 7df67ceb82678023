//! Following jobs at the provider: asking about a job, storing its new events and checkpoints
//! (see [`super::events`]) and what it became (see [`super::lifecycle::apply`]), for one job or
//! for every active job this replica holds (see [`super::poller`]).

use std::collections::HashSet;

use sea_orm::EntityTrait;

use super::backoff::Backoff;
use super::{events, lifecycle};
use crate::app_context::AppContext;
use crate::entities::training_job::{self, JobStatus};
use crate::error::{Error, Result};
use crate::ids::{JobId, WorkspaceId};
use crate::provider::{FineTuningProvider, ProviderJob, Serving};
use crate::workspaces::credentials;
use crate::{db, workspaces};

/// Asks the provider about the workspace's job `job_id` (if it is submitted and active) and
/// stores what changed, with the job's new events and checkpoints.
pub async fn refresh(
    app: &AppContext,
    workspace_id: WorkspaceId,
    job_id: JobId,
) -> Result<training_job::Model> {
    let job = super::get(&app.db, workspace_id, job_id).await?;
    let Some(provider_job_id) = job
        .provider_job_id
        .clone()
        .filter(|_| !job.status.is_terminal())
    else {
        return Ok(job);
    };
    let provider = provider_for(app, &job).await?;
    let remote = provider
        .get_job(&provider_job_id)
        .await
        .map_err(|err| Error::Provider(err.message()))?;
    record(app, provider.as_ref(), job, &remote).await
}

/// The provider client for a job, with its workspace's credentials.
pub async fn provider_for(
    app: &AppContext,
    job: &training_job::Model,
) -> Result<std::sync::Arc<dyn FineTuningProvider>> {
    credentials::connect(app, job.workspace_id, &job.provider).await
}

/// Fetches the job's new events and checkpoints, then stores them and `remote` (what the
/// provider just said of the job) in one write transaction.
pub async fn record(
    app: &AppContext,
    provider: &dyn FineTuningProvider,
    job: training_job::Model,
    remote: &ProviderJob,
) -> Result<training_job::Model> {
    let fetched = events::fetch_new(&app.db, provider, job.id, &remote.id, &remote.status).await?;
    let txn = db::begin_write(&app.db).await?;
    workspaces::lock(&txn, job.workspace_id).await?;
    let current = training_job::Entity::find_by_id(job.id)
        .one(&txn)
        .await?
        .unwrap_or(job);
    events::store(&txn, current.id, &fetched).await?;
    let was_active = !current.status.is_terminal();
    let job = if was_active {
        lifecycle::apply(&txn, &app.training, current, remote, provider.serving()).await?
    } else {
        current
    };
    app.commit_job_change(txn, &job).await?;
    let just_succeeded = was_active && job.status == JobStatus::Succeeded;
    if just_succeeded && job.deploy_on_success && provider.serving() == Serving::AfterDeployment {
        // The job is done either way; a deployment that fails to start is logged and can be
        // asked for again with deployCustomModel.
        let chosen = job.deployment_options.clone().unwrap_or_default().into();
        let deployed = crate::deployments::deploy(app, job.workspace_id, job.model_id, chosen);
        if let Err(error) = deployed.await {
            tracing::warn!(job = %job.id, error = %crate::error::report(&error), "cannot deploy the trained model");
        }
    }
    Ok(job)
}

/// What one round of the poller did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// Jobs refreshed.
    pub refreshed: usize,
    /// Jobs whose refresh failed (they now wait, see [`Backoff`]).
    pub failed: usize,
    /// Jobs skipped because an earlier refresh failed.
    pub skipped: usize,
}

/// Refreshes once every submitted, active job this replica holds the lease of (claiming free
/// and expired ones) that is not waiting after a failure.
pub async fn refresh_all(app: &AppContext, backoff: &mut Backoff) -> Result<Round> {
    let active = super::leases::claim(&app.db, &app.training).await?;
    backoff.retain(&active.iter().map(|job| job.id).collect::<HashSet<_>>());
    let mut round = Round::default();
    for job in &active {
        if !backoff.due(job.id) {
            round.skipped += 1;
            continue;
        }
        match refresh(app, job.workspace_id, job.id).await {
            Ok(_) => {
                backoff.succeeded(job.id);
                round.refreshed += 1;
            }
            Err(err) => {
                tracing::warn!(job = %job.id, error = %crate::error::report(&err), "cannot refresh training job");
                backoff.failed(job.id, app.training.poll_interval);
                round.failed += 1;
            }
        }
    }
    Ok(round)
}
