//! Repairs jobs left SUBMITTING by a crash between upload and bookkeeping: the provider job is
//! found again (by its metadata, or by the training file recorded before it was created) and
//! the submission completed, or the job fails cleanly. Only
//! jobs whose submission lease has run out are touched (see [`super::submission_lease`]), so a
//! submission still under way in a live process is left alone.

use chrono::Utc;
use sea_orm::{EntityTrait, QueryFilter};

use super::lifecycle::{complete_submission, fail_unsubmitted};
use super::submission_lease;
use super::submit::find_remote;
use crate::app_context::AppContext;
use crate::entities::training_job;
use crate::error::Result;

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

/// Reconciles every job still SUBMITTING whose submission lease has run out (or, recorded
/// without one, that was created at least a lease length ago). Each job is first taken over
/// with a lease of this replica's, so one replica at a time repairs it; a job left for later
/// is tried again once that lease has run out.
pub async fn reconcile_submissions(app: &AppContext) -> Result<Reconciled> {
    let (db, settings) = (&app.db, &app.training);
    let lapsed: Vec<training_job::Model> = training_job::Entity::find()
        .filter(submission_lease::lapsed(settings, Utc::now()))
        .all(db)
        .await?;
    if !lapsed.is_empty() {
        tracing::info!(
            jobs = lapsed.len(),
            "reconciling interrupted training job submissions"
        );
    }
    let mut outcome = Reconciled::default();
    for job in lapsed {
        if !submission_lease::take_over(db, settings, job.id).await? {
            continue;
        }
        let repair = reconcile_one(app, &job);
        match submission_lease::renewing(db, settings, job.id, repair).await? {
            Repair::Completed => outcome.completed += 1,
            Repair::Failed => outcome.failed += 1,
            Repair::Left => outcome.left += 1,
        }
    }
    Ok(outcome)
}

/// What became of one job.
enum Repair {
    Completed,
    Failed,
    Left,
}

/// Completes the job from the provider's job, fails it when the provider has none, or leaves
/// it when the provider cannot be asked.
async fn reconcile_one(app: &AppContext, job: &training_job::Model) -> Result<Repair> {
    let provider = match super::tracking::provider_for(app, job).await {
        Ok(provider) => provider,
        Err(err) => {
            fail_unsubmitted(app, job.id, "submission_interrupted", &err.message()).await?;
            return Ok(Repair::Failed);
        }
    };
    let remote = match &job.provider_job_id {
        Some(id) => provider.get_job(id).await.map(Some),
        None => find_remote(provider.as_ref(), job).await,
    };
    match remote {
        Ok(Some(remote)) => {
            complete_submission(app, job.id, &remote, provider.serving()).await?;
            Ok(Repair::Completed)
        }
        Err(err) => {
            tracing::warn!(job = %job.id, error = %crate::error::report(&err), "cannot reconcile the job yet");
            Ok(Repair::Left)
        }
        Ok(None) => {
            let message = "the submission was interrupted before the provider created the job; run the job again";
            fail_unsubmitted(app, job.id, "submission_interrupted", message).await?;
            Ok(Repair::Failed)
        }
    }
}
