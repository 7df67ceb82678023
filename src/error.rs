//! The one error type of tuner's services, and how it reaches clients.
//!
//! Every variant maps to a stable `extensions.code` and HTTP status. Internal failures keep
//! their cause as the error's `source`, so logs and the command line show it; clients only ever
//! see [`Error::message`], which is generic for internal failures. GraphQL errors built from an
//! `Error` (by `?` in a resolver) carry it as their source and get their code and client
//! message when the answer is finished (`crate::graphql`).

use async_graphql::ServerError;
use axum::http::StatusCode;
use sea_orm::{DbErr, SqlErr};

/// `Result` with tuner's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a service call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is invalid; `field` names the offending input field.
    #[error("{message}")]
    BadInput { field: String, message: String },
    /// No valid API token was presented.
    #[error("{0}")]
    Unauthenticated(String),
    /// The token is valid but its role is too low.
    #[error("{0}")]
    Forbidden(String),
    /// The object does not exist in the caller's workspace.
    #[error("{what} {id} was not found")]
    NotFound { what: &'static str, id: String },
    /// The request contradicts the current state (duplicate name, ...).
    #[error("{message}")]
    Conflict {
        field: Option<String>,
        message: String,
    },
    /// The workspace's balance cannot pay for what was asked.
    #[error("{0}")]
    InsufficientCredits(String),
    /// The fine-tuning provider refused or failed; the message is the provider's own.
    #[error("{0}")]
    Provider(String),
    /// A database failure: logged with its cause, never shown.
    #[error("database error")]
    Database(#[from] DbErr),
    /// Any other unexpected failure: logged with its cause, never shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
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

impl Error {
    /// The HTTP status of an endpoint that answers with this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadInput { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::InsufficientCredits(_) => StatusCode::PAYMENT_REQUIRED,
            Self::Provider(_) => StatusCode::BAD_GATEWAY,
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Whether this is a fault of the server (logged with its cause).
    pub fn is_internal(&self) -> bool {
        matches!(self, Self::Database(_) | Self::Internal(_))
    }

    /// Logs an internal error with its whole chain of causes; other errors are the client's
    /// and are not logged.
    pub fn log_if_internal(&self, context: &str) {
        if self.is_internal() {
            tracing::error!(error = %report(self), "{context}");
        }
    }

    /// Gives a GraphQL error its client message, code and field.
    pub fn describe(&self, error: &mut ServerError) {
        error.message = self.message();
        let extensions = error.extensions.get_or_insert_with(Default::default);
        extensions.set("code", self.code());
        if let Some(field) = self.field() {
            extensions.set("field", field);
        }
    }

    /// This error as a GraphQL error, without a position.
    pub fn to_server_error(&self) -> ServerError {
        let mut error = ServerError::new(String::new(), None);
        self.describe(&mut error);
        error
    }
}

/// The error as the command line shows it: a client error with its code, an internal one with
/// its whole chain of causes.
pub fn for_cli(err: Error) -> anyhow::Error {
    if err.is_internal() {
        anyhow::Error::new(err)
    } else {
        anyhow::anyhow!("{} ({})", err.message(), err.code())
    }
}

/// An error and its causes on one line: `database error: connection refused: ...`.
pub fn report(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
