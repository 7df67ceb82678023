//! The chat endpoint's errors, in OpenAI's shape (`{"error": {"message", "type", "param",
//! "code"}}`) so that OpenAI clients raise their usual exceptions.

use serde_json::{json, Value};

use crate::error::Error;

/// Why a chat request was not answered.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// No token, or one tuner does not know (or revoked).
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// The request body is not a chat request tuner can forward.
    #[error("{message}")]
    BadRequest {
        message: String,
        param: Option<&'static str>,
        code: &'static str,
    },
    /// The body is larger than `--chat-max-request-bytes`.
    #[error("the request body is larger than {0} bytes (--chat-max-request-bytes)")]
    TooLarge(usize),
    /// No model of that name can be called in the workspace; says why.
    #[error("{0}")]
    ModelNotFound(String),
    /// Too many requests for the token: per minute or in flight.
    #[error("{message}")]
    RateLimited {
        message: String,
        code: &'static str,
        retry_after_secs: u64,
    },
    /// The workspace's balance cannot pay for the request.
    #[error("{0}")]
    InsufficientQuota(String),
    /// The workspace has no usable credentials for the model's provider.
    #[error("{0}")]
    ProviderNotConfigured(String),
    /// The provider answered with an error; its status and words are passed on.
    #[error("{message}")]
    Provider {
        status: u16,
        message: String,
        kind: String,
        code: Option<String>,
    },
    /// The provider could not be reached, or broke off.
    #[error("{0}")]
    Unreachable(String),
    /// The provider took longer than `--chat-upstream-timeout`.
    #[error("{0}")]
    Timeout(String),
    /// A fault inside tuner; the cause is logged, the client sees a generic message.
    #[error("internal server error")]
    Internal(#[source] Error),
}

impl ChatError {
    /// A 400 about `param`.
    pub fn bad_request(param: Option<&'static str>, message: impl Into<String>) -> Self {
        Self::BadRequest {
            message: message.into(),
            param,
            code: "invalid_request",
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthenticated(_) => 401,
            Self::BadRequest { .. } => 400,
            Self::TooLarge(_) => 413,
            Self::ModelNotFound(_) => 404,
            Self::RateLimited { .. } => 429,
            Self::InsufficientQuota(_) => 402,
            Self::ProviderNotConfigured(_) => 503,
            Self::Provider { status, .. } => *status,
            Self::Unreachable(_) => 502,
            Self::Timeout(_) => 504,
            Self::Internal(_) => 500,
        }
    }

    /// Seconds the client should wait before trying again, for a `Retry-After` header.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::RateLimited {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        }
    }

    /// The JSON body, in OpenAI's error shape.
    pub fn body(&self) -> Value {
        let (kind, code, param): (&str, Option<&str>, Option<&str>) = match self {
            Self::Unauthenticated(_) => ("invalid_request_error", Some("invalid_api_key"), None),
            Self::BadRequest { param, code, .. } => ("invalid_request_error", Some(code), *param),
            Self::TooLarge(_) => ("invalid_request_error", Some("request_too_large"), None),
            Self::ModelNotFound(_) => (
                "invalid_request_error",
                Some("model_not_found"),
                Some("model"),
            ),
            Self::RateLimited { code, .. } => ("requests", Some(code), None),
            Self::InsufficientQuota(_) => ("insufficient_quota", Some("insufficient_quota"), None),
            Self::ProviderNotConfigured(_) => ("api_error", Some("provider_not_configured"), None),
            Self::Provider { kind, code, .. } => (kind.as_str(), code.as_deref(), None),
            Self::Unreachable(_) => ("api_error", Some("provider_unreachable"), None),
            Self::Timeout(_) => ("api_error", Some("provider_timeout"), None),
            Self::Internal(_) => ("api_error", Some("internal_error"), None),
        };
        json!({ "error": { "message": self.to_string(), "type": kind, "param": param, "code": code } })
    }

    /// Logs an internal fault with its cause.
    pub fn log_if_internal(&self) {
        if let Self::Internal(error) = self {
            error.log_if_internal("chat request");
        }
    }
}

impl From<Error> for ChatError {
    fn from(error: Error) -> Self {
        match error {
            Error::InsufficientCredits(message) => Self::InsufficientQuota(message),
            other => Self::Internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_have_openais_shape_and_status() {
        let error = ChatError::ModelNotFound("The model `x` does not exist".to_owned());
        assert_eq!(error.status(), 404);
        assert_eq!(
            error.body(),
            json!({ "error": { "message": "The model `x` does not exist",
                "type": "invalid_request_error", "param": "model", "code": "model_not_found" } })
        );
        let limited = ChatError::RateLimited {
            message: "slow down".to_owned(),
            code: "rate_limit_exceeded",
            retry_after_secs: 3,
        };
        assert_eq!(
            (limited.status(), limited.retry_after_secs()),
            (429, Some(3))
        );
    }
}
