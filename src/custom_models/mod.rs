//! Custom models: named fine-tuning targets, each on a provider and a base model.

pub mod graphql;
pub mod loader;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, ModelTrait, QueryOrder, Set,
};

use crate::app_context::AppContext;
use crate::entities::custom_model::{self, ClientSystemMessages, ModelStatus};
use crate::entities::training_job;
use crate::error::{is_unique_violation, Error, Result};
use crate::ids::{ModelId, TypedId, WorkspaceId};
use crate::tenancy::{get_in, WorkspaceScoped};
use crate::{db, validate, workspaces};

/// Provider used when none is given.
pub const DEFAULT_PROVIDER: &str = "openai";
/// Base model used when none is given.
pub const DEFAULT_BASE_MODEL: &str = "gpt-4o-mini-2024-07-18";
/// Longest model name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;

/// A new custom model as the client describes it.
#[derive(Clone, Debug, Default)]
pub struct NewModel {
    pub name: String,
    pub description: Option<String>,
    pub provider: Option<String>,
    pub base_model: Option<String>,
    /// What the chat endpoint does with a client's system messages; keep when `None`.
    pub client_system_messages: Option<ClientSystemMessages>,
}

/// Changes to a custom model: `None` keeps a field; `Some(None)` clears the description.
#[derive(Clone, Debug, Default)]
pub struct ModelPatch {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub provider: Option<String>,
    pub base_model: Option<String>,
    pub client_system_messages: Option<ClientSystemMessages>,
}

fn check_name(name: &str) -> Result<String> {
    let name = validate::required_trimmed("name", name)?;
    validate::max_chars("name", &name, MAX_NAME_CHARS)?;
    validate::no_control_chars("name", &name)?;
    Ok(name)
}

/// A provider id: lowercase letters, digits, `-` and `_`, at most 32 characters.
fn check_provider(provider: &str) -> Result<String> {
    let provider = validate::required_trimmed("provider", provider)?;
    let valid = provider.len() <= 32
        && provider
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !valid {
        return Err(Error::bad_input(
            "provider",
            "provider must be a provider id such as \"openai\": lowercase letters, digits, - and _, at most 32 characters",
        ));
    }
    Ok(provider)
}

/// A model name as the provider spells it: no whitespace, at most 128 characters.
fn check_base_model(base_model: &str) -> Result<String> {
    let base_model = validate::required_trimmed("baseModel", base_model)?;
    validate::max_chars("baseModel", &base_model, 128)?;
    if base_model
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Error::bad_input(
            "baseModel",
            "baseModel must not contain spaces or control characters",
        ));
    }
    Ok(base_model)
}

fn name_taken(name: &str) -> Error {
    Error::conflict(
        "name",
        format!("a custom model named {name:?} already exists in this workspace"),
    )
}

fn map_unique(name: &str) -> impl FnOnce(sea_orm::DbErr) -> Error + '_ {
    move |err| {
        if is_unique_violation(&err) {
            name_taken(name)
        } else {
            err.into()
        }
    }
}

/// The workspace's models, oldest first.
pub async fn list(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
) -> Result<Vec<custom_model::Model>> {
    Ok(custom_model::Entity::in_workspace(workspace_id)
        .order_by_asc(custom_model::Column::Id)
        .all(db)
        .await?)
}

/// The model with this id in the workspace.
pub async fn get(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
    id: ModelId,
) -> Result<custom_model::Model> {
    get_in::<custom_model::Entity>(db, workspace_id, id).await
}

/// Creates a model; its name must be unique in the workspace.
pub async fn create(
    app: &AppContext,
    workspace_id: WorkspaceId,
    new: NewModel,
) -> Result<custom_model::Model> {
    let name = check_name(&new.name)?;
    let now = Utc::now();
    let model = custom_model::ActiveModel {
        id: Set(ModelId::generate()),
        workspace_id: Set(workspace_id),
        name: Set(name.clone()),
        description: Set(validate::optional_text(
            "description",
            new.description.as_deref(),
            MAX_DESCRIPTION_CHARS,
        )?),
        provider: Set(check_provider(
            new.provider.as_deref().unwrap_or(DEFAULT_PROVIDER),
        )?),
        base_model: Set(check_base_model(
            new.base_model.as_deref().unwrap_or(DEFAULT_BASE_MODEL),
        )?),
        status: Set(ModelStatus::NotTrained),
        fine_tuned_model: Set(None),
        client_system_messages: Set(new.client_system_messages.unwrap_or_default()),
        serving_job_id: Set(None),
        serving_model: Set(None),
        serving_deployment_id: Set(None),
        deployment_id: Set(None),
        deployment_state: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let txn = db::begin_write(&app.db).await?;
    let model = model.insert(&txn).await.map_err(map_unique(&name))?;
    app.commit_catalog_change(txn, workspace_id).await?;
    Ok(model)
}

/// Changes a model. Its provider and base model are fixed while it trains and once it has a
/// fine-tuned model: a different target is a different model.
pub async fn update(
    app: &AppContext,
    workspace_id: WorkspaceId,
    id: ModelId,
    patch: ModelPatch,
) -> Result<custom_model::Model> {
    let txn = db::begin_write(&app.db).await?;
    let current = get(&txn, workspace_id, id).await?;
    let retargets = patch.provider.is_some() || patch.base_model.is_some();
    let trained = current.fine_tuned_model.is_some() || current.status == ModelStatus::Training;
    if retargets && trained {
        return Err(Error::conflict(
            "baseModel",
            "the provider and base model of a model that is training or trained cannot change; move it with moveCustomModel(id, provider, baseModel) instead",
        ));
    }
    let mut model: custom_model::ActiveModel = current.into();
    let mut name = String::new();
    if let Some(new_name) = patch.name {
        name = check_name(&new_name)?;
        model.name = Set(name.clone());
    }
    if let Some(description) = patch.description {
        model.description = Set(validate::optional_text(
            "description",
            description.as_deref(),
            MAX_DESCRIPTION_CHARS,
        )?);
    }
    if let Some(provider) = patch.provider {
        model.provider = Set(check_provider(&provider)?);
    }
    if let Some(base_model) = patch.base_model {
        model.base_model = Set(check_base_model(&base_model)?);
    }
    if let Some(policy) = patch.client_system_messages {
        model.client_system_messages = Set(policy);
    }
    model.updated_at = Set(Utc::now());
    let model = model.update(&txn).await.map_err(map_unique(&name))?;
    app.commit_catalog_change(txn, workspace_id).await?;
    Ok(model)
}

/// Deletes a model with its jobs' history; not while one of its jobs is active.
pub async fn delete(app: &AppContext, workspace_id: WorkspaceId, id: ModelId) -> Result<()> {
    let txn = db::begin_write(&app.db).await?;
    // Under the workspace lock a training job being recorded for this model is seen.
    workspaces::lock(&txn, workspace_id).await?;
    let model = get(&txn, workspace_id, id).await?;
    if let Some(job) = training_job::Entity::active_of_model(workspace_id, id)
        .one(&txn)
        .await?
    {
        return Err(Error::conflict(
            "id",
            format!(
                "model {:?} has an active training job ({}); wait for it to end",
                model.name, job.id
            ),
        ));
    }
    model.delete(&txn).await?;
    app.commit_catalog_change(txn, workspace_id).await
}

/// The model as it would be on another provider and base model: checked, not stored.
pub fn retargeted(
    mut model: custom_model::Model,
    provider: &str,
    base_model: &str,
) -> Result<custom_model::Model> {
    let provider = check_provider(provider)?;
    if crate::provider::profile(&provider).is_none() {
        return Err(Error::bad_input(
            "provider",
            format!(
                "unknown provider {provider:?}; use one of: {}",
                crate::provider::PROVIDERS.join(", ")
            ),
        ));
    }
    model.provider = provider;
    model.base_model = check_base_model(base_model)?;
    Ok(model)
}

/// Points the model at another provider and base model, inside the caller's transaction (a
/// move's job is recorded in the same one). What bots call does not change here.
pub async fn retarget(
    txn: &DatabaseTransaction,
    model: custom_model::Model,
    provider: &str,
    base_model: &str,
) -> Result<custom_model::Model> {
    let moved = retargeted(model.clone(), provider, base_model)?;
    let mut row: custom_model::ActiveModel = model.into();
    row.provider = Set(moved.provider);
    row.base_model = Set(moved.base_model);
    row.updated_at = Set(Utc::now());
    Ok(row.update(txn).await?)
}
