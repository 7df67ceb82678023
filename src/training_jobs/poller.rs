//! The poller: one background task per process that follows active jobs at the provider (see
//! [`super::tracking`]) and deployments (see [`crate::deployments`]), repairs interrupted
//! submissions (see [`super::reconcile`]), and reads the shutdown days providers announce (see
//! [`crate::reported_retirements`]).

use std::time::Duration;

use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::backoff::Backoff;
use super::tracking::refresh_all;
use super::TrainingSettings;
use crate::app_context::AppContext;

/// Follows active jobs, every `poll_interval`, until `stop` is cancelled (a round under way is
/// finished first); also repairs interrupted submissions (see [`super::reconcile`]) at start and
/// then every half submission lease (at most every poll interval), so a job is repaired soon
/// after its submitter's lease ran out. Beside them, and never holding them up, it reads the
/// shutdown days providers announce (see [`crate::reported_retirements`]).
pub async fn poll(app: AppContext, stop: CancellationToken) {
    tokio::join!(
        follow_jobs(&app, &stop),
        crate::reported_retirements::check_periodically(&app, &stop)
    );
}

async fn follow_jobs(app: &AppContext, stop: &CancellationToken) {
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
                if let Err(err) = super::reconcile::reconcile_submissions(app).await {
                    tracing::warn!(error = %crate::error::report(&err), "cannot reconcile interrupted submissions");
                }
            }
            _ = polls.tick() => {
                if let Err(err) = refresh_all(app, &mut backoff).await {
                    tracing::warn!(error = %crate::error::report(&err), "cannot list active training jobs");
                }
                if let Err(err) = crate::deployments::check_all(app).await {
                    tracing::warn!(error = %crate::error::report(&err), "cannot list deployments");
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
