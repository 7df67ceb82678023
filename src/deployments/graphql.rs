//! GraphQL API of deployments: `deployCustomModel`, `undeployCustomModel`.

use async_graphql::{Context, Object, ID};

use crate::auth::Role;
use crate::context::ContextExt;
use crate::custom_models::graphql::CustomModel;
use crate::ids::{ModelId, TypedId};

use super::options::DeploymentInput;

/// Mutations on deployments. EDITOR and up.
#[derive(Default)]
pub struct DeploymentMutation;

#[Object]
impl DeploymentMutation {
    /// Deploys the model's newest trained model where the provider serves trained models only
    /// through a deployment (`together`: a dedicated endpoint; `nebius`: a registered model;
    /// `fireworks`: an on-demand deployment), with `input`'s hardware, replicas and idle window.
    /// The model becomes DEPLOYING, then READY once the provider says the deployment is up
    /// (the poller checks); a model served before keeps answering until then. See
    /// `CustomModel.deployment.cost` for what it costs. A deployment already under way or
    /// serving is left as it is (CONFLICT when `input` asks for other choices: undeploy
    /// first). BAD_USER_INPUT when nothing needs deploying.
    async fn deploy_custom_model(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The model's id.")] id: ID,
        #[graphql(desc = "How to deploy (together, fireworks); defaults when left out.")]
        input: Option<DeploymentInput>,
    ) -> async_graphql::Result<CustomModel> {
        let principal = ctx.principal(Role::Editor)?;
        let id = ModelId::parse("id", &id)?;
        let input = input.unwrap_or_default();
        Ok(CustomModel(
            super::deploy(ctx.app()?, principal.workspace_id, id, input).await?,
        ))
    }

    /// Removes the model's deployments at the provider (stopping what they cost); the model
    /// leaves `availableModels` and becomes TRAINED. BAD_USER_INPUT when it has none.
    async fn undeploy_custom_model(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The model's id.")] id: ID,
    ) -> async_graphql::Result<CustomModel> {
        let principal = ctx.principal(Role::Editor)?;
        let id = ModelId::parse("id", &id)?;
        Ok(CustomModel(
            super::undeploy(ctx.app()?, principal.workspace_id, id).await?,
        ))
    }
}
