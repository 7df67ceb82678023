//! Repairs jobs left SUBMITTING by a crash between upload and bookkeeping: the provider job is
//! found again by its metadata and the submission completed, or the job fails cleanly.

use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::submit::{complete_submission, fail_unsubmitted, find_by_metadata};
use super::TrainingSettings;
use crate::entities::training_job::{self, JobStatus};
use crate::error::Result;
use crate::secrets::SecretBox;

/// What a reconciliation pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Jobs found at the provider and completed.
    pub completed: usize,
    /// Jobs the provider never created, now FAILED.
    pub failed: usize,
    /// Jobs left for a later pass (the provider could not be asked).
    pub left: usize,
}

/// Reconciles every job SUBMITTING for longer than the settings' grace period (so a submission
/// still under way in another process is left alone).
pub async fn reconcile_submissions(
    db: &DatabaseConnection,
    secrets: &SecretBox,
    settings: &TrainingSettings,
) -> Result<Reconciled> {
    let grace =
        chrono::Duration::from_std(settings.submission_grace).unwrap_or(chrono::Duration::MAX);
    let stale: Vec<training_job::Model> = training_job::Entity::find()
        .filter(training_job::Column::Status.eq(JobStatus::Submitting))
        .filter(training_job::Column::CreatedAt.lte(Utc::now() - grace))
        .all(db)
        .await?;
    let mut outcome = Reconciled::default();
    if !stale.is_empty() {
        tracing::info!(
            jobs = stale.len(),
            "reconciling interrupted training job submissions"
        );
    }
    for job in stale {
        let provider = match super::tracking::provider_for(db, secrets, settings, &job).await {
            Ok(provider) => provider,
            Err(err) => {
                fail_unsubmitted(
                    db,
                    settings,
                    job.id,
                    "submission_interrupted",
                    &err.message(),
                )
                .await?;
                outcome.failed += 1;
                continue;
            }
        };
        let remote = match &job.provider_job_id {
            Some(id) => provider.get_job(id).await.map(Some),
            None => find_by_metadata(provider.as_ref(), job.id).await,
        };
        match remote {
            Ok(Some(remote)) => {
                complete_submission(db, settings, job.id, &remote).await?;
                outcome.completed += 1;
            }
            Err(err) => {
                tracing::warn!(job = %job.id, error = %err.message(), "cannot reconcile the job yet");
                outcome.left += 1;
            }
            Ok(None) => {
                let message = "the submission was interrupted before the provider created the job; run the job again";
                fail_unsubmitted(db, settings, job.id, "submission_interrupted", message).await?;
                outcome.failed += 1;
            }
        }
    }
    Ok(outcome)
}
