//! GraphQL API of custom models.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::{ModelPatch, NewModel};
use crate::auth::Role;
use crate::chat;
use crate::chat::graphql::{Date, ModelUsage};
use crate::context::ContextExt;
use crate::entities::custom_model::{self, ClientSystemMessages, ModelStatus};
use crate::graphql::answer_budget::LargeText;
use crate::ids::{ModelId, TypedId};
use crate::pagination::{PageArgs, PageRequest};
use crate::training_jobs;
use crate::training_jobs::connection::TrainingJobConnection;
use crate::training_jobs::loader::ModelJobsLoader;
use crate::training_jobs::types::TrainingJob;

/// Lifecycle of a custom model.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "ModelStatus", remote = "ModelStatus")]
pub enum ModelStatusGql {
    /// No training job has produced a model yet.
    NotTrained,
    /// A training job is running.
    Training,
    /// The newest fine-tuned model (`fineTunedModel`) is callable: bots call `servingModel`.
    Ready,
    /// The last training job failed.
    Failed,
    /// A deployment of the newest fine-tuned model is starting (`deploymentState` says how
    /// far); a model served before keeps answering meanwhile.
    Deploying,
    /// Trained, not callable until deployed: the provider (such as `together` or `nebius`)
    /// serves a trained model only once it is deployed (`deployCustomModel`); `fineTunedModel`
    /// names what was trained.
    Trained,
}

/// What the chat endpoint (`POST /v1/chat/completions`) does with the system messages a
/// client sends along with the model's trained system prompt.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "ClientSystemMessages", remote = "ClientSystemMessages")]
pub enum ClientSystemMessagesGql {
    /// Kept, after the trained system prompt (the default).
    Keep,
    /// Removed: only the trained system prompt reaches the model.
    Discard,
    /// The request is refused with a 400 that says so.
    Reject,
}

/// A provider deployment that makes a trained model callable.
#[derive(SimpleObject)]
pub struct ModelDeployment {
    /// The provider's id of the deployment; null once it was removed.
    id: Option<String>,
    /// Its state in the provider's words (such as `PENDING`, `STARTED`, `validating`, `active`),
    /// or why it is gone.
    state: String,
    /// True when bots call this deployment now.
    serving: bool,
    /// What a deployment on this provider costs.
    cost: Option<String>,
}

/// A custom model: a named fine-tuning target and, once trained, the provider's model.
pub struct CustomModel(pub custom_model::Model);

/// A custom model: a named fine-tuning target and, once trained, the provider's model.
#[Object]
impl CustomModel {
    /// The model's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Name, unique in the workspace.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What the model is for.
    async fn description(&self) -> Option<LargeText<&str>> {
        self.0.description.as_deref().map(LargeText)
    }
    /// The fine-tuning provider, such as `openai`.
    async fn provider(&self) -> &str {
        &self.0.provider
    }
    /// The provider model that training starts from, such as `gpt-4o-mini-2024-07-18`.
    async fn base_model(&self) -> &str {
        &self.0.base_model
    }
    /// Lifecycle status.
    async fn status(&self) -> ModelStatusGql {
        self.0.status.into()
    }
    /// The provider's name of the fine-tuned model (such as `ft:gpt-4o-mini-...`); null until
    /// a training job has succeeded.
    async fn fine_tuned_model(&self) -> Option<&str> {
        self.0.fine_tuned_model.as_deref()
    }
    /// The exact model string bots call now (the fine-tuned model, or its deployment's name);
    /// null when the model cannot be called. It can differ from `fineTunedModel` while a newer
    /// model deploys or after a move.
    async fn serving_model(&self) -> Option<&str> {
        self.0.serving_model.as_deref()
    }
    /// The provider deployment of the newest fine-tuned model, where the provider serves
    /// trained models only through one; null otherwise.
    async fn deployment(&self) -> Option<ModelDeployment> {
        let id = self.0.deployment_id.clone();
        let state = self.0.deployment_state.clone()?;
        let serving = id.is_some() && id == self.0.serving_deployment_id;
        let cost = crate::provider::profile_or_default(&self.0.provider).deployment_cost;
        Some(ModelDeployment {
            id,
            state,
            serving,
            cost: cost.map(str::to_owned),
        })
    }
    /// When the provider retires the model bots call (or, untrained, its base model), if
    /// announced: from then on it cannot be called. As `availableModels` gives it.
    async fn retires_at(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<DateTime<Utc>>> {
        let model = self
            .0
            .serving_model
            .as_deref()
            .or(self.0.fine_tuned_model.as_deref())
            .unwrap_or(&self.0.base_model);
        Ok(ctx.training()?.retirements.retires_at(model))
    }
    /// What the chat endpoint does with the system messages a client sends.
    async fn client_system_messages(&self) -> ClientSystemMessagesGql {
        self.0.client_system_messages.into()
    }
    /// When the model was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the model was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The model's training jobs, newest first, as a Relay connection. EDITOR and up.
    #[graphql(complexity = "crate::pagination::page_complexity(first, last, child_complexity)")]
    async fn training_jobs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the newest (at most 500).")] first: Option<i32>,
        #[graphql(desc = "Return jobs older than this cursor.")] after: Option<String>,
        #[graphql(desc = "Page size from the oldest (at most 500).")] last: Option<i32>,
        #[graphql(desc = "Return jobs newer than this cursor.")] before: Option<String>,
    ) -> async_graphql::Result<TrainingJobConnection> {
        ctx.principal(Role::Editor)?;
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        let request = PageRequest::parse(&args)?;
        let (workspace_id, model_id) = (self.0.workspace_id, self.0.id);
        let page =
            training_jobs::page_for_model(ctx.db()?, workspace_id, model_id, &request).await?;
        Ok(TrainingJobConnection::new(page, workspace_id, model_id))
    }
    /// Requests and tokens through the chat endpoint (`POST /v1/chat/completions`) from `from`
    /// to `to`, UTC days, both included (at most 366 days). EDITOR and up.
    async fn usage(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first UTC day.")] from: Date,
        #[graphql(desc = "The last UTC day.")] to: Date,
    ) -> async_graphql::Result<ModelUsage> {
        ctx.principal(Role::Editor)?;
        let (from, to) = (from.0, to.0);
        chat::graphql::check_span(from, to)?;
        let rows =
            chat::usage::of_model(ctx.db()?, self.0.workspace_id, self.0.id, from, to).await?;
        Ok(ModelUsage::from_rows(&rows))
    }
    /// The model's training jobs, newest first, all of them. EDITOR and up.
    #[graphql(deprecation = "Use `trainingJobs`, a Relay connection: this list has no bound.")]
    async fn jobs(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TrainingJob>> {
        ctx.principal(Role::Editor)?;
        let loader = ctx.data::<DataLoader<ModelJobsLoader>>()?;
        let jobs = loader.load_one((self.0.workspace_id, self.0.id)).await?;
        Ok(jobs
            .unwrap_or_default()
            .into_iter()
            .map(TrainingJob)
            .collect())
    }
}

/// A new custom model.
#[derive(InputObject)]
pub struct CreateCustomModelInput {
    /// Name, unique in the workspace (1 to 100 characters, one line).
    name: String,
    /// What the model is for (at most 10,000 characters).
    description: Option<String>,
    /// Fine-tuning provider id; `openai` when omitted.
    provider: Option<String>,
    /// Base model to train from; `gpt-4o-mini-2024-07-18` when omitted.
    base_model: Option<String>,
    /// What the chat endpoint does with a client's system messages; KEEP when omitted.
    client_system_messages: Option<ClientSystemMessagesGql>,
}

/// Changes to a custom model; omitted fields are kept.
#[derive(InputObject)]
pub struct UpdateCustomModelInput {
    /// New name, unique in the workspace.
    name: Option<String>,
    /// New description; null clears it.
    description: MaybeUndefined<String>,
    /// New provider id; not while the model is training or has a fine-tuned model.
    provider: Option<String>,
    /// New base model; not while the model is training or has a fine-tuned model.
    base_model: Option<String>,
    /// What the chat endpoint does with a client's system messages.
    client_system_messages: Option<ClientSystemMessagesGql>,
}

/// Queries on custom models. READER and up.
#[derive(Default)]
pub struct CustomModelQuery;

#[Object]
impl CustomModelQuery {
    /// The workspace's custom models, oldest first.
    async fn custom_models(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CustomModel>> {
        let principal = ctx.principal(Role::Reader)?;
        let models = super::list(ctx.db()?, principal.workspace_id).await?;
        Ok(models.into_iter().map(CustomModel).collect())
    }

    /// One custom model.
    async fn custom_model(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The model's id.")] id: ID,
    ) -> async_graphql::Result<CustomModel> {
        let principal = ctx.principal(Role::Reader)?;
        let id = ModelId::parse("id", &id)?;
        Ok(CustomModel(
            super::get(ctx.db()?, principal.workspace_id, id).await?,
        ))
    }
}

/// Mutations on custom models. EDITOR and up.
#[derive(Default)]
pub struct CustomModelMutation;

#[Object]
impl CustomModelMutation {
    /// Creates a custom model.
    async fn create_custom_model(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new model.")] input: CreateCustomModelInput,
    ) -> async_graphql::Result<CustomModel> {
        let principal = ctx.principal(Role::Editor)?;
        let new = NewModel {
            name: input.name,
            description: input.description,
            provider: input.provider,
            base_model: input.base_model,
            client_system_messages: input.client_system_messages.map(Into::into),
        };
        Ok(CustomModel(
            super::create(ctx.app()?, principal.workspace_id, new).await?,
        ))
    }

    /// Changes a custom model.
    async fn update_custom_model(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The model's id.")] id: ID,
        #[graphql(desc = "What to change.")] input: UpdateCustomModelInput,
    ) -> async_graphql::Result<CustomModel> {
        let principal = ctx.principal(Role::Editor)?;
        let id = ModelId::parse("id", &id)?;
        let patch = ModelPatch {
            name: input.name,
            description: input.description.into(),
            provider: input.provider,
            base_model: input.base_model,
            client_system_messages: input.client_system_messages.map(Into::into),
        };
        let model = super::update(ctx.app()?, principal.workspace_id, id, patch).await?;
        Ok(CustomModel(model))
    }

    /// Deletes a custom model; returns its id.
    async fn delete_custom_model(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The model's id.")] id: ID,
    ) -> async_graphql::Result<ID> {
        let principal = ctx.principal(Role::Editor)?;
        let id = ModelId::parse("id", &id)?;
        super::delete(ctx.app()?, principal.workspace_id, id).await?;
        Ok(ID(id.to_string()))
    }
}
