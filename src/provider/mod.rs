//! The training-provider plug. Everything provider-specific lives under this module: the rest of
//! tuner talks to [`FineTuningProvider`] only, built by [`connect`] from a provider id (one of
//! [`PROVIDERS`]), credentials and settings, and never learns which provider a job runs on.
//!
//! OpenAI stops accepting new fine-tuning jobs on 2027-01-06. Adapters: `openai.rs` (OpenAI,
//! Azure OpenAI and, with its differences, Nebius Token Factory) and `together.rs` (Together
//! AI) and `fireworks.rs` (Fireworks AI, whose API lives under an account). A provider's static facts (learning-rate style, data rules, serving) live in
//! [`profile`]; a new provider is a new adapter, a profile and an arm in [`connect`].

mod base_models;
mod chat;
mod deployment;
mod error;
mod failure;
mod fireworks;
mod fireworks_wire;
mod http;
mod lenient;
mod nebius;
mod openai;
mod profile;
mod retry;
mod together;
mod together_wire;
mod types;
mod upload;
mod wire;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;

use crate::metrics::Metrics;

pub use base_models::BaseModel;
pub use chat::{chat_base_url, chat_endpoint, ChatEndpoint};
pub use deployment::{DeployRequest, Deployment, DeploymentOptions, DeploymentState};
pub use error::ProviderError;
pub use profile::{
    profile, profile_or_default, DataRules, LearningRate, Profile, Serving, PROVIDERS,
};
pub use types::{
    CreateJobRequest, EventPage, Hyperparameters, JobMarker, ProviderCheckpoint, ProviderEvent,
    ProviderJob, ProviderJobError, ProviderJobStatus, ProviderMetrics, UploadedFile,
};

pub use failure::{outcome_of_status, outcome_of_transport};
pub use http::shared_client;
use http::{AuthScheme, HttpClient};

/// Metadata key under which a provider job carries tuner's job id (where the provider keeps
/// metadata; see [`JobMarker`]).
pub const JOB_ID_METADATA: &str = "tuner_job_id";

/// A fine-tuning service. Methods retry transient failures themselves (per
/// [`ProviderSettings`]); an `Err` is final for this call.
#[async_trait::async_trait]
pub trait FineTuningProvider: Send + Sync {
    /// Checks the credentials (GET /models); returns model ids.
    async fn list_models(&self) -> Result<Vec<String>, ProviderError>;
    /// The base models the provider fine-tunes, from its API where it has one.
    async fn list_base_models(&self) -> Result<Vec<BaseModel>, ProviderError>;
    /// Uploads a JSONL training file from disk (purpose=fine-tune), streaming it.
    async fn upload_training_file(
        &self,
        path: &Path,
        filename: &str,
    ) -> Result<UploadedFile, ProviderError>;
    /// Starts a job. Never repeated once the provider may have received it: after an
    /// `Unavailable` error, look for the job with `find_job` before trying again.
    async fn create_job(&self, request: &CreateJobRequest) -> Result<ProviderJob, ProviderError>;
    async fn get_job(&self, job_id: &str) -> Result<ProviderJob, ProviderError>;
    /// The job created for `marker`, if the provider has one: by metadata where the provider
    /// keeps it, else the newest job trained on the marker's training file.
    async fn find_job(&self, marker: &JobMarker) -> Result<Option<ProviderJob>, ProviderError>;
    async fn cancel_job(&self, job_id: &str) -> Result<ProviderJob, ProviderError>;
    /// One page of events, newest first; `after` = an event id to continue past (older).
    async fn list_events(
        &self,
        job_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<EventPage, ProviderError>;
    /// All checkpoints of a job (all pages).
    async fn list_checkpoints(
        &self,
        job_id: &str,
    ) -> Result<Vec<ProviderCheckpoint>, ProviderError>;
    /// Loss figures the provider reports outside its event log, as "metrics" events with
    /// stable ids, oldest first (none where the event log carries them).
    async fn list_metrics(&self, job_id: &str) -> Result<Vec<ProviderEvent>, ProviderError> {
        let _ = job_id;
        Ok(Vec::new())
    }
    /// The shutdown days the provider announces for the models the account can call (OpenAI's
    /// `GET /models` `shutdown_date`); none where the provider announces none this way.
    async fn announced_shutdowns(&self) -> Result<Vec<(String, NaiveDate)>, ProviderError> {
        Ok(Vec::new())
    }
    /// When a model this provider trained can be called.
    fn serving(&self) -> Serving;
    /// Makes a trained model callable (providers that serve only deployments); the answer says
    /// where the new deployment stands.
    async fn deploy(&self, request: &DeployRequest) -> Result<Deployment, ProviderError>;
    /// The deployment `id` as it stands; `None` when the provider no longer has it (providers
    /// remove idle ones).
    async fn get_deployment(&self, id: &str) -> Result<Option<Deployment>, ProviderError>;
    /// Removes the deployment `id` (already gone is fine).
    async fn undeploy(&self, id: &str) -> Result<(), ProviderError>;
}

/// How to reach a provider account. `Debug` never shows the key.
#[derive(Clone)]
pub struct Credentials {
    pub api_key: String,
    /// `None` uses [`default_base_url`].
    pub base_url: Option<String>,
    /// The provider account the API paths name (Fireworks: `.../accounts/{account_id}/...`);
    /// `None` for providers whose key alone names the account.
    pub account_id: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &"<redacted>")
            .field("base_url", &self.base_url)
            .field("account_id", &self.account_id)
            .finish()
    }
}

/// Timeouts and retry policy for provider calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSettings {
    /// Limit for one ordinary request, from connecting to the last byte of the answer.
    pub request_timeout: Duration,
    /// Limit for one training-file upload attempt.
    pub upload_timeout: Duration,
    /// Retries after the first attempt (so at most `max_retries + 1` attempts).
    pub max_retries: u32,
    /// Pause before the first retry; doubles per retry, with jitter.
    pub initial_backoff: Duration,
    /// Longest pause between attempts, also the cap on a provider's `Retry-After`.
    pub max_backoff: Duration,
}

impl Default for ProviderSettings {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(30),
            upload_timeout: Duration::from_secs(600),
            max_retries: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// The base URL used when none is configured (None when the provider needs one).
pub fn default_base_url(provider: &str) -> Option<&'static str> {
    profile(provider).and_then(|profile| profile.default_base_url)
}

/// Why a provider client cannot be set up from a workspace's credentials; each says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The provider id is not one tuner knows.
    #[error("unknown provider {}; use one of: {}", crate::error::excerpt(.0), PROVIDERS.join(", "))]
    UnknownProvider(String),
    /// The provider has no default base URL and none is configured.
    #[error(
        "provider {0:?} needs a base URL, like https://YOUR-RESOURCE.openai.azure.com/openai/v1"
    )]
    MissingBaseUrl(String),
    /// The configured base URL is not an http(s) URL.
    #[error("{0}")]
    InvalidBaseUrl(String),
    /// The API key cannot be sent.
    #[error("{0}")]
    InvalidApiKey(&'static str),
    /// The provider's API paths name an account and none is configured.
    #[error(
        "provider {0:?} needs an account id: set it with setProviderCredentials(provider: {0:?}, \
         apiKey: \"...\", accountId: \"YOUR-ACCOUNT\")"
    )]
    MissingAccountId(String),
}

/// The account id of the credentials, trimmed; `None` when empty or unset.
fn account_id(credentials: &Credentials) -> Option<&str> {
    credentials
        .account_id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty())
}

/// Builds the adapter for a provider id on the process's shared HTTP `client`. Refuses an
/// unknown id, a missing or non-http(s) base URL and an empty API key. Every HTTP request the
/// adapter sends is recorded in `metrics`.
pub fn connect(
    provider: &str,
    credentials: &Credentials,
    settings: &ProviderSettings,
    client: &reqwest::Client,
    metrics: &Metrics,
) -> Result<Arc<dyn FineTuningProvider>, SetupError> {
    let auth = match provider {
        "azure-openai" => AuthScheme::ApiKeyHeader,
        "openai" | "together" | "nebius" | "fireworks" => AuthScheme::Bearer,
        _ => return Err(SetupError::UnknownProvider(provider.to_owned())),
    };
    let configured = credentials
        .base_url
        .as_deref()
        .map(str::trim)
        .filter(|url| !url.is_empty());
    let Some(base_url) = configured.or_else(|| default_base_url(provider)) else {
        return Err(SetupError::MissingBaseUrl(provider.to_owned()));
    };
    if provider == "fireworks" {
        let Some(account) = account_id(credentials) else {
            return Err(SetupError::MissingAccountId(provider.to_owned()));
        };
        let calls = metrics.provider(provider);
        let mut http = HttpClient::new(
            client,
            base_url,
            &credentials.api_key,
            auth,
            settings,
            calls,
        )?;
        http.descend(&["accounts", account]);
        return Ok(Arc::new(fireworks::Fireworks::new(http)));
    }
    let calls = metrics.provider(provider);
    let http = HttpClient::new(
        client,
        base_url,
        &credentials.api_key,
        auth,
        settings,
        calls,
    )?;
    Ok(match provider {
        "together" => Arc::new(together::Together::new(http)),
        "nebius" => Arc::new(openai::OpenAiCompatible::new(http, openai::Flavour::Nebius)),
        _ => Arc::new(openai::OpenAiCompatible::new(http, openai::Flavour::OpenAi)),
    })
}
