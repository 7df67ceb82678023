//! `/models`: base models and the fine-tuned models this emulator produced.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::models;
use crate::state::Shared;

/// `GET /models`.
pub async fn list(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let store = shared.store();
    Json(json!({"object": "list", "data": models::catalogue(&store)}))
}

/// `GET /models/{id}`.
pub async fn retrieve(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = shared.store();
    models::find(&store, &id).map(Json).ok_or_else(|| {
        ApiError::not_found(format!("The model '{id}' does not exist"))
            .param("model")
            .code("model_not_found")
    })
}
