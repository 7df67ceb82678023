//! Which custom model a chat request names: only callable ones (those `availableModels`
//! lists) are served; for any other name the answer says why it cannot be called.

use std::sync::Arc;

use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter};

use super::errors::ChatError;
use crate::available_models::cache::AvailableModelsCache;
use crate::available_models::AvailableModel;
use crate::entities::custom_model::{self, ModelStatus};
use crate::error::excerpt;
use crate::ids::WorkspaceId;
use crate::retirements::Retirements;
use crate::tenancy::WorkspaceScoped;

/// The workspace's models a bot may call now, oldest first.
pub async fn callable(
    cache: &AvailableModelsCache,
    db: &DatabaseConnection,
    retirements: &Retirements,
    workspace_id: WorkspaceId,
) -> Result<Vec<Arc<AvailableModel>>, ChatError> {
    let now = Utc::now();
    let models = cache.get(db, retirements, workspace_id).await?;
    Ok(models
        .iter()
        .filter(|m| m.serves_at(now))
        .cloned()
        .collect())
}

/// The callable model named `name`, or a 404 that says why there is none.
pub async fn find(
    cache: &AvailableModelsCache,
    db: &DatabaseConnection,
    retirements: &Retirements,
    workspace_id: WorkspaceId,
    name: &str,
) -> Result<Arc<AvailableModel>, ChatError> {
    let models = cache.get(db, retirements, workspace_id).await?;
    if let Some(model) = models.iter().find(|m| m.model.name == name) {
        return match model.retires_at {
            Some(at) if at <= Utc::now() => Err(ChatError::ModelNotFound(format!(
                "The model `{name}` retired on {}: its base model {} was shut down; train it \
                 on another base model or provider",
                at.format("%Y-%m-%d"),
                model.model.base_model
            ))),
            _ => Ok(Arc::clone(model)),
        };
    }
    let row = custom_model::Entity::in_workspace(workspace_id)
        .filter(custom_model::Column::Name.eq(name))
        .one(db)
        .await
        .map_err(crate::error::Error::from)?;
    Err(ChatError::ModelNotFound(why_not_callable(
        name,
        row.as_ref(),
    )))
}

/// Why the model named `name` cannot be called.
fn why_not_callable(name: &str, row: Option<&custom_model::Model>) -> String {
    let Some(row) = row else {
        return format!(
            "The model {} does not exist: give the name of one of the workspace's custom models \
             (GET /v1/models lists those that can be called)",
            excerpt(name)
        );
    };
    match row.status {
        ModelStatus::NotTrained => {
            format!("The model `{name}` has not been trained yet: run a training job first")
        }
        ModelStatus::Training if row.fine_tuned_model.is_none() => format!(
            "The model `{name}` is training; it can be called once its first training job succeeds"
        ),
        ModelStatus::Failed if row.fine_tuned_model.is_none() => {
            format!("The model `{name}` cannot be called: its training job failed; run another")
        }
        _ => format!("The model `{name}` cannot be called now"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(status: ModelStatus) -> custom_model::Model {
        custom_model::Model::example(status)
    }

    #[test]
    fn the_reason_names_what_to_do() {
        let said = |row: Option<&custom_model::Model>| why_not_callable("support", row);
        assert!(said(None).contains("does not exist"));
        assert!(said(Some(&row(ModelStatus::NotTrained))).contains("not been trained"));
        assert!(said(Some(&row(ModelStatus::Training))).contains("is training"));
        assert!(said(Some(&row(ModelStatus::Failed))).contains("failed"));
    }
}
