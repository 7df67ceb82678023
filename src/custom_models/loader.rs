//! Batches the loading of the models that jobs belong to (`TrainingJob.model`): one statement
//! for every job of an answer, each model read within its own workspace.

use std::collections::{BTreeMap, HashMap};

use async_graphql::dataloader::Loader;
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter};

use crate::entities::custom_model;
use crate::ids::{ModelId, WorkspaceId};
use crate::tenancy::WorkspaceScoped;

/// A model by (workspace id, model id).
pub type ModelKey = (WorkspaceId, ModelId);

/// Loads custom models by workspace and id.
pub struct ModelLoader {
    db: DatabaseConnection,
}

impl ModelLoader {
    /// A loader reading from `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl Loader<ModelKey> for ModelLoader {
    type Value = custom_model::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ModelKey]) -> Result<HashMap<ModelKey, Self::Value>, Self::Error> {
        let mut by_workspace: BTreeMap<WorkspaceId, Vec<ModelId>> = BTreeMap::new();
        for &(workspace_id, model_id) in keys {
            by_workspace.entry(workspace_id).or_default().push(model_id);
        }
        let mut models = HashMap::with_capacity(keys.len());
        for (workspace_id, ids) in by_workspace {
            let rows = custom_model::Entity::in_workspace(workspace_id)
                .filter(custom_model::Column::Id.is_in(ids))
                .all(&self.db)
                .await
                .map_err(crate::error::Error::from)?;
            models.extend(rows.into_iter().map(|row| ((workspace_id, row.id), row)));
        }
        Ok(models)
    }
}
