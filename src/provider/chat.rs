//! Where a provider answers chat completions for a trained model, and how to sign in there.
//! Every provider tuner trains on speaks OpenAI's `POST /chat/completions`.

use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{RequestBuilder, Url};

use super::http::{auth_header, parse_base_url, AuthScheme};
use super::{default_base_url, Credentials, SetupError};

/// A provider's chat completions URL with the header that carries the API key.
#[derive(Clone)]
pub struct ChatEndpoint {
    url: Url,
    auth: (HeaderName, HeaderValue),
}

impl ChatEndpoint {
    /// The chat completions URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// A POST to the endpoint, signed in.
    pub fn post(&self, client: &reqwest::Client) -> RequestBuilder {
        client
            .post(self.url.clone())
            .header(self.auth.0.clone(), self.auth.1.clone())
    }
}

// The key stays out of logs.
impl std::fmt::Debug for ChatEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatEndpoint")
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

/// The chat endpoint of `provider` for these credentials: `{base URL}/chat/completions`.
pub fn chat_endpoint(
    provider: &str,
    credentials: &Credentials,
) -> Result<ChatEndpoint, SetupError> {
    let scheme = match provider {
        "azure-openai" => AuthScheme::ApiKeyHeader,
        known if super::PROVIDERS.contains(&known) => AuthScheme::Bearer,
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
    let mut url = parse_base_url(base_url)?;
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(["chat", "completions"]);
    }
    Ok(ChatEndpoint {
        url,
        auth: auth_header(&credentials.api_key, scheme)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials(base_url: Option<&str>) -> Credentials {
        Credentials {
            api_key: "sk-test".to_owned(),
            base_url: base_url.map(str::to_owned),
        }
    }

    #[test]
    fn the_url_follows_the_base_url_and_the_key_its_providers_header() {
        let openai = chat_endpoint("openai", &credentials(None)).expect("openai");
        assert_eq!(
            openai.url().as_str(),
            "https://api.openai.com/v1/chat/completions"
        );
        assert_eq!(openai.auth.0.as_str(), "authorization");
        let azure = chat_endpoint(
            "azure-openai",
            &credentials(Some("https://r.openai.azure.com/openai/v1/")),
        )
        .expect("azure");
        assert_eq!(
            azure.url().as_str(),
            "https://r.openai.azure.com/openai/v1/chat/completions"
        );
        assert_eq!(azure.auth.0.as_str(), "api-key");
        assert!(chat_endpoint("azure-openai", &credentials(None)).is_err());
        assert!(chat_endpoint("nope", &credentials(None)).is_err());
    }
}
