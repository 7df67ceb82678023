//! The chat gateway: bots call a workspace's custom models by name through one
//! OpenAI-compatible endpoint. tuner finds the model's provider and provider model, puts the
//! trained system prompt first, signs in with the workspace's stored key, forwards the request
//! (every other field untouched), relays the answer as it comes, and counts usage.

pub mod endpoints;
pub mod errors;
pub mod graphql;
pub mod limits;
pub mod messages;
pub mod models;
pub mod relay;
pub mod usage;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use serde_json::{Map, Value};

use self::endpoints::ChatEndpoints;
use self::errors::ChatError;
use self::limits::{Limiter, TokenLimits};
use self::messages::Applied;
use self::relay::Meter;
use self::usage::{Tokens, UsageRecorder};
use crate::app_context::AppContext;
use crate::auth::{self, Auth, Principal};
use crate::available_models::cache::{AvailableModelsCache, AVAILABLE_MODELS_CACHE};
use crate::available_models::AvailableModel;
use crate::config::{BillingMode, ChatArgs};
use crate::credits;

/// Largest answer read whole from a provider (non-streaming answers and error bodies).
const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// Settings of the chat endpoint.
#[derive(Debug, Clone)]
pub struct ChatSettings {
    /// Credits charged per request; 0: free.
    pub credits_per_request: i64,
    /// Largest request body.
    pub max_request_bytes: usize,
    /// Longest a request may take at the provider, streaming included.
    pub upstream_timeout: Duration,
    /// Per-token limits.
    pub limits: TokenLimits,
}

impl Default for ChatSettings {
    fn default() -> Self {
        Self {
            credits_per_request: 0,
            max_request_bytes: 4 * 1024 * 1024,
            upstream_timeout: Duration::from_secs(600),
            limits: TokenLimits {
                requests_per_minute: 600,
                max_concurrent: 32,
            },
        }
    }
}

impl From<&ChatArgs> for ChatSettings {
    fn from(args: &ChatArgs) -> Self {
        Self {
            credits_per_request: args.chat_credits_per_request.max(0),
            max_request_bytes: args.chat_max_request_bytes,
            upstream_timeout: Duration::from_secs(args.chat_upstream_timeout.max(1)),
            limits: TokenLimits {
                requests_per_minute: args.chat_requests_per_minute,
                max_concurrent: args.chat_max_concurrent_per_token.max(1),
            },
        }
    }
}

/// The body of an answer: read whole, or relayed as it arrives.
pub enum AnswerBody {
    /// The provider's JSON answer.
    Whole(Bytes),
    /// The provider's Server-Sent Events, passed on event by event.
    Events(BoxStream<'static, Result<Bytes, std::io::Error>>),
}

/// Which model of a custom model a request is sent to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Target {
    /// The fine-tuned model bots call (the default).
    #[default]
    Tuned,
    /// The base model it was tuned from, on the same provider with the same system prompt: to
    /// compare answers and see what training changed.
    Base,
}

impl Target {
    /// The value of the `x-tuner-target` header: `tuned` or `base`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tuned => "tuned",
            Self::Base => "base",
        }
    }

    /// Reads the `x-tuner-target` header; absent means `tuned`.
    pub fn parse(header: Option<&str>) -> Result<Self, ChatError> {
        match header.map(str::trim) {
            None | Some("tuned") => Ok(Self::Tuned),
            Some("base") => Ok(Self::Base),
            Some(_) => Err(ChatError::bad_request(
                None,
                "the x-tuner-target header must be `tuned` (the fine-tuned model, the default) or \
                 `base` (the base model it was tuned from)",
            )),
        }
    }
}

/// A provider's answer to pass on.
pub struct Answer {
    /// The provider's status.
    pub status: u16,
    /// The provider's content type.
    pub content_type: Option<String>,
    /// What was done to the messages.
    pub applied: Applied,
    /// The SHA-256 (hex) of the trained system prompt put first, if any.
    pub prompt_sha256: Option<String>,
    /// Which model answered.
    pub target: Target,
    /// The body.
    pub body: AnswerBody,
}

struct Inner {
    app: AppContext,
    settings: ChatSettings,
    models: AvailableModelsCache,
    endpoints: ChatEndpoints,
    limiter: Limiter,
    usage: UsageRecorder,
}

/// The chat endpoint's shared state. Cloning shares it.
#[derive(Clone)]
pub struct ChatGateway {
    inner: Arc<Inner>,
}

/// A request ready to send: where, what, and how its answer is treated.
struct Prepared {
    model: Arc<AvailableModel>,
    request: Map<String, Value>,
    applied: Applied,
    stream: bool,
    client_wants_usage: bool,
}

impl ChatGateway {
    /// The gateway of `app`.
    pub fn new(app: AppContext, settings: ChatSettings) -> Self {
        Self {
            inner: Arc::new(Inner {
                models: AvailableModelsCache::new(
                    &app.changes,
                    app.metrics.cache(AVAILABLE_MODELS_CACHE),
                ),
                endpoints: ChatEndpoints::new(&app),
                limiter: Limiter::new(settings.limits),
                usage: UsageRecorder::default(),
                app,
                settings,
            }),
        }
    }

    /// The usage not yet written (a background task writes it: [`UsageRecorder::run`]).
    pub fn usage(&self) -> UsageRecorder {
        self.inner.usage.clone()
    }

    /// The settings.
    pub fn settings(&self) -> &ChatSettings {
        &self.inner.settings
    }

    /// The caller of an `Authorization` header (any role may chat).
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Principal, ChatError> {
        // A header that is not `Bearer <token>` is a wrong key, not a missing one.
        let token = authorization.map(|header| auth::bearer_token(header).unwrap_or("malformed"));
        match self.inner.app.authenticate(token).await? {
            Auth::Valid(principal) => Ok(principal),
            Auth::Missing => Err(ChatError::Unauthenticated(
                "no API key: send a tuner API token as `Authorization: Bearer tnr_...`",
            )),
            Auth::Invalid => Err(ChatError::Unauthenticated(
                "incorrect API key: the token is unknown or was revoked",
            )),
        }
    }

    /// The models the caller's workspace can call now.
    pub async fn models(&self, caller: &Principal) -> Result<Vec<Arc<AvailableModel>>, ChatError> {
        let app = &self.inner.app;
        let retirements = &app.training.retirements;
        models::callable(
            &self.inner.models,
            &app.db,
            retirements,
            caller.workspace_id,
        )
        .await
    }

    /// The callable model `name` of the caller's workspace.
    pub async fn model(
        &self,
        caller: &Principal,
        name: &str,
    ) -> Result<Arc<AvailableModel>, ChatError> {
        let app = &self.inner.app;
        let retirements = &app.training.retirements;
        models::find(
            &self.inner.models,
            &app.db,
            retirements,
            caller.workspace_id,
            name,
        )
        .await
    }

    /// Answers a chat completions request `body` of `caller` with the `target` model.
    pub async fn complete(
        &self,
        caller: &Principal,
        body: &[u8],
        target: Target,
    ) -> Result<Answer, ChatError> {
        if body.len() > self.inner.settings.max_request_bytes {
            return Err(ChatError::TooLarge(self.inner.settings.max_request_bytes));
        }
        let slot = self.inner.limiter.admit(caller.token_id)?;
        let prepared = self.prepare(caller, body, target).await?;
        let provider = prepared.model.provider.clone();
        let app = &self.inner.app;
        let Some(endpoint) = self
            .inner
            .endpoints
            .get(app, caller.workspace_id, &provider)
            .await?
        else {
            return Err(ChatError::ProviderNotConfigured(format!(
                "the workspace has no credentials for provider {provider:?}, which serves this \
                 model; an ADMIN sets them with setProviderCredentials"
            )));
        };
        let charge = self.inner.settings.credits_per_request;
        if charge > 0 {
            let enforce = app.training.billing_mode == BillingMode::Enforce;
            credits::charge_chat_request(&app.db, caller.workspace_id, charge, enforce).await?;
        }
        let started = std::time::Instant::now();
        let sent = endpoint
            .post(&app.http)
            .timeout(self.inner.settings.upstream_timeout)
            .json(&prepared.request)
            .send()
            .await;
        let outcome = match &sent {
            Ok(response) => crate::provider::outcome_of_status(response.status()),
            Err(error) => crate::provider::outcome_of_transport(error),
        };
        // Until the answer's head: a streamed answer goes on after.
        app.metrics
            .provider(&provider)
            .record(outcome, started.elapsed());
        let answer = match sent {
            Ok(response) if response.status().is_success() => response,
            failed => {
                if charge > 0 {
                    credits::refund_chat_request(&app.db, caller.workspace_id, charge).await?;
                }
                return Err(match failed {
                    Ok(response) => provider_error(response).await,
                    Err(error) => transport_error(&error),
                });
            }
        };
        let meter = Meter {
            recorder: self.inner.usage.clone(),
            workspace_id: caller.workspace_id,
            model_id: prepared.model.model.id,
            token_id: caller.token_id,
            tokens: Tokens::default(),
            _slot: slot,
        };
        let status = answer.status().as_u16();
        let content_type = answer
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let prompt_sha256 = prepared.model.system_prompt.as_deref().map(sha256_hex);
        let body = if prepared.stream {
            let events =
                relay::relay_events(answer.bytes_stream(), meter, prepared.client_wants_usage);
            AnswerBody::Events(events)
        } else {
            AnswerBody::Whole(read_whole(answer, meter).await?)
        };
        Ok(Answer {
            status,
            content_type,
            applied: prepared.applied,
            prompt_sha256,
            target,
            body,
        })
    }

    /// Reads the request, finds its model and rewrites it for the provider.
    async fn prepare(
        &self,
        caller: &Principal,
        body: &[u8],
        target: Target,
    ) -> Result<Prepared, ChatError> {
        let Ok(Value::Object(mut request)) = serde_json::from_slice::<Value>(body) else {
            return Err(ChatError::bad_request(
                None,
                "the body must be a JSON object: a chat completions request",
            ));
        };
        let Some(name) = request
            .get("model")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            return Err(ChatError::bad_request(
                Some("model"),
                "`model` must be the name of one of the workspace's custom models",
            ));
        };
        let model = self.model(caller, &name).await?;
        let policy = model.model.client_system_messages;
        let applied =
            messages::apply_system_prompt(&mut request, model.system_prompt.as_deref(), policy)?;
        let provider_model = match target {
            Target::Tuned => &model.provider_model,
            Target::Base => &model.base_model,
        };
        request.insert("model".to_owned(), Value::String(provider_model.clone()));
        let stream = request.get("stream").and_then(Value::as_bool) == Some(true);
        let client_wants_usage = ask_for_usage(&mut request, stream);
        Ok(Prepared {
            model,
            request,
            applied,
            stream,
            client_wants_usage,
        })
    }
}

/// For a stream, asks the provider for the usage chunk (`stream_options.include_usage`);
/// returns whether the client asked for it itself.
fn ask_for_usage(request: &mut Map<String, Value>, stream: bool) -> bool {
    if !stream {
        return false;
    }
    let options = request
        .entry("stream_options")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(options) = options else {
        return false;
    };
    let asked = options.get("include_usage").and_then(Value::as_bool) == Some(true);
    options.insert("include_usage".to_owned(), Value::Bool(true));
    asked
}

fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Reads a whole answer (at most [`MAX_ANSWER_BYTES`]) and counts its usage.
async fn read_whole(answer: reqwest::Response, mut meter: Meter) -> Result<Bytes, ChatError> {
    let body = read_capped(answer).await?;
    if let Some(tokens) = serde_json::from_slice::<Value>(&body)
        .ok()
        .as_ref()
        .and_then(relay::usage_of)
    {
        meter.tokens = tokens;
    }
    Ok(body)
}

async fn read_capped(mut response: reqwest::Response) -> Result<Bytes, ChatError> {
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport_error(&e))? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(ChatError::Unreachable(format!(
                "the provider's answer is larger than {MAX_ANSWER_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The provider's error, with its status and its own words.
async fn provider_error(response: reqwest::Response) -> ChatError {
    let status = response.status().as_u16();
    let body = read_capped(response).await.unwrap_or_default();
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let error = parsed.as_ref().map(|v| v.get("error").unwrap_or(v));
    let text = |field: &str| {
        error
            .and_then(|e| e.get(field))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let message = text("message").unwrap_or_else(|| {
        let raw = String::from_utf8_lossy(&body);
        let raw = raw.trim();
        if raw.is_empty() {
            format!("the provider answered {status} without a message")
        } else {
            crate::error::clip(raw.to_owned(), 500)
        }
    });
    ChatError::Provider {
        status,
        message: format!("provider: {message}"),
        kind: text("type").unwrap_or_else(|| "api_error".to_owned()),
        code: text("code"),
    }
}

fn transport_error(error: &reqwest::Error) -> ChatError {
    if error.is_timeout() {
        ChatError::Timeout(
            "the provider took longer than --chat-upstream-timeout to answer".to_owned(),
        )
    } else {
        ChatError::Unreachable(format!(
            "the provider could not be reached: {}",
            crate::error::report(error)
        ))
    }
}
