//! Provider credentials of a workspace: stored encrypted, shown only by their last 4 characters.

use std::sync::Arc;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::app_context::AppContext;
use crate::entities::provider_credential;
use crate::error::{excerpt, Error, Result};
use crate::ids::{CredentialId, TypedId, WorkspaceId};
use crate::provider::{self, Credentials, FineTuningProvider};
use crate::{validate, webhook_signature};

/// Longest API key accepted, in characters.
const MAX_KEY_CHARS: usize = 1_024;
/// Longest base URL accepted, in characters.
const MAX_URL_CHARS: usize = 2_048;
/// Longest account id accepted, in characters.
const MAX_ACCOUNT_CHARS: usize = 128;

/// New credentials as an ADMIN gives them.
pub struct NewCredentials<'a> {
    pub provider: &'a str,
    pub api_key: &'a str,
    pub base_url: Option<&'a str>,
    /// The webhook signing secret (`whsec_...`); `None` keeps the current one.
    pub webhook_secret: Option<&'a str>,
    /// The provider account the API paths name: required where the provider's profile says
    /// so (Fireworks), refused elsewhere.
    pub account_id: Option<&'a str>,
}

fn check_provider(provider: &str) -> Result<String> {
    let provider = provider.trim();
    if !provider::PROVIDERS.contains(&provider) {
        return Err(Error::bad_input(
            "provider",
            format!(
                "unknown provider {}; known providers: {}",
                excerpt(provider),
                provider::PROVIDERS.join(", ")
            ),
        ));
    }
    Ok(provider.to_owned())
}

fn check_key(api_key: &str) -> Result<String> {
    let key = validate::required_trimmed("apiKey", api_key)?;
    validate::max_chars("apiKey", &key, MAX_KEY_CHARS)?;
    if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::bad_input(
            "apiKey",
            "apiKey must not contain spaces or control characters",
        ));
    }
    Ok(key)
}

fn check_base_url(provider: &str, base_url: Option<&str>) -> Result<Option<String>> {
    let Some(url) = base_url.map(str::trim).filter(|u| !u.is_empty()) else {
        if provider::default_base_url(provider).is_none() {
            return Err(Error::bad_input(
                "baseUrl",
                format!("provider {provider:?} needs a baseUrl, such as https://NAME.openai.azure.com/openai/v1"),
            ));
        }
        return Ok(None);
    };
    validate::max_chars("baseUrl", url, MAX_URL_CHARS)?;
    let valid = reqwest::Url::parse(url)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
    if !valid {
        return Err(Error::bad_input(
            "baseUrl",
            format!("baseUrl must be an http(s) URL, got {}", excerpt(url)),
        ));
    }
    Ok(Some(url.trim_end_matches('/').to_owned()))
}

/// The account id: required (and checked) for providers whose paths name an account, refused
/// for the others so that a mistake is not silently ignored.
fn check_account_id(provider: &str, account_id: Option<&str>) -> Result<Option<String>> {
    let given = account_id.map(str::trim).filter(|id| !id.is_empty());
    if !provider::profile_or_default(provider).needs_account_id {
        return match given {
            Some(_) => Err(Error::bad_input(
                "accountId",
                format!(
                    "provider {provider:?} takes no accountId (its API key names the account); \
                     leave accountId out"
                ),
            )),
            None => Ok(None),
        };
    }
    let Some(id) = given else {
        return Err(Error::bad_input(
            "accountId",
            format!(
                "provider {provider:?} needs accountId: the account id shown in the provider's \
                 console (its API paths are /v1/accounts/ACCOUNT_ID/...)"
            ),
        ));
    };
    validate::max_chars("accountId", id, MAX_ACCOUNT_CHARS)?;
    let valid = id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(Error::bad_input(
            "accountId",
            format!(
                "accountId must be letters, digits, `-` or `_` (the id, not a URL or resource \
                 name), got {}",
                excerpt(id)
            ),
        ));
    }
    Ok(Some(id.to_owned()))
}

fn check_webhook_secret(secret: &str) -> Result<String> {
    let secret = validate::required_trimmed("webhookSecret", secret)?;
    validate::max_chars("webhookSecret", &secret, MAX_KEY_CHARS)?;
    if webhook_signature::decode_secret(&secret).is_none() {
        return Err(Error::bad_input(
            "webhookSecret",
            "webhookSecret must be the provider's signing secret: `whsec_` followed by base64",
        ));
    }
    Ok(secret)
}

/// Sets (or replaces) the workspace's credentials for a provider. `availableModels` (whose
/// `chatBaseUrl` comes from them) hears of it.
pub async fn set(
    app: &AppContext,
    workspace_id: WorkspaceId,
    new: NewCredentials<'_>,
) -> Result<provider_credential::Model> {
    let provider = check_provider(new.provider)?;
    let key = check_key(new.api_key)?;
    let base_url = check_base_url(&provider, new.base_url)?;
    let account_id = check_account_id(&provider, new.account_id)?;
    let last4: String = key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let ciphertext = app.secrets.encrypt(&key)?;
    let webhook_secret = match new.webhook_secret {
        Some(secret) => Some(app.secrets.encrypt(&check_webhook_secret(secret)?)?),
        None => None,
    };
    let now = Utc::now();
    let txn = crate::db::begin_write(&app.db).await?;
    let row = match find(&txn, workspace_id, &provider).await? {
        Some(existing) => {
            let mut row: provider_credential::ActiveModel = existing.into();
            row.api_key_ciphertext = Set(ciphertext);
            row.api_key_last4 = Set(last4);
            row.base_url = Set(base_url);
            row.account_id = Set(account_id);
            if webhook_secret.is_some() {
                row.webhook_secret_ciphertext = Set(webhook_secret);
            }
            row.updated_at = Set(now);
            row.update(&txn).await?
        }
        None => {
            provider_credential::ActiveModel {
                id: Set(CredentialId::generate()),
                workspace_id: Set(workspace_id),
                provider: Set(provider),
                api_key_ciphertext: Set(ciphertext),
                api_key_last4: Set(last4),
                base_url: Set(base_url),
                account_id: Set(account_id),
                webhook_secret_ciphertext: Set(webhook_secret),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?
        }
    };
    app.commit_catalog_change(txn, workspace_id).await?;
    Ok(row)
}

/// The workspace's credentials for `provider`, if set.
pub async fn find(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
    provider: &str,
) -> Result<Option<provider_credential::Model>> {
    Ok(provider_credential::Entity::find()
        .filter(provider_credential::Column::WorkspaceId.eq(workspace_id))
        .filter(provider_credential::Column::Provider.eq(provider))
        .one(db)
        .await?)
}

/// All of the workspace's credentials (without their keys' clear text).
pub async fn list(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
) -> Result<Vec<provider_credential::Model>> {
    Ok(provider_credential::Entity::find()
        .filter(provider_credential::Column::WorkspaceId.eq(workspace_id))
        .order_by_asc(provider_credential::Column::Provider)
        .all(db)
        .await?)
}

/// The path of the webhook URL of the provider credential `credential_id` (served by the
/// webhook endpoint, `POST /webhooks/openai/{credentialId}`).
pub fn webhook_path(credential_id: CredentialId) -> String {
    format!("/webhooks/openai/{credential_id}")
}

/// A client for `provider` with the workspace's credentials; a clear error when none are set.
pub async fn connect(
    app: &AppContext,
    workspace_id: WorkspaceId,
    provider: &str,
) -> Result<Arc<dyn FineTuningProvider>> {
    let Some(row) = find(&app.db, workspace_id, provider).await? else {
        return Err(Error::bad_input(
            "provider",
            format!(
                "no API key is set for provider {provider:?} in this workspace; an ADMIN sets one with \
                 setProviderCredentials(provider: {provider:?}, apiKey: \"...\")"
            ),
        ));
    };
    let settings = &app.training.provider;
    if let Some(client) = app.provider_clients.get(&row, settings) {
        return Ok(client);
    }
    let credentials = Credentials {
        api_key: app.secrets.decrypt(&row.api_key_ciphertext)?,
        base_url: row.base_url.clone(),
        account_id: row.account_id.clone(),
    };
    let client = provider::connect(provider, &credentials, settings, &app.http, &app.metrics)
        .map_err(|err| Error::bad_input("provider", err.to_string()))?;
    app.provider_clients.keep(&row, settings, client.clone());
    Ok(client)
}

/// What checking credentials against the provider found.
pub struct CredentialsCheck {
    /// Whether the provider accepted them.
    pub ok: bool,
    /// What happened, in words.
    pub message: String,
    /// Models the credentials can see (when they work).
    pub model_count: usize,
}

/// Checks the credentials against the provider (`GET /models`) and says why they fail.
pub async fn check(
    app: &AppContext,
    workspace_id: WorkspaceId,
    provider: &str,
) -> Result<CredentialsCheck> {
    let client = connect(app, workspace_id, provider).await?;
    Ok(match client.list_models().await {
        Ok(models) => CredentialsCheck {
            ok: true,
            message: format!(
                "the provider accepted the credentials and lists {} models",
                models.len()
            ),
            model_count: models.len(),
        },
        Err(err) => CredentialsCheck {
            ok: false,
            message: err.message(),
            model_count: 0,
        },
    })
}

/// Where the workspace's `provider` answers chat completions, signed in with its stored key;
/// `None` when the workspace has no credentials for that provider.
pub async fn chat_endpoint(
    app: &AppContext,
    workspace_id: WorkspaceId,
    provider: &str,
) -> Result<Option<provider::ChatEndpoint>> {
    let Some(row) = find(&app.db, workspace_id, provider).await? else {
        return Ok(None);
    };
    let credentials = Credentials {
        api_key: app.secrets.decrypt(&row.api_key_ciphertext)?,
        base_url: row.base_url,
        account_id: row.account_id,
    };
    let endpoint = provider::chat_endpoint(provider, &credentials)
        .map_err(|err| Error::bad_input("provider", err.to_string()))?;
    Ok(Some(endpoint))
}
