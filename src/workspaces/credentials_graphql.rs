//! GraphQL API of provider credentials. ADMIN only.

use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::credentials::{self, NewCredentials};
use crate::auth::Role;
use crate::context::ContextExt;
use crate::entities::provider_credential;

/// A provider's credentials; the API key itself is never shown.
#[derive(SimpleObject)]
pub struct ProviderCredentials {
    /// The credentials' id; it names their webhook URL (`webhookPath`).
    id: ID,
    /// The provider id, such as `openai` or `azure-openai`.
    provider: String,
    /// The last 4 characters of the API key.
    api_key_last4: String,
    /// The API base URL; null for the provider's default.
    base_url: Option<String>,
    /// The provider account the API paths name (Fireworks' account id); null for providers
    /// whose key alone names the account. Not secret.
    account_id: Option<String>,
    /// Whether a webhook signing secret is set (the secret itself is never shown).
    webhook_secret_set: bool,
    /// The path of the URL to give the provider for webhooks about jobs trained with these
    /// credentials, such as `/webhooks/openai/ID`. Deliveries to it are checked against these
    /// credentials' webhook secret only. It is a path: prefix it with the address at which the
    /// provider reaches this server (tuner does not know its public host name).
    webhook_path: String,
    /// When the credentials were last set.
    updated_at: DateTime<Utc>,
}

impl From<provider_credential::Model> for ProviderCredentials {
    fn from(row: provider_credential::Model) -> Self {
        Self {
            id: ID(row.id.to_string()),
            webhook_path: credentials::webhook_path(row.id),
            provider: row.provider,
            api_key_last4: row.api_key_last4,
            base_url: row.base_url,
            account_id: row.account_id,
            webhook_secret_set: row.webhook_secret_ciphertext.is_some(),
            updated_at: row.updated_at,
        }
    }
}

/// The outcome of checking credentials against the provider.
#[derive(SimpleObject)]
pub struct CredentialsTestResult {
    /// True when the provider accepted the credentials.
    ok: bool,
    /// What happened; when they fail, why (the provider's own message).
    message: String,
    /// How many models the credentials can see.
    model_count: u64,
}

/// Queries on provider credentials.
#[derive(Default)]
pub struct CredentialsQuery;

#[Object]
impl CredentialsQuery {
    /// The workspace's provider credentials (never the keys). ADMIN only.
    async fn provider_credentials(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<ProviderCredentials>> {
        let principal = ctx.principal(Role::Admin)?;
        let rows = credentials::list(ctx.db()?, principal.workspace_id).await?;
        Ok(rows.into_iter().map(ProviderCredentials::from).collect())
    }
}

/// Mutations on provider credentials.
#[derive(Default)]
pub struct CredentialsMutation;

#[Object]
impl CredentialsMutation {
    /// Sets the workspace's API key (and optionally base URL and webhook secret) for a provider,
    /// replacing any earlier one. Secrets are stored encrypted and never shown again. ADMIN only.
    async fn set_provider_credentials(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The provider id: `openai` (OpenAI or any OpenAI-compatible API), `azure-openai`, \
                    `together`, `nebius` or `fireworks`."
        )]
        provider: String,
        #[graphql(desc = "The API key.")] api_key: String,
        #[graphql(
            desc = "The API base URL, such as `https://api.openai.com/v1` (the default for `openai`) or \
                          `https://NAME.openai.azure.com/openai/v1` (required for `azure-openai`)."
        )]
        base_url: Option<String>,
        #[graphql(
            desc = "The webhook signing secret (`whsec_...`) that verifies the provider's webhooks \
                    sent to these credentials' `webhookPath`; omitted keeps the current one."
        )]
        webhook_secret: Option<String>,
        #[graphql(
            desc = "The provider account id, for providers whose API paths name an account: \
                    required for `fireworks` (the id in `/v1/accounts/ACCOUNT_ID/...`, shown in \
                    its console); refused for the others, whose API key names the account."
        )]
        account_id: Option<String>,
    ) -> async_graphql::Result<ProviderCredentials> {
        let principal = ctx.principal(Role::Admin)?;
        let new = NewCredentials {
            provider: &provider,
            api_key: &api_key,
            base_url: base_url.as_deref(),
            webhook_secret: webhook_secret.as_deref(),
            account_id: account_id.as_deref(),
        };
        let row = credentials::set(ctx.app()?, principal.workspace_id, new).await?;
        Ok(row.into())
    }

    /// Checks the provider credentials by listing models, and says why they fail. ADMIN only.
    async fn test_provider_credentials(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The provider id.")] provider: String,
    ) -> async_graphql::Result<CredentialsTestResult> {
        let principal = ctx.principal(Role::Admin)?;
        let check = credentials::check(ctx.app()?, principal.workspace_id, provider.trim()).await?;
        Ok(CredentialsTestResult {
            ok: check.ok,
            message: check.message,
            model_count: check.model_count as u64,
        })
    }
}
