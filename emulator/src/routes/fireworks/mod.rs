//! Fireworks AI routes: the control plane under `/fireworks/v1/accounts/{account}` (datasets,
//! supervised fine-tuning jobs, models, deployments) and inference under `/fireworks/inference/v1`.

mod datasets;
mod deployments;
mod jobs;
mod models;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use super::chat;
use crate::state::Shared;

/// The control plane (mounted at `/fireworks/v1/accounts/{account}`).
pub fn control() -> Router<Arc<Shared>> {
    Router::new()
        .route("/datasets", post(datasets::create).get(datasets::list))
        .route(
            "/datasets/{id}",
            get(datasets::retrieve)
                .post(datasets::action)
                .delete(datasets::delete),
        )
        .route(
            "/supervisedFineTuningJobs",
            post(jobs::create).get(jobs::list),
        )
        .route(
            "/supervisedFineTuningJobs/{id}",
            get(jobs::retrieve).delete(jobs::delete),
        )
        .route("/models", get(models::list))
        .route("/models/{id}", get(models::retrieve))
        .route(
            "/deployments",
            post(deployments::create).get(deployments::list),
        )
        .route(
            "/deployments/{id}",
            get(deployments::retrieve).delete(deployments::delete),
        )
}

/// Inference (mounted at `/fireworks/inference/v1`).
pub fn inference() -> Router<Arc<Shared>> {
    Router::new().route("/chat/completions", post(chat::completions))
}
