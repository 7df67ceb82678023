//! Following jobs at the provider: status changes, the fine-tuned model, events and checkpoints
//! (see [`super::events`]), settling a job that ended (a failed or cancelled job gives its blocks
//! back and refunds their credits), and the poller that does it for every active job.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::backoff::Backoff;
use super::{events, TrainingSettings};
use crate::app_context::AppContext;
use crate::entities::credit_ledger::LedgerReason;
use crate::entities::custom_model::{self, ModelStatus};
use crate::entities::training_block::{self, TrainingStatus};
use crate::entities::training_job::{self, JobStatus};
use crate::error::{Error, Result};
use crate::provider::{FineTuningProvider, ProviderJob, ProviderJobStatus};
use crate::workspaces::credentials;
use crate::{credits, db, workspaces};

/// tuner's status for a provider status; statuses tuner does not know count as running.
pub fn job_status(status: &ProviderJobStatus) -> JobStatus {
    match status {
        ProviderJobStatus::ValidatingFiles => JobStatus::ValidatingFiles,
        ProviderJobStatus::Queued => JobStatus::Queued,
        ProviderJobStatus::Running | ProviderJobStatus::Other(_) => JobStatus::Running,
        ProviderJobStatus::Paused => JobStatus::Paused,
        ProviderJobStatus::Succeeded => JobStatus::Succeeded,
        ProviderJobStatus::Failed => JobStatus::Failed,
        ProviderJobStatus::Cancelled => JobStatus::Cancelled,
    }
}

fn timestamp(seconds: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(seconds, 0)
}

/// Stores what the provider says of a submitted job; when the job just ended, settles it.
pub async fn apply(
    txn: &DatabaseTransaction,
    settings: &TrainingSettings,
    job: training_job::Model,
    remote: &ProviderJob,
) -> Result<training_job::Model> {
    let was_terminal = job.status.is_terminal();
    let mut updated: training_job::ActiveModel = job.into();
    updated.status = Set(job_status(&remote.status));
    updated.fine_tuned_model = Set(remote.fine_tuned_model.clone());
    updated.trained_tokens = Set(remote.trained_tokens.and_then(|t| i64::try_from(t).ok()));
    updated.error_code = Set(remote.error.as_ref().and_then(|e| e.code.clone()));
    updated.error_message = Set(remote.error.as_ref().map(|e| e.message.clone()));
    updated.finished_at = Set(remote.finished_at.and_then(timestamp));
    updated.updated_at = Set(Utc::now());
    let job = updated.update(txn).await?;
    if !was_terminal && job.status.is_terminal() {
        settle(txn, settings, &job).await?;
    }
    Ok(job)
}

/// Consequences of a job's end for its model, its blocks and the ledger.
async fn settle(
    txn: &DatabaseTransaction,
    settings: &TrainingSettings,
    job: &training_job::Model,
) -> Result<()> {
    let Some(model) = custom_model::Entity::find_by_id(job.model_id)
        .one(txn)
        .await?
    else {
        return Ok(());
    };
    let mut model: custom_model::ActiveModel = model.into();
    if job.status == JobStatus::Succeeded {
        model.status = Set(ModelStatus::Ready);
        model.fine_tuned_model = Set(job.fine_tuned_model.clone());
    } else {
        give_blocks_back(txn, settings, job).await?;
        let previous = model.fine_tuned_model.clone().take().flatten();
        model.status = Set(match (previous.is_some(), job.status) {
            (true, _) => ModelStatus::Ready,
            (false, JobStatus::Cancelled) => ModelStatus::NotTrained,
            (false, _) => ModelStatus::Failed,
        });
    }
    model.updated_at = Set(Utc::now());
    model.update(txn).await?;
    Ok(())
}

/// A failed or cancelled job's blocks go back to NOT_TRAINED and their credits are refunded
/// (the job fee is not).
async fn give_blocks_back(
    txn: &DatabaseTransaction,
    settings: &TrainingSettings,
    job: &training_job::Model,
) -> Result<()> {
    training_block::Entity::update_many()
        .col_expr(
            training_block::Column::Status,
            Expr::value(TrainingStatus::NotTrained),
        )
        .col_expr(
            training_block::Column::TrainedByJobId,
            Expr::value(Option::<Uuid>::None),
        )
        .col_expr(training_block::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(training_block::Column::TrainedByJobId.eq(job.id))
        .exec(txn)
        .await?;
    let block_credits = job.charge_credits - settings.job_fee_credits.min(job.charge_credits);
    if job.submitted_at.is_some() && block_credits > 0 {
        credits::post(
            txn,
            job.workspace_id,
            block_credits,
            LedgerReason::Refund,
            Some(job.id),
        )
        .await?;
    }
    Ok(())
}

/// Asks the provider about one submitted, active job and stores what changed, with the job's
/// new events and checkpoints.
pub async fn refresh(app: &AppContext, job_id: Uuid) -> Result<training_job::Model> {
    let job = training_job::Entity::find_by_id(job_id)
        .one(&app.db)
        .await?
        .ok_or_else(|| Error::not_found("training job", job_id))?;
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
    let job = if current.status.is_terminal() {
        current
    } else {
        apply(&txn, &app.training, current, remote).await?
    };
    app.commit_job_change(txn, &job).await?;
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
        match refresh(app, job.id).await {
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

/// Follows active jobs, every `poll_interval`, until `stop` is cancelled (a round under way is
/// finished first); also repairs interrupted submissions (see [`super::reconcile`]) at start and
/// then every half submission lease (at most every poll interval), so a job is repaired soon
/// after its submitter's lease ran out.
pub async fn poll(app: AppContext, stop: CancellationToken) {
    let settings = &app.training;
    let mut polls = tokio::time::interval(settings.poll_interval.max(Duration::from_secs(1)));
    let mut repairs = tokio::time::interval(repair_period(settings));
    // A slow round pushes the next one back rather than starving the other kind.
    polls.set_missed_tick_behavior(MissedTickBehavior::Delay);
    repairs.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut backoff = Backoff::default();
    loop {
        tokio::select! {
            biased;
            () = stop.cancelled() => return,
            _ = repairs.tick() => {
                if let Err(err) = super::reconcile::reconcile_submissions(&app).await {
                    tracing::warn!(error = %crate::error::report(&err), "cannot reconcile interrupted submissions");
                }
            }
            _ = polls.tick() => {
                if let Err(err) = refresh_all(&app, &mut backoff).await {
                    tracing::warn!(error = %crate::error::report(&err), "cannot list active training jobs");
                }
            }
        }
    }
}

/// Time between two reconciliation passes: half a submission lease, within 1 s and the poll
/// interval.
fn repair_period(settings: &TrainingSettings) -> Duration {
    (settings.submission_lease / 2)
        .min(settings.poll_interval)
        .max(Duration::from_secs(1))
}
