//! Together AI routes under `/together/v1`: files, fine-tunes, endpoints, models and chat.

mod catalog;
mod endpoints;
mod files;
mod jobs;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use super::chat;
use crate::state::Shared;

/// The Together API (mounted at `/together/v1`).
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/files", get(files::list))
        .route("/files/upload", post(files::upload))
        .route("/files/{id}", get(files::retrieve).delete(files::delete))
        .route("/files/{id}/content", get(files::content))
        .route("/fine-tunes", post(jobs::create).get(jobs::list))
        .route("/fine-tunes/models/supported", get(catalog::supported))
        .route("/fine-tunes/models/limits", get(catalog::limits))
        .route("/fine-tunes/{id}", get(jobs::retrieve).delete(jobs::delete))
        .route("/fine-tunes/{id}/cancel", post(jobs::cancel))
        .route("/fine-tunes/{id}/events", get(jobs::events))
        .route("/fine-tunes/{id}/checkpoints", get(jobs::checkpoints))
        .route("/fine-tunes/{id}/metrics", get(jobs::metrics))
        .route("/endpoints", get(endpoints::list).post(endpoints::create))
        .route(
            "/endpoints/{id}",
            get(endpoints::retrieve)
                .patch(endpoints::update)
                .delete(endpoints::delete),
        )
        .route("/models", get(catalog::models))
        .route("/chat/completions", post(chat::completions))
}
