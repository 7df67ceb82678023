//! A custom model's training jobs as a Relay connection, newest first.

use async_graphql::connection::PageInfo;
use async_graphql::{Context, Object, SimpleObject};

use super::types::TrainingJob;
use crate::context::ContextExt;
use crate::entities::training_job;
use crate::ids::{ModelId, WorkspaceId};
use crate::pagination::{encode_cursor, Page};

/// A job in a page, with the cursor that points at it.
#[derive(SimpleObject)]
pub struct TrainingJobEdge {
    /// Pass as `after` to page from this job (to older ones).
    cursor: String,
    /// The job.
    node: TrainingJob,
}

/// A page of a model's training jobs, newest first (a Relay connection).
pub struct TrainingJobConnection {
    page: Page<training_job::Model>,
    workspace_id: WorkspaceId,
    model_id: ModelId,
}

impl TrainingJobConnection {
    /// The GraphQL page for a service page of the model's jobs.
    pub fn new(
        page: Page<training_job::Model>,
        workspace_id: WorkspaceId,
        model_id: ModelId,
    ) -> Self {
        Self {
            page,
            workspace_id,
            model_id,
        }
    }
}

/// A page of a model's training jobs, newest first (a Relay connection).
#[Object]
impl TrainingJobConnection {
    /// The jobs of this page with their cursors.
    async fn edges(&self) -> Vec<TrainingJobEdge> {
        let edges = self.page.items.iter().map(|row| TrainingJobEdge {
            cursor: encode_cursor(row.id),
            node: TrainingJob(row.clone()),
        });
        edges.collect()
    }
    /// The jobs of this page.
    async fn nodes(&self) -> Vec<TrainingJob> {
        self.page.items.iter().cloned().map(TrainingJob).collect()
    }
    /// Where this page stands and the cursors to continue from.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.page.has_previous,
            has_next_page: self.page.has_next,
            start_cursor: self.page.items.first().map(|job| encode_cursor(job.id)),
            end_cursor: self.page.items.last().map(|job| encode_cursor(job.id)),
        }
    }
    /// Number of the model's jobs, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        Ok(super::count_for_model(ctx.db()?, self.workspace_id, self.model_id).await?)
    }
}
