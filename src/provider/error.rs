//! What can go wrong when talking to a provider, sorted by what the caller should do about it.

/// A failed provider call. `message()` is a sentence fit for an admin: it says what happened and,
/// where tuner can tell, what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The provider refused the credentials (HTTP 401 or 403). `message` is the provider's own.
    #[error("{}", self.message())]
    Unauthorized { message: String },
    /// The provider refused the request (a 4xx other than 401, 403, 404 and 429).
    /// `code`, `message` and `param` are the provider's own.
    #[error("{}", self.message())]
    Rejected {
        status: u16,
        code: Option<String>,
        message: String,
        param: Option<String>,
    },
    /// The provider has no such object (HTTP 404). `message` is the provider's own.
    #[error("{}", self.message())]
    NotFound { message: String },
    /// The provider could not be reached or kept failing (429, 5xx, connection errors, timeouts)
    /// after the retries ran out. Trying again later may work.
    #[error("{}", self.message())]
    Unavailable { message: String },
    /// The provider answered something tuner cannot read.
    #[error("{}", self.message())]
    Protocol { message: String },
}

impl ProviderError {
    /// A full sentence describing the failure, keeping the provider's own words.
    pub fn message(&self) -> String {
        match self {
            Self::Unauthorized { message } => format!(
                "the provider did not accept the API key ({message}); check the API key and base \
                 URL in the workspace's provider credentials"
            ),
            Self::Rejected {
                status,
                code,
                message,
                param,
            } => {
                let mut details = format!("HTTP {status}");
                if let Some(code) = code {
                    details.push_str(&format!(", code {code}"));
                }
                if let Some(param) = param {
                    details.push_str(&format!(", parameter {param}"));
                }
                format!("the provider rejected the request: {message} ({details})")
            }
            Self::NotFound { message } => format!("the provider has no such object: {message}"),
            Self::Unavailable { message } | Self::Protocol { message } => message.clone(),
        }
    }

    /// True when the same call may succeed later without any change (only `Unavailable`).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }

    /// True when the provider may have carried the request out despite the error: the
    /// connection failed after sending (`Unavailable`), or it answered success in a body tuner
    /// cannot read (`Protocol`).
    pub fn may_have_taken_effect(&self) -> bool {
        matches!(self, Self::Unavailable { .. } | Self::Protocol { .. })
    }
}
