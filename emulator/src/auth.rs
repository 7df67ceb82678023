//! API-key check: `Authorization: Bearer KEY` (OpenAI) or `api-key: KEY` (Azure OpenAI).

use axum::http::{header, HeaderMap, StatusCode};

use crate::error::ApiError;

/// Accepts the request when it carries the expected key (or any non-empty key if none is set).
pub fn check(headers: &HeaderMap, expected: Option<&str>) -> Result<(), ApiError> {
    let keys = presented_keys(headers);
    let Some(first) = keys.first() else {
        return Err(unauthorized(
            "(none). Send it as `Authorization: Bearer KEY` or `api-key: KEY`",
        ));
    };
    match expected {
        Some(expected) if !keys.iter().any(|k| k == expected) => Err(unauthorized(&mask(first))),
        _ => Ok(()),
    }
}

fn presented_keys(headers: &HeaderMap) -> Vec<String> {
    let bearer = headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| {
            let (scheme, key) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
        });
    let api_key = headers
        .get_all("api-key")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::trim);
    bearer
        .chain(api_key)
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect()
}

// Like OpenAI, never echo a whole key back: show only its last four characters.
fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() < 8 {
        return "***".to_owned();
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("***{tail}")
}

fn unauthorized(shown: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_request_error",
        format!("Incorrect API key provided: {shown}."),
    )
    .code("invalid_api_key")
}
