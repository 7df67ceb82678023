//! The GraphQL subscription of training jobs: `trainingJobUpdates`. READER and up.

use async_graphql::{Context, SimpleObject, Subscription, ID};
use futures_util::{Stream, StreamExt};

use super::event_types::{TrainingJobEvent, TrainingMetrics};
use super::events;
use super::feed::JobFeed;
use super::types::TrainingJob;
use super::watch::{self, Scope, Update};
use crate::auth::Role;
use crate::context::ContextExt;
use crate::error::Error;
use crate::ids::{JobId, ModelId, TypedId};

/// A training job as it just became, with what it reported since the previous update.
#[derive(SimpleObject)]
pub struct TrainingJobUpdate {
    /// The job as it now is.
    job: TrainingJob,
    /// The job's events not sent in an earlier update, oldest first (all its events so far in
    /// the first update about the job).
    new_events: Vec<TrainingJobEvent>,
    /// The training figures among `newEvents`, oldest first.
    new_metrics: Vec<TrainingMetrics>,
}

impl From<Update> for TrainingJobUpdate {
    fn from(update: Update) -> Self {
        let new_metrics = update
            .new_events
            .iter()
            .filter(|row| row.kind == events::METRICS)
            .map(TrainingMetrics::from)
            .collect();
        Self {
            new_events: update.new_events.iter().map(Into::into).collect(),
            new_metrics,
            job: TrainingJob(update.job),
        }
    }
}

/// Subscriptions to training jobs.
#[derive(Default)]
pub struct TrainingJobSubscription;

#[Subscription]
impl TrainingJobSubscription {
    /// Follows training jobs as they move. First the current state (the job; or, for a model or
    /// the whole workspace, its active jobs), then an update each time a job changes (status,
    /// new events and metrics). Give `jobId` or `modelId`, or neither for every job of the
    /// workspace. With `jobId` the subscription completes once the job has ended (SUCCEEDED,
    /// FAILED or CANCELLED). NOT_FOUND when the job or model is not the workspace's.
    async fn training_job_updates(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Follow only this job.")] job_id: Option<ID>,
        #[graphql(desc = "Follow only the jobs of this custom model.")] model_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<TrainingJobUpdate>>> {
        let principal = ctx.principal(Role::Reader)?;
        let scope = match (job_id, model_id) {
            (Some(_), Some(_)) => {
                return Err(Error::bad_input(
                    "modelId",
                    "give jobId or modelId, not both (a job already belongs to one model)",
                )
                .into())
            }
            (Some(id), None) => Scope::Job(JobId::parse("jobId", &id)?),
            (None, Some(id)) => Scope::Model(ModelId::parse("modelId", &id)?),
            (None, None) => Scope::Workspace,
        };
        let feed = ctx.data::<JobFeed>()?;
        let stream = watch::watch(ctx.db()?.clone(), feed, principal.workspace_id, scope).await?;
        Ok(stream.map(|item| item.map(TrainingJobUpdate::from).map_err(Into::into)))
    }
}
