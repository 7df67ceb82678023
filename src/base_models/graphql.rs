//! GraphQL API of base models: `baseModels(provider)`.

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::auth::Role;
use crate::context::ContextExt;
use crate::datasets::models::ModelFacts;

/// A base model a provider can fine-tune.
#[derive(SimpleObject)]
pub struct BaseModel {
    /// The name to give as `baseModel`.
    id: String,
    /// Most tokens in its context window, when the provider says.
    context_length: Option<u64>,
    /// The tokenizer encoding tuner counts its tokens with, such as `o200k_base`.
    encoding: String,
    /// True when that encoding is not the model's own (its tokenizer is not available
    /// offline): token counts for it are estimates.
    encoding_assumed: bool,
    /// Most tokens one training example may hold, as tuner checks it.
    example_token_limit: u64,
    /// When the provider retires it (and the models tuned from it), if announced.
    retires_at: Option<DateTime<Utc>>,
}

/// Queries on base models. EDITOR and up.
#[derive(Default)]
pub struct BaseModelQuery;

#[Object]
impl BaseModelQuery {
    /// The base models `provider` can fine-tune: from the provider's API where it has one (a
    /// call to the provider with the workspace's credentials), from tuner's own list for
    /// `openai` and `azure-openai`. PROVIDER_ERROR when the provider cannot be asked.
    async fn base_models(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A provider id, such as `together`.")] provider: String,
    ) -> async_graphql::Result<Vec<BaseModel>> {
        let principal = ctx.principal(Role::Editor)?;
        let app = ctx.app()?;
        let models = super::list(app, principal.workspace_id, &provider).await?;
        let retirements = &app.training.retirements;
        Ok(models
            .into_iter()
            .map(|model| {
                let facts = ModelFacts::for_model(&model.id);
                BaseModel {
                    encoding: facts.encoding.name().to_owned(),
                    encoding_assumed: facts.encoding_assumed,
                    example_token_limit: facts.token_limit as u64,
                    retires_at: retirements.retires_at(&model.id),
                    context_length: model.context_length,
                    id: model.id,
                }
            })
            .collect())
    }
}
