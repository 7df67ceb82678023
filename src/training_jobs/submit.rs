//! `runTrainingJob`: record the job and its exact blocks, upload, start, then mark and charge.
//!
//! 1. [`super::prepare`] records the job in one transaction, or changes nothing.
//! 2. The file is uploaded and the provider job created, tagged with the job id in its metadata.
//!    A failure here marks the job FAILED with the provider's message; nothing else changed.
//! 3. One write transaction marks the blocks TRAINED, moves job and model on, and charges.
//!    The submitting process holds a lease on the job from step 1 to the end of step 3 and
//!    renews it meanwhile (see [`super::submission_lease`]); if it dies between 2 and 3, any
//!    replica repairs the job once the lease has run out (see [`super::reconcile`]).

use std::collections::BTreeMap;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};
use tempfile::NamedTempFile;
use uuid::Uuid;

use super::prepare::prepare;
use super::request::{JobHyperparameters, JobRequest};
use super::{submission_lease, tracking};
use crate::app_context::AppContext;
use crate::entities::credit_ledger::LedgerReason;
use crate::entities::training_block::{self, TrainingStatus};
use crate::entities::training_job::{self, JobStatus};
use crate::entities::{custom_model, training_job_block};
use crate::error::{Error, Result};
use crate::provider::{CreateJobRequest, FineTuningProvider, ProviderError, ProviderJob};
use crate::workspaces::credentials;
use crate::{credits, custom_models, db, workspaces};

/// Metadata key under which the provider job carries tuner's job id.
pub const JOB_ID_METADATA: &str = "tuner_job_id";

/// Runs a training job for the model; returns the job as the provider left it (or FAILED with
/// the provider's message when the submission failed).
pub async fn run(
    app: &AppContext,
    workspace_id: Uuid,
    model_id: Uuid,
    request: JobRequest,
) -> Result<training_job::Model> {
    let request = request.validated()?;
    let model = custom_models::get(&app.db, workspace_id, model_id).await?;
    let provider = credentials::connect(app, workspace_id, &model.provider).await?;
    let (job, file) = prepare(app, workspace_id, model_id, &request).await?;
    app.changes.job_changed(&job);
    let job_id = job.id;
    let submission = submit(app, provider.as_ref(), job, file);
    submission_lease::renewing(&app.db, &app.training, job_id, submission).await
}

/// Steps 2 and 3.
async fn submit(
    app: &AppContext,
    provider: &dyn FineTuningProvider,
    job: training_job::Model,
    file: NamedTempFile,
) -> Result<training_job::Model> {
    let filename = format!("tuner-{}.jsonl", job.id);
    let uploaded = match provider.upload_training_file(file.path(), &filename).await {
        Ok(uploaded) => uploaded,
        Err(err) => return fail_submission(app, job.id, &err).await,
    };
    let mut stored: training_job::ActiveModel = job.clone().into();
    stored.provider_file_id = Set(Some(uploaded.id.clone()));
    stored.updated_at = Set(Utc::now());
    stored.update(&app.db).await?;
    let hyperparameters: JobHyperparameters =
        serde_json::from_str(&job.hyperparameters).unwrap_or_default();
    let request = CreateJobRequest {
        model: job.base_model.clone(),
        training_file: uploaded.id,
        hyperparameters: hyperparameters.into(),
        suffix: job.suffix.clone(),
        metadata: BTreeMap::from([(JOB_ID_METADATA.to_owned(), job.id.to_string())]),
    };
    let created = match provider.create_job(&request).await {
        Ok(created) => created,
        // The request may have reached the provider before the connection failed.
        Err(err) if err.is_transient() => match find_by_metadata(provider, job.id).await {
            Ok(Some(found)) => found,
            _ => return fail_submission(app, job.id, &err).await,
        },
        Err(err) => return fail_submission(app, job.id, &err).await,
    };
    complete_submission(app, job.id, &created).await
}

/// The provider job created for `job_id`, if the provider has one.
pub async fn find_by_metadata(
    provider: &dyn FineTuningProvider,
    job_id: Uuid,
) -> Result<Option<ProviderJob>, ProviderError> {
    let found = provider
        .find_jobs_by_metadata(JOB_ID_METADATA, &job_id.to_string())
        .await?;
    Ok(found.into_iter().next())
}

/// Marks a job that never reached the provider FAILED with the provider's message. Its blocks
/// were never changed and nothing was charged.
pub async fn fail_submission(
    app: &AppContext,
    job_id: Uuid,
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
    job_id: Uuid,
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
    job_id: Uuid,
    remote: &ProviderJob,
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
    let job = tracking::apply(&txn, settings, submitted, remote).await?;
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
        .exec(txn)
        .await?;
    Ok(())
}
