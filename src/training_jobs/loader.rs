//! Batches the loading of models' jobs (`CustomModel.jobs`): one statement for every model of
//! an answer, each model's jobs read within its own workspace.

use std::collections::{BTreeMap, HashMap};

use async_graphql::dataloader::Loader;
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder};

use crate::entities::training_job;
use crate::ids::{ModelId, WorkspaceId};
use crate::tenancy::WorkspaceScoped;

/// A model's jobs by (workspace id, model id).
pub type ModelJobsKey = (WorkspaceId, ModelId);

/// Loads the jobs of models, newest first.
pub struct ModelJobsLoader {
    db: DatabaseConnection,
}

impl ModelJobsLoader {
    /// A loader reading from `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl Loader<ModelJobsKey> for ModelJobsLoader {
    type Value = Vec<training_job::Model>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ModelJobsKey],
    ) -> Result<HashMap<ModelJobsKey, Self::Value>, Self::Error> {
        let mut by_workspace: BTreeMap<WorkspaceId, Vec<ModelId>> = BTreeMap::new();
        for &(workspace_id, model_id) in keys {
            by_workspace.entry(workspace_id).or_default().push(model_id);
        }
        let mut jobs: HashMap<ModelJobsKey, Self::Value> = HashMap::with_capacity(keys.len());
        for (workspace_id, model_ids) in by_workspace {
            let rows = training_job::Entity::in_workspace(workspace_id)
                .filter(training_job::Column::ModelId.is_in(model_ids))
                .order_by_desc(training_job::Column::Id)
                .all(&self.db)
                .await
                .map_err(crate::error::Error::from)?;
            for row in rows {
                jobs.entry((workspace_id, row.model_id))
                    .or_default()
                    .push(row);
            }
        }
        Ok(jobs)
    }
}
