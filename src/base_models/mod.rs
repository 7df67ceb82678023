//! `baseModels(provider)`: what a provider can fine-tune, asked of the provider with the
//! workspace's credentials, with the facts tuner counts tokens by.

pub mod graphql;

use crate::app_context::AppContext;
use crate::error::{Error, Result};
use crate::ids::WorkspaceId;
use crate::provider::BaseModel;
use crate::workspaces::credentials;

/// The base models `provider` fine-tunes, as it lists them now.
pub async fn list(
    app: &AppContext,
    workspace_id: WorkspaceId,
    provider: &str,
) -> Result<Vec<BaseModel>> {
    let client = credentials::connect(app, workspace_id, provider).await?;
    client
        .list_base_models()
        .await
        .map_err(|error| Error::Provider(error.message()))
}
