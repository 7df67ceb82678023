//! The one error type of tuner's services, and how it reaches GraphQL clients.
//!
//! Every variant maps to a stable `extensions.code`. Internal failures are logged with their cause
//! and reach the client only as a generic message. The type deliberately does not implement
//! `Display`, so `?` in a resolver always goes through the conversion below and keeps its code.

use async_graphql::ErrorExtensions;
use sea_orm::{DbErr, SqlErr};

/// `Result` with tuner's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a service call.
#[derive(Debug)]
pub enum Error {
    /// The input is invalid; `field` names the offending input field.
    BadInput { field: String, message: String },
    /// No valid API token was presented.
    Unauthenticated(String),
    /// The token is valid but its role is too low.
    Forbidden(String),
    /// The object does not exist in the caller's workspace.
    NotFound { what: &'static str, id: String },
    /// The request contradicts the current state (duplicate name, ...).
    Conflict {
        field: Option<String>,
        message: String,
    },
    /// The workspace's balance cannot pay for what was asked.
    InsufficientCredits(String),
    /// The fine-tuning provider refused or failed; the message is the provider's own.
    Provider(String),
    /// A database failure: logged, never shown.
    Database(DbErr),
    /// Any other unexpected failure: logged, never shown.
    Internal(anyhow::Error),
}

impl Error {
    /// A `BAD_USER_INPUT` error about `field`.
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A `NOT_FOUND` error for the object kind `what` with the given id.
    pub fn not_found(what: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            what,
            id: id.to_string(),
        }
    }

    /// A `CONFLICT` error about `field`.
    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Conflict {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// The `extensions.code` clients see.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadInput { .. } => "BAD_USER_INPUT",
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound { .. } => "NOT_FOUND",
            Self::Conflict { .. } => "CONFLICT",
            Self::InsufficientCredits(_) => "INSUFFICIENT_CREDITS",
            Self::Provider(_) => "PROVIDER_ERROR",
            Self::Database(_) | Self::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The message clients see: specific for their mistakes, generic for ours.
    pub fn message(&self) -> String {
        match self {
            Self::BadInput { message, .. } | Self::Conflict { message, .. } => message.clone(),
            Self::Unauthenticated(message) | Self::Forbidden(message) => message.clone(),
            Self::InsufficientCredits(message) | Self::Provider(message) => message.clone(),
            Self::NotFound { what, id } => format!("{what} {id} was not found"),
            Self::Database(_) | Self::Internal(_) => "internal server error".to_owned(),
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            Self::BadInput { field, .. } => Some(field),
            Self::Conflict { field, .. } => field.as_deref(),
            _ => None,
        }
    }
}

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        Self::Database(err)
    }
}

impl From<anyhow::Error> for Error {
    fn from(err: anyhow::Error) -> Self {
        Self::Internal(err)
    }
}

/// Most characters of a client's input quoted back in an error message.
pub const MAX_QUOTED_CHARS: usize = 100;

/// `text` quoted for an error message: whole when short, else its first
/// [`MAX_QUOTED_CHARS`] characters and its length.
pub fn excerpt(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        None => format!("{text:?}"),
        Some((cut, _)) => format!("{:?}… ({} characters)", &text[..cut], text.chars().count()),
    }
}

/// `message` cut to at most `max_chars` characters, marked with `…` when cut.
pub fn clip(mut message: String, max_chars: usize) -> String {
    if let Some((cut, _)) = message.char_indices().nth(max_chars) {
        message.truncate(cut);
        message.push('…');
    }
    message
}

/// Whether a database error is a unique-constraint violation (a lost race on a unique key).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

impl From<Error> for async_graphql::Error {
    fn from(err: Error) -> Self {
        match &err {
            Error::Database(cause) => tracing::error!(error = %cause, "database error"),
            Error::Internal(cause) => tracing::error!(error = ?cause, "internal error"),
            _ => {}
        }
        async_graphql::Error::new(err.message()).extend_with(|_, ext| {
            ext.set("code", err.code());
            if let Some(field) = err.field() {
                ext.set("field", field);
            }
        })
    }
}
