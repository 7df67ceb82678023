//! Where a provider answers chat completions for a trained model, and how to sign in there.
//! Every provider tuner trains on speaks OpenAI's `POST /chat/completions`, under its API base
//! URL, except Fireworks, which answers chats on its inference API (see [`chat_base_url`]).

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

/// The base URL at which `provider` answers chat completions, from the configured control-plane
/// base URL (`None`: the provider's default); `None` when neither is known.
///
/// Most providers answer chats under their API base. Fireworks answers them on its inference
/// API: the rule is that `inference` goes in before the base URL's last path segment, so
/// `https://api.fireworks.ai/v1` gives `https://api.fireworks.ai/inference/v1` and a custom base
/// such as `http://HOST/fireworks/v1` gives `http://HOST/fireworks/inference/v1`.
pub fn chat_base_url(provider: &str, base_url: Option<&str>) -> Option<String> {
    let configured = base_url.map(str::trim).filter(|url| !url.is_empty());
    let base_url = configured.or_else(|| default_base_url(provider))?;
    let base_url = base_url.trim_end_matches('/');
    if provider != "fireworks" {
        return Some(base_url.to_owned());
    }
    Some(match base_url.rsplit_once('/') {
        Some((head, last)) if !head.ends_with(':') && !head.ends_with('/') => {
            format!("{head}/inference/{last}")
        }
        _ => format!("{base_url}/inference/v1"),
    })
}

/// The chat endpoint of `provider` for these credentials: `{chat base URL}/chat/completions`
/// (see [`chat_base_url`]).
pub fn chat_endpoint(
    provider: &str,
    credentials: &Credentials,
) -> Result<ChatEndpoint, SetupError> {
    let scheme = match provider {
        "azure-openai" => AuthScheme::ApiKeyHeader,
        known if super::PROVIDERS.contains(&known) => AuthScheme::Bearer,
        _ => return Err(SetupError::UnknownProvider(provider.to_owned())),
    };
    let Some(base_url) = chat_base_url(provider, credentials.base_url.as_deref()) else {
        return Err(SetupError::MissingBaseUrl(provider.to_owned()));
    };
    let mut url = parse_base_url(&base_url)?;
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
            account_id: None,
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

    #[test]
    fn fireworks_chats_go_to_its_inference_api_beside_the_control_plane() {
        let default = chat_endpoint("fireworks", &credentials(None)).expect("fireworks");
        assert_eq!(
            default.url().as_str(),
            "https://api.fireworks.ai/inference/v1/chat/completions"
        );
        let custom = chat_endpoint(
            "fireworks",
            &credentials(Some("http://127.0.0.1:9/fireworks/v1/")),
        )
        .expect("custom");
        assert_eq!(
            custom.url().as_str(),
            "http://127.0.0.1:9/fireworks/inference/v1/chat/completions"
        );
        assert_eq!(
            chat_base_url("fireworks", Some("http://host")).as_deref(),
            Some("http://host/inference/v1")
        );
        assert_eq!(
            chat_base_url("together", None).as_deref(),
            Some("https://api.together.xyz/v1")
        );
        assert_eq!(chat_base_url("azure-openai", None), None);
    }
}
