//! GraphQL API for bot platforms: `availableModels`.

use std::sync::Arc;

use async_graphql::{Context, Object, ID};
use chrono::{DateTime, Utc};

use super::cache::AvailableModelsCache;
use super::AvailableModel as Available;
use crate::auth::Role;
use crate::context::ContextExt;
use crate::graphql::answer_budget::LargeText;
use crate::graphql::SYSTEM_PROMPT_COST;

/// A custom model ready to use, with the system prompt to use it with.
pub struct AvailableModel(Arc<Available>);

/// A custom model ready to use, with the system prompt to use it with.
#[Object]
impl AvailableModel {
    /// The custom model's id.
    async fn id(&self) -> ID {
        ID(self.0.model.id.to_string())
    }
    /// The custom model's name.
    async fn name(&self) -> &str {
        &self.0.model.name
    }
    /// What the model is for.
    async fn description(&self) -> Option<LargeText<&str>> {
        self.0.model.description.as_deref().map(LargeText)
    }
    /// The exact model string to call the provider with, such as
    /// `ft:gpt-4o-mini-2024-07-18:org::abc`, or a deployment's name where the provider serves
    /// trained models only through one.
    async fn provider_model(&self) -> &str {
        &self.0.provider_model
    }
    /// The provider's OpenAI-compatible base URL to send `providerModel` to (with the
    /// workspace's provider key), such as `https://api.openai.com/v1`; null when the workspace
    /// has no credentials for it. Or call the model by `name` through tuner's own `/v1`.
    async fn chat_base_url(&self) -> Option<&str> {
        self.0.chat_base_url.as_deref()
    }
    /// The system prompt to send with every conversation: the global rules the model was
    /// trained with. Null when it was trained without rules.
    #[graphql(complexity = "SYSTEM_PROMPT_COST")]
    async fn system_prompt(&self) -> Option<LargeText<&str>> {
        self.0.system_prompt.as_deref().map(LargeText)
    }
    /// The base model it was tuned from.
    async fn base_model(&self) -> &str {
        &self.0.base_model
    }
    /// The provider serving it, such as `openai` (during a move, the one it is moving off).
    async fn provider(&self) -> &str {
        &self.0.provider
    }
    /// When the training job of the model it serves finished.
    async fn trained_at(&self) -> Option<DateTime<Utc>> {
        self.0.trained_at
    }
    /// True when the global rules changed after that training: the model learned different
    /// rules than the workspace has now.
    async fn rules_changed_since_training(&self) -> bool {
        self.0.rules_changed_since_training
    }
    /// When the model stops serving, if announced: the day its provider announces for it or its
    /// base model (OpenAI's `shutdown_date`, read every hour), else the server's retirement
    /// table. Past it, the model is no longer listed.
    async fn retires_at(&self) -> Option<DateTime<Utc>> {
        self.0.retires_at
    }
}

/// Queries for bot platforms. READER and up.
#[derive(Default)]
pub struct AvailableModelQuery;

#[Object]
impl AvailableModelQuery {
    /// The workspace's callable custom models that have not retired, with the system prompt
    /// each must be used with. A model stays listed with the model it serves while a newer one
    /// trains or deploys. Served from memory, refreshed by every change to the workspace's
    /// jobs, rules and models.
    async fn available_models(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<AvailableModel>> {
        let principal = ctx.principal(Role::Reader)?;
        let retirements = &ctx.training()?.retirements;
        let cache = ctx.data::<AvailableModelsCache>()?;
        let models = cache
            .get(ctx.db()?, retirements, principal.workspace_id)
            .await?;
        let now = Utc::now();
        Ok(models
            .iter()
            .filter(|model| model.serves_at(now))
            .map(|model| AvailableModel(Arc::clone(model)))
            .collect())
    }
}
