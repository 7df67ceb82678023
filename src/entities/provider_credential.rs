//! Provider credentials of a workspace: the API key is stored encrypted, never in clear.

use crate::ids::{CredentialId, WorkspaceId};
use sea_orm::entity::prelude::*;

#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "provider_credential")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: CredentialId,
    pub workspace_id: WorkspaceId,
    pub provider: String,
    /// Base64 of nonce + AES-256-GCM ciphertext of the API key.
    #[sea_orm(column_type = "Text")]
    pub api_key_ciphertext: String,
    pub api_key_last4: String,
    pub base_url: Option<String>,
    /// The provider account the API paths name (Fireworks); not secret.
    pub account_id: Option<String>,
    /// Base64 of nonce + AES-256-GCM ciphertext of the webhook signing secret, if set.
    #[sea_orm(column_type = "Text", nullable)]
    pub webhook_secret_ciphertext: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderCredential")
            .field("workspace_id", &self.workspace_id)
            .field("provider", &self.provider)
            .field("api_key_last4", &self.api_key_last4)
            .field("base_url", &self.base_url)
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
