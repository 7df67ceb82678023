//! GraphQL types of a training job's events, metrics and checkpoints.

use async_graphql::connection::PageInfo;
use async_graphql::{Context, Enum, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::events;
use crate::context::ContextExt;
use crate::entities::{training_job_checkpoint as checkpoint, training_job_event as event};
use crate::graphql::answer_budget::LargeText;
use crate::ids::JobId;
use crate::pagination::{encode_cursor, Page};

/// What a job event is.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum JobEventKind {
    /// A message in words.
    Message,
    /// Training figures at one step (see `metrics`).
    Metrics,
}

/// Training figures at one step; each is null when the provider did not report it.
#[derive(SimpleObject, Clone)]
pub struct TrainingMetrics {
    /// The training step.
    step: Option<i64>,
    /// Steps in the whole job.
    total_steps: Option<i64>,
    /// Training loss at this step.
    train_loss: Option<f64>,
    /// Share of tokens the model predicted right on the training data (0 to 1).
    train_mean_token_accuracy: Option<f64>,
    /// Loss on the validation data.
    valid_loss: Option<f64>,
    /// Share of tokens the model predicted right on the validation data (0 to 1).
    valid_mean_token_accuracy: Option<f64>,
    /// When the provider reported the figures.
    created_at: DateTime<Utc>,
}

impl From<&event::Model> for TrainingMetrics {
    fn from(row: &event::Model) -> Self {
        Self {
            step: row.step,
            total_steps: row.total_steps,
            train_loss: row.train_loss,
            train_mean_token_accuracy: row.train_mean_token_accuracy,
            valid_loss: row.valid_loss,
            valid_mean_token_accuracy: row.valid_mean_token_accuracy,
            created_at: row.created_at,
        }
    }
}

/// One entry of a job's event log, as the provider reported it.
#[derive(SimpleObject)]
pub struct TrainingJobEvent {
    /// The event's id.
    id: ID,
    /// When the provider says it happened.
    created_at: DateTime<Utc>,
    /// "info", "warn" or "error", as the provider sent it.
    level: String,
    /// What happened.
    message: LargeText<String>,
    /// A message or a metrics event.
    kind: JobEventKind,
    /// The figures of a metrics event; null for a message.
    metrics: Option<TrainingMetrics>,
}

impl From<&event::Model> for TrainingJobEvent {
    fn from(row: &event::Model) -> Self {
        let is_metrics = row.kind == events::METRICS;
        Self {
            id: ID(row.id.to_string()),
            created_at: row.created_at,
            level: row.level.clone(),
            message: LargeText(row.message.clone()),
            kind: if is_metrics {
                JobEventKind::Metrics
            } else {
                JobEventKind::Message
            },
            metrics: is_metrics.then(|| TrainingMetrics::from(row)),
        }
    }
}

/// An event in a page, with the cursor that points at it.
#[derive(SimpleObject)]
pub struct TrainingJobEventEdge {
    /// Pass as `after` to page from this event.
    cursor: String,
    /// The event.
    node: TrainingJobEvent,
}

/// A page of a job's events, oldest first (a Relay connection).
pub struct TrainingJobEventConnection {
    page: Page<event::Model>,
    job_id: JobId,
}

impl TrainingJobEventConnection {
    /// The GraphQL page for a service page of the job's events.
    pub fn new(page: Page<event::Model>, job_id: JobId) -> Self {
        Self { page, job_id }
    }
}

/// A page of a job's events, oldest first (a Relay connection).
#[Object]
impl TrainingJobEventConnection {
    /// The events of this page with their cursors.
    async fn edges(&self) -> Vec<TrainingJobEventEdge> {
        let edges = self.page.items.iter().map(|row| TrainingJobEventEdge {
            cursor: encode_cursor(row.id),
            node: row.into(),
        });
        edges.collect()
    }
    /// The events of this page.
    async fn nodes(&self) -> Vec<TrainingJobEvent> {
        self.page.items.iter().map(Into::into).collect()
    }
    /// Where this page stands and the cursors to continue from.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.page.has_previous,
            has_next_page: self.page.has_next,
            start_cursor: self.page.items.first().map(|e| encode_cursor(e.id)),
            end_cursor: self.page.items.last().map(|e| encode_cursor(e.id)),
        }
    }
    /// Number of the job's events stored so far, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        Ok(events::count(ctx.db()?, self.job_id).await?)
    }
}

/// A usable intermediate model saved during training.
#[derive(SimpleObject)]
pub struct TrainingCheckpoint {
    /// The checkpoint's id.
    id: ID,
    /// The checkpoint's model name, usable like a fine-tuned model.
    fine_tuned_model_checkpoint: String,
    /// The step it was saved at.
    step_number: i64,
    /// The training figures at that step.
    metrics: TrainingMetrics,
    /// When it was saved.
    created_at: DateTime<Utc>,
}

impl From<checkpoint::Model> for TrainingCheckpoint {
    fn from(row: checkpoint::Model) -> Self {
        Self {
            id: ID(row.id.to_string()),
            metrics: TrainingMetrics {
                step: Some(row.step_number),
                total_steps: None,
                train_loss: row.train_loss,
                train_mean_token_accuracy: row.train_mean_token_accuracy,
                valid_loss: row.valid_loss,
                valid_mean_token_accuracy: row.valid_mean_token_accuracy,
                created_at: row.created_at,
            },
            fine_tuned_model_checkpoint: row.fine_tuned_model_checkpoint,
            step_number: row.step_number,
            created_at: row.created_at,
        }
    }
}
