//! Nebius Token Factory routes: the OpenAI-shaped `/nebius/v1` (files, fine-tuning jobs,
//! models, chat) and `/nebius/v0/models` (custom models from checkpoints).

mod custom_models;
mod jobs;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use super::{chat, files};
use crate::state::Shared;

/// `/nebius/v1`.
pub fn v1() -> Router<Arc<Shared>> {
    Router::new()
        .route("/files", post(files::upload))
        .route("/files/{id}", get(files::retrieve))
        .route("/files/{id}/content", get(files::content))
        .route("/fine_tuning/jobs", post(jobs::create).get(jobs::list))
        .route("/fine_tuning/jobs/{id}", get(jobs::retrieve))
        .route("/fine_tuning/jobs/{id}/cancel", post(jobs::cancel))
        .route("/fine_tuning/jobs/{id}/events", get(jobs::events))
        .route("/fine_tuning/jobs/{id}/checkpoints", get(jobs::checkpoints))
        .route("/models", get(custom_models::openai_list))
        .route("/chat/completions", post(chat::completions))
}

/// `/nebius/v0`.
pub fn v0() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/models",
            post(custom_models::create).get(custom_models::list),
        )
        .route(
            "/models/{*name}",
            get(custom_models::retrieve).delete(custom_models::delete),
        )
}
