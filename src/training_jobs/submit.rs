//! `runTrainingJob`: record the job and its exact blocks, upload, start, then mark and charge.
//!
//! 1. One write transaction (under the workspace lock) checks the model, its active jobs, the
//!    data and the balance, and records the job with its blocks and the compiled file; any
//!    failure changes nothing.
//! 2. The file is uploaded and the provider job created, tagged with the job id in its metadata.
//!    A failure here marks the job FAILED with the provider's message; nothing else changed.
//! 3. One write transaction marks the blocks TRAINED, moves job and model on, and charges.
//!    A crash between 2 and 3 is repaired by [`super::reconcile`].

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QuerySelect, Set,
};
use tempfile::NamedTempFile;
use uuid::Uuid;

use super::dataset::{self, DatasetBuilder};
use super::preview::{rule_texts, training_model};
use super::request::{JobHyperparameters, JobRequest};
use super::{active_for_model, tracking, TrainingSettings};
use crate::config::BillingMode;
use crate::entities::credit_ledger::LedgerReason;
use crate::entities::training_block::{self, TrainingStatus};
use crate::entities::training_job::{self, JobStatus};
use crate::entities::{custom_model, training_job_block};
use crate::error::{Error, Result};
use crate::provider::{CreateJobRequest, FineTuningProvider, ProviderError, ProviderJob};
use crate::secrets::SecretBox;
use crate::workspaces::credentials;
use crate::{credits, custom_models, db, ids, workspaces};

/// Metadata key under which the provider job carries tuner's job id.
pub const JOB_ID_METADATA: &str = "tuner_job_id";

/// What running a job needs.
pub struct Services<'a> {
    pub db: &'a DatabaseConnection,
    pub secrets: &'a SecretBox,
    pub settings: &'a TrainingSettings,
}

/// Runs a training job for the model; returns the job as the provider left it (or FAILED with
/// the provider's message when the submission failed).
pub async fn run(
    svc: &Services<'_>,
    workspace_id: Uuid,
    model_id: Uuid,
    request: JobRequest,
) -> Result<training_job::Model> {
    let request = request.validated()?;
    let model = custom_models::get(svc.db, workspace_id, model_id).await?;
    let provider = credentials::connect(
        svc.db,
        svc.secrets,
        &svc.settings.provider,
        workspace_id,
        &model.provider,
    )
    .await?;
    let (job, file) = prepare(svc, workspace_id, model_id, &request).await?;
    submit(svc, provider.as_ref(), job, file).await
}

/// Step 1: checks everything and records the job (SUBMITTING) with its blocks and compiled
/// file, or changes nothing.
pub async fn prepare(
    svc: &Services<'_>,
    workspace_id: Uuid,
    model_id: Uuid,
    request: &JobRequest,
) -> Result<(training_job::Model, NamedTempFile)> {
    let txn = db::begin_write(svc.db).await?;
    workspaces::lock(&txn, workspace_id).await?;
    let model = custom_models::get(&txn, workspace_id, model_id).await?;
    if let Some(active) = active_for_model(&txn, model.id).await? {
        return Err(Error::conflict(
            "modelId",
            format!(
                "model {:?} already has an active training job ({}); wait for it to end",
                model.name, active.id
            ),
        ));
    }
    let (base_model, _) = training_model(&model, request.from_base_model);
    let job = insert_job(&txn, &model, &base_model, request).await?;
    let mut file = NamedTempFile::new().map_err(|err| Error::Internal(err.into()))?;
    let rules = rule_texts(&txn, workspace_id).await?;
    let mut builder = DatasetBuilder::new(
        dataset::selection(workspace_id, request.tag.as_deref()),
        rules,
        &base_model,
    );
    {
        let mut out = BufWriter::new(file.as_file_mut());
        while let Some(hashes) = builder.next_page(&txn, &mut out).await? {
            record_blocks(&txn, job.id, hashes).await?;
        }
        out.flush().map_err(|err| Error::Internal(err.into()))?;
    }
    let system_prompt = builder.global_prompt();
    let report = builder.finish();
    if report.examples == 0 {
        let which = request
            .tag
            .as_ref()
            .map(|t| format!(" with tag {t:?}"))
            .unwrap_or_default();
        return Err(Error::bad_input(
            "tag",
            format!("there are no NOT_TRAINED blocks{which} to train"),
        ));
    }
    dataset::require_no_errors(&report)?;
    let charge = svc.settings.charge(report.examples as u64);
    check_balance(&txn, svc.settings, workspace_id, charge).await?;
    let mut job: training_job::ActiveModel = job.into();
    job.block_count = Set(i64::try_from(report.examples).unwrap_or(i64::MAX));
    job.token_count = Set(i64::try_from(report.total_tokens).unwrap_or(i64::MAX));
    job.charge_credits = Set(charge);
    job.file_sha256 = Set(report.file_sha256.clone());
    job.file_bytes = Set(i64::try_from(report.file_bytes).unwrap_or(i64::MAX));
    job.system_prompt = Set(system_prompt);
    let job = job.update(&txn).await?;
    txn.commit().await?;
    Ok((job, file))
}

async fn insert_job(
    txn: &DatabaseTransaction,
    model: &custom_model::Model,
    base_model: &str,
    request: &JobRequest,
) -> Result<training_job::Model> {
    let now = Utc::now();
    let hyperparameters = serde_json::to_string(&request.hyperparameters)
        .map_err(|err| Error::Internal(err.into()))?;
    let job = training_job::ActiveModel {
        id: Set(ids::new_id()),
        workspace_id: Set(model.workspace_id),
        model_id: Set(model.id),
        status: Set(JobStatus::Submitting),
        provider: Set(model.provider.clone()),
        base_model: Set(base_model.to_owned()),
        hyperparameters: Set(hyperparameters),
        suffix: Set(request.suffix.clone()),
        system_prompt: Set(None),
        block_count: Set(0),
        token_count: Set(0),
        charge_credits: Set(0),
        file_sha256: Set(String::new()),
        file_bytes: Set(0),
        provider_file_id: Set(None),
        provider_job_id: Set(None),
        fine_tuned_model: Set(None),
        trained_tokens: Set(None),
        error_code: Set(None),
        error_message: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        submitted_at: Set(None),
        finished_at: Set(None),
    };
    Ok(job.insert(txn).await?)
}

async fn record_blocks(
    txn: &DatabaseTransaction,
    job_id: Uuid,
    hashes: Vec<(Uuid, String)>,
) -> Result<()> {
    if hashes.is_empty() {
        return Ok(());
    }
    let rows = hashes
        .into_iter()
        .map(|(block_id, content_hash)| training_job_block::ActiveModel {
            job_id: Set(job_id),
            block_id: Set(block_id),
            content_hash: Set(content_hash),
        });
    training_job_block::Entity::insert_many(rows)
        .exec(txn)
        .await?;
    Ok(())
}

/// In `enforce` mode, fails unless the balance, less what jobs still being submitted will be
/// charged, covers `charge`.
async fn check_balance(
    txn: &DatabaseTransaction,
    settings: &TrainingSettings,
    workspace_id: Uuid,
    charge: i64,
) -> Result<()> {
    if settings.billing_mode == BillingMode::Record {
        return Ok(());
    }
    let balance = workspaces::get(txn, workspace_id).await?.credits;
    let pending: Vec<i64> = super::in_workspace(workspace_id)
        .select_only()
        .column(training_job::Column::ChargeCredits)
        .filter(training_job::Column::Status.eq(JobStatus::Submitting))
        .into_tuple()
        .all(txn)
        .await?;
    let available = balance - pending.iter().sum::<i64>();
    if available < charge {
        return Err(Error::InsufficientCredits(format!(
            "this job costs {charge} credits ({} fee + {} for the blocks) but the workspace has {available} available; \
             an operator adds credits with `tuner credits grant --workspace NAME AMOUNT`",
            settings.job_fee_credits,
            charge - settings.job_fee_credits
        )));
    }
    Ok(())
}

/// Steps 2 and 3.
async fn submit(
    svc: &Services<'_>,
    provider: &dyn FineTuningProvider,
    job: training_job::Model,
    file: NamedTempFile,
) -> Result<training_job::Model> {
    let filename = format!("tuner-{}.jsonl", job.id);
    let uploaded = match provider.upload_training_file(file.path(), &filename).await {
        Ok(uploaded) => uploaded,
        Err(err) => return fail_submission(svc.db, job.id, &err).await,
    };
    let mut stored: training_job::ActiveModel = job.clone().into();
    stored.provider_file_id = Set(Some(uploaded.id.clone()));
    stored.updated_at = Set(Utc::now());
    stored.update(svc.db).await?;
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
            _ => return fail_submission(svc.db, job.id, &err).await,
        },
        Err(err) => return fail_submission(svc.db, job.id, &err).await,
    };
    complete_submission(svc.db, svc.settings, job.id, &created).await
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
    db: &DatabaseConnection,
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
    fail_unsubmitted(db, job_id, &code, &err.message()).await
}

/// Marks a job still SUBMITTING as FAILED with this reason.
pub async fn fail_unsubmitted(
    db: &DatabaseConnection,
    job_id: Uuid,
    code: &str,
    message: &str,
) -> Result<training_job::Model> {
    let now = Utc::now();
    training_job::Entity::update_many()
        .col_expr(training_job::Column::Status, Expr::value(JobStatus::Failed))
        .col_expr(training_job::Column::ErrorCode, Expr::value(code))
        .col_expr(training_job::Column::ErrorMessage, Expr::value(message))
        .col_expr(training_job::Column::FinishedAt, Expr::value(now))
        .col_expr(training_job::Column::UpdatedAt, Expr::value(now))
        .filter(training_job::Column::Id.eq(job_id))
        .filter(training_job::Column::Status.eq(JobStatus::Submitting))
        .exec(db)
        .await?;
    training_job::Entity::find_by_id(job_id)
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("training job", job_id))
}

/// Step 3: marks the job's blocks TRAINED, moves job and model on, and charges the workspace,
/// all at once. Does nothing when the job is no longer SUBMITTING (another process did it).
pub async fn complete_submission(
    db: &DatabaseConnection,
    settings: &TrainingSettings,
    job_id: Uuid,
    remote: &ProviderJob,
) -> Result<training_job::Model> {
    let txn = db::begin_write(db).await?;
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
    txn.commit().await?;
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
