//! One attempt at a provider request and what its failure means: retry, or give up with which
//! `ProviderError`.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::header::LOCATION;
use reqwest::{RequestBuilder, StatusCode, Url};

use super::http::Replay;
use super::retry::retry_after;
use super::wire::parse_error_body;
use super::ProviderError;

/// One attempt's failure: worth another try, or final.
pub(crate) enum Failure {
    Retryable {
        reason: String,
        detail: String,
        retry_after: Option<Duration>,
    },
    Final(ProviderError),
}

/// Sends the request once: the outcome's metric label (see [`outcome_of_status`] and
/// [`outcome_of_transport`]), and the successful body or how it failed.
pub(crate) async fn attempt(
    request: RequestBuilder,
    label: &str,
    replay: Replay,
) -> (&'static str, Result<Bytes, Failure>) {
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) => {
            let failure = transport_failure(&error, label, replay);
            return (outcome_of_transport(&error), Err(failure));
        }
    };
    let status = response.status();
    let outcome = outcome_of_status(status);
    if status.is_success() {
        return match response.bytes().await {
            Ok(body) => (outcome, Ok(body)),
            Err(error) => (
                outcome_of_transport(&error),
                Err(transport_failure(&error, label, replay)),
            ),
        };
    }
    if status.is_redirection() {
        let location = response.headers().get(LOCATION);
        let location = location.and_then(|value| value.to_str().ok());
        let message = format!(
            "the provider redirected {label} to {}; set the base URL to the address the API \
             really lives at (tuner follows no redirects, so the key never goes elsewhere)",
            location.unwrap_or("another address")
        );
        return (
            outcome,
            Err(Failure::Final(ProviderError::Protocol { message })),
        );
    }
    let wait = retry_after(response.headers(), SystemTime::now());
    let body = response.bytes().await.unwrap_or_default();
    (outcome, Err(status_failure(status, &body, wait, label)))
}

/// The metric label of a provider's answer: `ok`, `http_429`, `http_4xx`, `http_5xx` or
/// `http_other` (redirects and the like).
pub fn outcome_of_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        200..=299 => "ok",
        429 => "http_429",
        400..=499 => "http_4xx",
        500..=599 => "http_5xx",
        _ => "http_other",
    }
}

/// The metric label of a request that got no answer: `timeout`, `connect_error` or
/// `transport_error`.
pub fn outcome_of_transport(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connect_error"
    } else {
        "transport_error"
    }
}

fn status_failure(status: StatusCode, body: &[u8], wait: Option<Duration>, label: &str) -> Failure {
    let error = parse_error_body(status, body);
    let code = status.as_u16();
    // OpenAI answers 429 with `insufficient_quota` when billing, not load, is the problem.
    let out_of_quota = error.code.as_deref() == Some("insufficient_quota");
    let final_error = match code {
        429 | 500 | 502 | 503 | 504 if !out_of_quota => {
            return Failure::Retryable {
                reason: format!("HTTP {code}"),
                detail: format!("HTTP {code}: {}", error.message),
                retry_after: wait,
            }
        }
        401 | 403 => ProviderError::Unauthorized {
            message: error.message,
        },
        404 => ProviderError::NotFound {
            message: error.message,
        },
        400..=499 => ProviderError::Rejected {
            status: code,
            code: error.code,
            message: error.message,
            param: error.param,
        },
        500..=599 => ProviderError::Unavailable {
            message: format!(
                "the provider failed: HTTP {code}: {} ({label})",
                error.message
            ),
        },
        _ => ProviderError::Protocol {
            message: format!(
                "unexpected HTTP {code} answer to {label}: {}; is the base URL an \
                 OpenAI-compatible API?",
                error.message
            ),
        },
    };
    Failure::Final(final_error)
}

fn transport_failure(error: &reqwest::Error, label: &str, replay: Replay) -> Failure {
    let cause = error_chain(error);
    if error.is_connect() {
        let host = error
            .url()
            .and_then(Url::host_str)
            .unwrap_or("the provider");
        let detail = format!("could not connect to {host} ({cause}); check the base URL");
        // Nothing was sent, so even non-idempotent requests may go again.
        return Failure::Retryable {
            reason: "connection failed".into(),
            detail,
            retry_after: None,
        };
    }
    let (reason, detail) = if error.is_timeout() {
        ("timeout", "the provider did not answer in time".to_owned())
    } else {
        (
            "connection error",
            format!("the connection failed ({cause})"),
        )
    };
    if replay == Replay::Safe {
        return Failure::Retryable {
            reason: reason.into(),
            detail,
            retry_after: None,
        };
    }
    Failure::Final(ProviderError::Unavailable {
        message: format!(
            "{detail} ({label}); the provider may have acted on the request, so tuner did not \
             send it again"
        ),
    })
}

/// The causes of a transport error, joined: reqwest's own text rarely says what went wrong.
fn error_chain(error: &reqwest::Error) -> String {
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    if causes.is_empty() {
        causes.push(error.to_string());
    }
    causes.join(": ")
}
