//! HTTP plumbing for OpenAI-compatible adapters: the process's one HTTP client, the API key,
//! URLs, timeouts and the retry loop. The API key lives only in a sensitive header value; it is
//! never logged.

use std::future::Future;
use std::time::Instant;

use bytes::Bytes;
use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION};
use reqwest::{Client, Method, RequestBuilder, Url};

use super::failure::{attempt, Failure};
use super::retry::backoff_delay;
use super::{ProviderError, ProviderSettings, SetupError};
use crate::metrics::ProviderCalls;

/// How the API key travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthScheme {
    /// `Authorization: Bearer KEY` (OpenAI and most compatible servers).
    Bearer,
    /// `api-key: KEY` (Azure OpenAI).
    ApiKeyHeader,
}

/// Whether a request may be repeated when tuner cannot tell if the provider acted on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replay {
    /// Repeating is harmless: reads, uploads (a duplicate file is only clutter), cancels.
    Safe,
    /// Repeat only when the provider surely did nothing: it refused with 429/5xx, or the
    /// connection never opened. A timeout or reset after sending may hide a job that was created.
    UnsentOnly,
}

/// The HTTP client every provider adapter of a process shares (one connection pool).
pub fn shared_client(settings: &ProviderSettings) -> reqwest::Result<Client> {
    Client::builder()
        .connect_timeout(settings.request_timeout)
        // A redirect could carry the `api-key` header to another host; APIs do not redirect.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("tuner/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// The shared client bound to one base URL and one API key.
pub(crate) struct HttpClient {
    client: Client,
    base: Url,
    auth: (HeaderName, HeaderValue),
    settings: ProviderSettings,
    calls: ProviderCalls,
}

impl HttpClient {
    /// Checks the base URL and key and binds `client` to them; every attempt is recorded in
    /// `calls`.
    pub(crate) fn new(
        client: &Client,
        base_url: &str,
        api_key: &str,
        auth: AuthScheme,
        settings: &ProviderSettings,
        calls: ProviderCalls,
    ) -> Result<Self, SetupError> {
        Ok(Self {
            client: client.clone(),
            base: parse_base_url(base_url)?,
            auth: auth_header(api_key, auth)?,
            settings: settings.clone(),
            calls,
        })
    }

    /// The same client on the base URL whose last segment is `segment` instead (a provider's
    /// `/v0` API beside its `/v1`).
    pub(crate) fn sibling(&self, segment: &str) -> Self {
        let mut base = self.base.clone();
        if let Ok(mut path) = base.path_segments_mut() {
            path.pop_if_empty().pop().push(segment);
        }
        Self {
            client: self.client.clone(),
            base,
            auth: self.auth.clone(),
            settings: self.settings.clone(),
            calls: self.calls.clone(),
        }
    }

    /// Moves the base URL down by `segments` (each percent-encoded as needed): a provider whose
    /// API lives under an account (`{base}/accounts/{id}`).
    pub(crate) fn descend(&mut self, segments: &[&str]) {
        self.base = self.url(segments);
    }

    /// The base URL followed by `segments` (each percent-encoded as needed).
    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// A request with the ordinary timeout.
    pub(crate) fn request(&self, method: Method, segments: &[&str]) -> RequestBuilder {
        let timeout = self.settings.request_timeout;
        self.client
            .request(method, self.url(segments))
            .header(self.auth.0.clone(), self.auth.1.clone())
            .timeout(timeout)
    }

    /// A request with the (longer) upload timeout.
    pub(crate) fn upload(&self, segments: &[&str]) -> RequestBuilder {
        let timeout = self.settings.upload_timeout;
        self.client
            .post(self.url(segments))
            .header(self.auth.0.clone(), self.auth.1.clone())
            .timeout(timeout)
    }

    /// Sends the request `build` makes (once per attempt) and returns the successful body,
    /// retrying transient failures with backoff. `label` names the call in messages and logs.
    pub(crate) async fn execute<F, Fut>(
        &self,
        label: &str,
        replay: Replay,
        build: F,
    ) -> Result<Bytes, ProviderError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<RequestBuilder, ProviderError>>,
    {
        let mut retries = 0;
        loop {
            let request = build().await?;
            let started = Instant::now();
            let (outcome, result) = attempt(request, label, replay).await;
            self.calls.record(outcome, started.elapsed());
            let (reason, detail, wait) = match result {
                Ok(body) => return Ok(body),
                Err(Failure::Final(error)) => return Err(error),
                Err(Failure::Retryable {
                    reason,
                    detail,
                    retry_after,
                }) => (reason, detail, retry_after),
            };
            if retries >= self.settings.max_retries {
                let attempts = retries + 1;
                let message = format!(
                    "the provider is unavailable: {detail} ({label}; gave up after {attempts} \
                     attempt(s)); try again later"
                );
                return Err(ProviderError::Unavailable { message });
            }
            retries += 1;
            let delay = wait.map_or_else(
                || backoff_delay(&self.settings, retries),
                |asked| asked.min(self.settings.max_backoff),
            );
            tracing::warn!(
                request = label,
                status = %reason,
                attempt = retries,
                max_retries = self.settings.max_retries,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "provider request failed; retrying"
            );
            tokio::time::sleep(delay).await;
        }
    }
}

pub(super) fn parse_base_url(base_url: &str) -> Result<Url, SetupError> {
    let url = Url::parse(base_url.trim()).map_err(|error| {
        SetupError::InvalidBaseUrl(format!(
            "the base URL {} is not a URL ({error}); write it like \
             https://api.openai.com/v1",
            crate::error::excerpt(base_url)
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(SetupError::InvalidBaseUrl(format!(
            "the base URL {} must start with https:// (or http://), like \
             https://api.openai.com/v1",
            crate::error::excerpt(base_url)
        )));
    }
    Ok(url)
}

pub(super) fn auth_header(
    api_key: &str,
    auth: AuthScheme,
) -> Result<(HeaderName, HeaderValue), SetupError> {
    let api_key = api_key.trim();
    if api_key.is_empty() {
        return Err(SetupError::InvalidApiKey(
            "the API key is empty; set the provider API key for this workspace",
        ));
    }
    let (name, value) = match auth {
        AuthScheme::Bearer => (AUTHORIZATION, format!("Bearer {api_key}")),
        AuthScheme::ApiKeyHeader => (HeaderName::from_static("api-key"), api_key.to_owned()),
    };
    let mut value = HeaderValue::from_str(&value).map_err(|_| {
        SetupError::InvalidApiKey(
            "the API key contains characters that cannot be sent in an HTTP header (such as \
             line breaks); paste the key again",
        )
    })?;
    value.set_sensitive(true);
    Ok((name, value))
}
