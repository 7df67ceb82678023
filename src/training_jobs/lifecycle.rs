//! The life of a training job in one place: its states, the moves between them, and what each
//! move does to the job's blocks, its model, the workspace's credits and the announcements.
//!
//! ```text
//! SUBMITTING --complete_submission--> VALIDATING_FILES | QUEUED | RUNNING | ... (blocks TRAINED,
//!      |                              model TRAINING, fee + block credits charged)
//!      +--fail_unsubmitted----------> FAILED (nothing was changed or charged)
//! active --apply (provider's word)--> another active state, or an end:
//!      SUCCEEDED: model READY with the fine-tuned model, or TRAINED (not callable until
//!      deployed) when the provider serves models only after a deployment
//!      FAILED / CANCELLED: blocks back to NOT_TRAINED, block credits refunded, model back to
//!      READY (an earlier fine-tuned model), NOT_TRAINED (cancelled) or FAILED
//! ```
//!
//! Submitting ([`super::submit`]), polling and cancelling ([`super::tracking`], [`super::cancel`]),
//! repairing ([`super::reconcile`]) and webhooks all move jobs through these functions only.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};

use super::TrainingSettings;
use crate::app_context::AppContext;
use crate::entities::credit_ledger::LedgerReason;
use crate::entities::custom_model::{self, ModelStatus};
use crate::entities::training_block::{self, TrainingStatus};
use crate::entities::training_job::{self, JobStatus};
use crate::entities::training_job_block;
use crate::error::{Error, Result};
use crate::ids::JobId;
use crate::provider::{ProviderError, ProviderJob, ProviderJobStatus, Serving};
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
/// `serving` says when the provider's trained models can be called.
pub async fn apply(
    txn: &DatabaseTransaction,
    settings: &TrainingSettings,
    job: training_job::Model,
    remote: &ProviderJob,
    serving: Serving,
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
        settle(txn, settings, &job, serving).await?;
    }
    Ok(job)
}

/// Consequences of a job's end for its model, its blocks and the ledger.
async fn settle(
    txn: &DatabaseTransaction,
    settings: &TrainingSettings,
    job: &training_job::Model,
    serving: Serving,
) -> Result<()> {
    let Some(model) = custom_model::Entity::find_by_id(job.model_id)
        .one(txn)
        .await?
    else {
        return Ok(());
    };
    // A trained model the provider serves only once deployed is TRAINED, not READY.
    let trained = match serving {
        Serving::Immediate => ModelStatus::Ready,
        Serving::AfterDeployment => ModelStatus::Trained,
    };
    let mut model: custom_model::ActiveModel = model.into();
    if job.status == JobStatus::Succeeded {
        model.status = Set(trained);
        model.fine_tuned_model = Set(job.fine_tuned_model.clone());
        if serving == Serving::Immediate {
            // Bots switch to the new model in this same transaction.
            model.serving_job_id = Set(Some(job.id));
            model.serving_model = Set(job.fine_tuned_model.clone());
            model.serving_deployment_id = Set(None);
        }
    } else {
        give_blocks_back(txn, settings, job).await?;
        let previous = model.fine_tuned_model.clone().take().flatten();
        // The model is back where it was: serving its newest trained model, or waiting for it
        // to be deployed.
        let serves_newest = model.serving_model.clone().take().flatten().is_some()
            && model.deployment_id.clone().take() == model.serving_deployment_id.clone().take();
        model.status = Set(match (previous.is_some(), job.status) {
            (true, _) if serves_newest => ModelStatus::Ready,
            (true, _) => trained,
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
            Expr::value(Option::<JobId>::None),
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

/// Marks a job that never reached the provider FAILED with the provider's message. Its blocks
/// were never changed and nothing was charged.
pub async fn fail_submission(
    app: &AppContext,
    job_id: JobId,
    err: &ProviderError,
) -> Result<training_job::Model> {
    let code = match err {
        ProviderError::Rejected {
            code: Some(code), ..
        } => code.clone(),
        ProviderError::Unauthorized { .. } => "unauthorized".to_owned(),
        _ => "provider_error".to_owned(),
    };
    fail_unsubmitted(app, job_id, &code, &err.message()).await
}

/// Marks a job still SUBMITTING as FAILED with this reason.
pub async fn fail_unsubmitted(
    app: &AppContext,
    job_id: JobId,
    code: &str,
    message: &str,
) -> Result<training_job::Model> {
    let db = &app.db;
    let now = Utc::now();
    let failed = training_job::Entity::update_many()
        .col_expr(training_job::Column::Status, Expr::value(JobStatus::Failed))
        .col_expr(training_job::Column::ErrorCode, Expr::value(code))
        .col_expr(training_job::Column::ErrorMessage, Expr::value(message))
        .col_expr(training_job::Column::FinishedAt, Expr::value(now))
        .col_expr(training_job::Column::UpdatedAt, Expr::value(now))
        .filter(training_job::Column::Id.eq(job_id))
        .filter(training_job::Column::Status.eq(JobStatus::Submitting))
        .exec(db)
        .await?;
    let job = training_job::Entity::find_by_id(job_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("training job", job_id))?;
    if failed.rows_affected > 0 {
        app.announce_job_change(&job).await?;
    }
    Ok(job)
}

/// Step 3: marks the job's blocks TRAINED, moves job and model on, and charges the workspace,
/// all at once. Does nothing when the job is no longer SUBMITTING (another process did it).
pub async fn complete_submission(
    app: &AppContext,
    job_id: JobId,
    remote: &ProviderJob,
    serving: Serving,
) -> Result<training_job::Model> {
    let settings = &app.training;
    let txn = db::begin_write(&app.db).await?;
    let job = training_job::Entity::find_by_id(job_id)
        .one(&txn)
        .await?
        .ok_or_else(|| Error::not_found("training job", job_id))?;
    workspaces::lock(&txn, job.workspace_id).await?;
    let job = training_job::Entity::find_by_id(job_id)
        .one(&txn)
        .await?
        .unwrap_or(job);
    if job.status != JobStatus::Submitting {
        return Ok(job);
    }
    mark_blocks_trained(&txn, &job).await?;
    let now = Utc::now();
    custom_model::Entity::update_many()
        .col_expr(
            custom_model::Column::Status,
            Expr::value(crate::entities::custom_model::ModelStatus::Training),
        )
        .col_expr(custom_model::Column::UpdatedAt, Expr::value(now))
        .filter(custom_model::Column::Id.eq(job.model_id))
        .exec(&txn)
        .await?;
    let fee = settings.job_fee_credits.min(job.charge_credits);
    credits::post(
        &txn,
        job.workspace_id,
        -fee,
        LedgerReason::JobFee,
        Some(job.id),
    )
    .await?;
    if job.charge_credits > fee {
        credits::post(
            &txn,
            job.workspace_id,
            fee - job.charge_credits,
            LedgerReason::BlockCredits,
            Some(job.id),
        )
        .await?;
    }
    let mut submitted: training_job::ActiveModel = job.clone().into();
    submitted.provider_job_id = Set(Some(remote.id.clone()));
    submitted.submitted_at = Set(Some(now));
    submitted.status = Set(JobStatus::ValidatingFiles);
    let submitted = submitted.update(&txn).await?;
    let job = apply(&txn, settings, submitted, remote, serving).await?;
    app.commit_job_change(txn, &job).await?;
    Ok(job)
}

async fn mark_blocks_trained(txn: &DatabaseTransaction, job: &training_job::Model) -> Result<()> {
    let sent = sea_orm::sea_query::Query::select()
        .column(training_job_block::Column::BlockId)
        .from(training_job_block::Entity)
        .and_where(training_job_block::Column::JobId.eq(job.id))
        .to_owned();
    training_block::Entity::update_many()
        .col_expr(
            training_block::Column::Status,
            Expr::value(TrainingStatus::Trained),
        )
        .col_expr(training_block::Column::TrainedByJobId, Expr::value(job.id))
        .col_expr(training_block::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(training_block::Column::WorkspaceId.eq(job.workspace_id))
        .filter(training_block::Column::Id.in_subquery(sent))
        // Blocks a move trains again keep the job that first trained them, so that a failed
        // move gives back only the blocks it trained for the first time.
        .filter(training_block::Column::Status.ne(TrainingStatus::Trained))
        .exec(txn)
        .await?;
    Ok(())
}
