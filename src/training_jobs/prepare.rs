//! Step 1 of `runTrainingJob`: in one write transaction under the workspace lock, check the
//! model, its active jobs, the data and the balance, and record the job with its exact blocks
//! and the compiled file. Any failure changes nothing.

use std::io::{BufWriter, Write};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Set,
};
use tempfile::NamedTempFile;

use super::dataset::{self, DatasetBuilder};
use super::preview::{data_rules, retrains_all, rule_texts, training_model};
use super::request::JobRequest;
use super::{active_for_model, submission_lease, TrainingSettings};
use crate::app_context::AppContext;
use crate::config::BillingMode;
use crate::entities::training_job::{self, JobStatus};
use crate::entities::{custom_model, training_job_block};
use crate::error::{Error, Result};
use crate::ids::{BlockId, JobId, ModelId, TypedId, WorkspaceId};
use crate::tenancy::WorkspaceScoped;
use crate::{custom_models, db, workspaces};

/// Step 1: checks everything and records the job (SUBMITTING) with its blocks and compiled
/// file, or changes nothing.
pub async fn prepare(
    app: &AppContext,
    workspace_id: WorkspaceId,
    model_id: ModelId,
    request: &JobRequest,
) -> Result<(training_job::Model, NamedTempFile)> {
    let txn = db::begin_write(&app.db).await?;
    workspaces::lock(&txn, workspace_id).await?;
    let mut model = custom_models::get(&txn, workspace_id, model_id).await?;
    if let Some(target) = &request.move_to {
        model = custom_models::retarget(&txn, model, &target.provider, &target.base_model).await?;
    }
    request.check_for_provider(&model.provider)?;
    if let Some(active) = active_for_model(&txn, workspace_id, model.id).await? {
        return Err(Error::conflict(
            "modelId",
            format!(
                "model {:?} already has an active training job ({}); wait for it to end",
                model.name, active.id
            ),
        ));
    }
    let moving = request.move_to.is_some();
    let (base_model, continues) =
        training_model(&txn, &model, request.from_base_model || moving).await?;
    let retrained = retrains_all(&model, continues).then_some(model.id);
    let job = insert_job(&txn, &model, &base_model, continues, request).await?;
    let mut file = NamedTempFile::new().map_err(|err| Error::Internal(err.into()))?;
    let rules = rule_texts(&txn, workspace_id).await?;
    let data = data_rules(&model.provider, app.training.max_file_bytes);
    let mut builder = DatasetBuilder::new(
        dataset::selection_for(workspace_id, request.tag.as_deref(), retrained),
        rules,
        &base_model,
        data,
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
    dataset::require_no_errors(&report, data.max_file_bytes)?;
    let charge = app.training.charge(report.examples as u64);
    check_balance(&txn, &app.training, workspace_id, charge).await?;
    let mut job: training_job::ActiveModel = job.into();
    job.block_count = Set(i64::try_from(report.examples).unwrap_or(i64::MAX));
    job.token_count = Set(i64::try_from(report.total_tokens).unwrap_or(i64::MAX));
    job.charge_credits = Set(charge);
    job.file_sha256 = Set(report.file_sha256.clone());
    job.file_bytes = Set(i64::try_from(report.file_bytes).unwrap_or(i64::MAX));
    job.system_prompt = Set(system_prompt);
    // The submission's lease starts when the job can be seen, and is renewed while it lasts.
    job.lease_owner = Set(Some(app.training.replica_id.clone()));
    job.lease_expires_at = Set(Some(submission_lease::expiry(&app.training, Utc::now())));
    let job = job.update(&txn).await?;
    app.commit_job_change(txn, &job).await?;
    Ok((job, file))
}

async fn insert_job(
    txn: &DatabaseTransaction,
    model: &custom_model::Model,
    base_model: &str,
    continues: bool,
    request: &JobRequest,
) -> Result<training_job::Model> {
    let now = Utc::now();
    let job = training_job::ActiveModel {
        id: Set(JobId::generate()),
        workspace_id: Set(model.workspace_id),
        model_id: Set(model.id),
        status: Set(JobStatus::Submitting),
        provider: Set(model.provider.clone()),
        base_model: Set(base_model.to_owned()),
        root_model: Set(continues.then(|| model.base_model.clone())),
        hyperparameters: Set(request.hyperparameters),
        deploy_on_success: Set(request.deploy),
        deployment_options: Set(request.deployment_options(&model.provider)?.map(Into::into)),
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
        lease_owner: Set(None),
        lease_expires_at: Set(None),
    };
    Ok(job.insert(txn).await?)
}

async fn record_blocks(
    txn: &DatabaseTransaction,
    job_id: JobId,
    hashes: Vec<(BlockId, String)>,
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
    workspace_id: WorkspaceId,
    charge: i64,
) -> Result<()> {
    if settings.billing_mode == BillingMode::Record {
        return Ok(());
    }
    let balance = workspaces::get(txn, workspace_id).await?.credits;
    let pending: Vec<i64> = training_job::Entity::in_workspace(workspace_id)
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
