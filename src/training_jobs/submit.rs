//! `runTrainingJob`: record the job and its exact blocks, upload, start, then mark and charge.
//!
//! 1. [`super::prepare`] records the job in one transaction, or changes nothing.
//! 2. The file is uploaded and its id committed, then the provider job created, tagged with
//!    the job id in its metadata where the provider keeps metadata. A failure here marks the job
//!    FAILED with the provider's message; nothing else changed. A lost answer is repaired with
//!    [`find_remote`], by metadata or by the recorded file id; when the provider cannot be asked
//!    either, the job is returned SUBMITTING and left to the reconciler.
//! 3. One write transaction marks the blocks TRAINED, moves job and model on, and charges
//!    ([`super::lifecycle::complete_submission`]).
//!    The submitting process holds a lease on the job from step 1 to the end of step 3 and
//!    renews it meanwhile (see [`super::submission_lease`]); if it dies between 2 and 3, any
//!    replica repairs the job once the lease has run out (see [`super::reconcile`]).

use std::collections::BTreeMap;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, Set};
use tempfile::NamedTempFile;

use super::prepare::prepare;
use super::request::JobRequest;
use super::{lifecycle, submission_lease};
use crate::app_context::AppContext;
use crate::custom_models;
use crate::entities::training_job;
use crate::error::Result;
use crate::ids::{ModelId, WorkspaceId};
use crate::provider::{
    CreateJobRequest, FineTuningProvider, JobMarker, ProviderError, ProviderJob,
};
use crate::workspaces::credentials;

/// Metadata key under which the provider job carries tuner's job id.
pub use crate::provider::JOB_ID_METADATA;

/// Runs a training job for the model; returns the job as the provider left it (or FAILED with
/// the provider's message when the submission failed).
pub async fn run(
    app: &AppContext,
    workspace_id: WorkspaceId,
    model_id: ModelId,
    request: JobRequest,
) -> Result<training_job::Model> {
    let request = request.validated()?;
    let model = custom_models::get(&app.db, workspace_id, model_id).await?;
    // A move trains on the provider it moves to.
    let target = request
        .move_to
        .as_ref()
        .map_or(model.provider.as_str(), |to| to.provider.as_str());
    request.check_for_provider(target)?;
    let provider = credentials::connect(app, workspace_id, target).await?;
    let (job, file) = prepare(app, workspace_id, model_id, &request).await?;
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
        Err(err) => return lifecycle::fail_submission(app, job.id, &err).await,
    };
    // Committed before the job is created: a crash after creation is repaired by this id on
    // providers that keep no metadata.
    let mut stored: training_job::ActiveModel = job.clone().into();
    stored.provider_file_id = Set(Some(uploaded.id.clone()));
    stored.updated_at = Set(Utc::now());
    let job = stored.update(&app.db).await?;
    let request = CreateJobRequest {
        model: job.root_base_model().to_owned(),
        continue_from: job.continued_from().map(str::to_owned),
        training_file: uploaded.id,
        hyperparameters: job.hyperparameters.into(),
        suffix: job.suffix.clone(),
        metadata: BTreeMap::from([(JOB_ID_METADATA.to_owned(), job.id.to_string())]),
    };
    let created = match provider.create_job(&request).await {
        Ok(created) => created,
        // The provider may have created the job before the connection failed, or answered
        // in a way tuner cannot read: look for it before giving up.
        Err(err) if err.may_have_taken_effect() => match find_remote(provider, &job).await {
            Ok(Some(found)) => found,
            Ok(None) => return lifecycle::fail_submission(app, job.id, &err).await,
            // The provider cannot say now whether it created the job: the job stays
            // SUBMITTING, and once this submission's lease has run out the reconciler asks
            // again and completes or fails it (see `super::reconcile`).
            Err(lookup) => {
                tracing::warn!(job = %job.id, error = %err, lookup = %lookup, "the provider's answer to the job's creation was lost and the job cannot be looked up yet; left for repair");
                return Ok(job);
            }
        },
        Err(err) => return lifecycle::fail_submission(app, job.id, &err).await,
    };
    lifecycle::complete_submission(app, job.id, &created, provider.serving()).await
}

/// What identifies the provider job of `job`: its id and the training file it uploaded.
pub fn marker(job: &training_job::Model) -> JobMarker {
    JobMarker {
        tuner_job_id: job.id.to_string(),
        training_file: job.provider_file_id.clone(),
    }
}

/// The provider job created for `job`, if the provider has one.
pub async fn find_remote(
    provider: &dyn FineTuningProvider,
    job: &training_job::Model,
) -> Result<Option<ProviderJob>, ProviderError> {
    provider.find_job(&marker(job)).await
}
