//! HTTP routing: each dialect under its prefix (OpenAI `/v1` and `/openai/v1`, `/together/v1`,
//! `/fireworks/v1/accounts/{account}`, `/fireworks/inference/v1`, `/nebius/v1`, `/nebius/v0`),
//! the `/_emulator` admin knobs, and fallbacks.

mod admin;
mod chat;
mod files;
mod fireworks;
mod job_details;
mod jobs;
mod models;
mod multipart;
mod nebius;
mod query;
mod together;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ApiResult};
use crate::middleware::{gate, require_key, ADMIN_PREFIX};
use crate::state::Shared;

// OpenAI accepts training files up to 512 MB; leave room for the multipart framing.
const BODY_LIMIT: usize = 520 * 1024 * 1024;

/// The whole application for one emulator instance.
pub fn app(shared: Arc<Shared>) -> Router {
    let key = || from_fn_with_state(shared.clone(), require_key);
    let api = api().layer(key());
    Router::new()
        .nest("/v1", api.clone())
        .nest("/openai/v1", api)
        .nest("/together/v1", together::routes().layer(key()))
        .nest(
            "/fireworks/v1/accounts/{account}",
            fireworks::control().layer(key()),
        )
        .nest(
            "/fireworks/inference/v1",
            fireworks::inference().layer(key()),
        )
        .nest("/nebius/v1", nebius::v1().layer(key()))
        .nest("/nebius/v0", nebius::v0().layer(key()))
        .nest(ADMIN_PREFIX, admin::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(shared.clone(), gate))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(shared)
}

fn api() -> Router<Arc<Shared>> {
    Router::new()
        .route("/files", post(files::upload))
        .route("/files/{id}", get(files::retrieve))
        .route("/files/{id}/content", get(files::content))
        .route("/fine_tuning/jobs", post(jobs::create).get(jobs::list))
        .route("/fine_tuning/jobs/{id}", get(jobs::retrieve))
        .route("/fine_tuning/jobs/{id}/cancel", post(jobs::cancel))
        .route("/fine_tuning/jobs/{id}/events", get(job_details::events))
        .route(
            "/fine_tuning/jobs/{id}/checkpoints",
            get(job_details::checkpoints),
        )
        .route("/models", get(models::list))
        .route("/models/{id}", get(models::retrieve))
        .route("/chat/completions", post(chat::completions))
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!("Invalid URL ({method} {})", uri.path()))
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "invalid_request_error",
        format!("Method {method} is not allowed on {}.", uri.path()),
    )
}

/// Parses a JSON body into `T`, answering an OpenAI-shaped 400 when it does not fit.
fn json_body<T: DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(format!("Invalid request body: {e}.")))
}
