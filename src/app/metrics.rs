//! `GET /metrics`, the Prometheus scrape: on the main listener only when a token is configured
//! (`--metrics-token`, sent as `Authorization: Bearer ...`), and without a token on the metrics
//! listener of its own (`--metrics-listen`), which serves nothing else.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};

use super::AppState;
use crate::metrics::render::CONTENT_TYPE;
use crate::training_jobs::counts;

/// The bearer token a scrape of the main listener must carry. Its `Debug` hides it.
#[derive(Clone)]
pub struct MetricsToken(Arc<str>);

impl MetricsToken {
    /// The token, when `value` is not blank.
    pub fn new(value: &str) -> Option<Self> {
        let value = value.trim();
        (!value.is_empty()).then(|| Self(Arc::from(value)))
    }

    /// Whether the request's headers carry this token. Digests are compared, so the time taken
    /// says nothing about how much of a guess was right.
    fn admits(&self, headers: &HeaderMap) -> bool {
        let Some(sent) = super::bearer(headers) else {
            return false;
        };
        Sha256::digest(sent.as_bytes()) == Sha256::digest(self.0.as_bytes())
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(..)")
    }
}

/// The `/metrics` route of the main listener, which asks for `token`.
pub(super) fn guarded(token: MetricsToken) -> Router<AppState> {
    Router::new().route(
        "/metrics",
        get(move |State(state): State<AppState>, headers: HeaderMap| {
            let token = token.clone();
            async move {
                if !token.admits(&headers) {
                    let challenge = [(header::WWW_AUTHENTICATE, "Bearer")];
                    let message = "send the metrics token (--metrics-token) as a Bearer token";
                    return (StatusCode::UNAUTHORIZED, challenge, message).into_response();
                }
                scrape(&state).await
            }
        }),
    )
}

/// The router of the metrics listener: `GET /metrics` without a token, and nothing else.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(|State(state): State<AppState>| async move { scrape(&state).await }),
        )
        .with_state(state)
}

/// The exposition text, with the training job counts read now.
async fn scrape(state: &AppState) -> Response {
    let jobs = match counts::count_by_status(&state.app.db).await {
        Ok(jobs) => jobs,
        Err(err) => {
            err.log_if_internal("cannot count training jobs for a scrape");
            return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response();
        }
    };
    match state.app.metrics.render(&jobs) {
        Ok(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Err(_) => {
            tracing::error!("cannot encode the metrics");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
