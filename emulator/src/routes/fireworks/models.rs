//! Fireworks models: the `fireworks` account's base models and each account's fine-tuned models.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use crate::catalog::{self, FIREWORKS};
use crate::dialect::Dialect;
use crate::error::{ApiError, ApiResult};
use crate::fireworks::{names, wire};
use crate::state::Shared;

/// `GET .../models/{id}`: a base model (account `fireworks`) or a completed job's output model.
pub async fn retrieve(
    State(shared): State<Arc<Shared>>,
    Path((account, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let name = names::name(&account, "models", &id);
    if let Some(base) = catalog::find(FIREWORKS, &name) {
        return Ok(Json(wire::base_model(base)));
    }
    let store = shared.store();
    let model = store
        .jobs_of(Dialect::Fireworks)
        .find(|job| {
            job.fine_tuned_model.is_some()
                && wire::spec(job).is_some_and(|s| !s.deleted && s.output_model == name)
        })
        .map(wire::tuned_model)
        .ok_or_else(|| ApiError::not_found(format!("model \"{name}\" not found")));
    model.map(Json)
}

/// `GET .../models`: the account's models.
pub async fn list(State(shared): State<Arc<Shared>>, Path(account): Path<String>) -> Json<Value> {
    let mut models: Vec<Value> = if account == "fireworks" {
        FIREWORKS.iter().map(wire::base_model).collect()
    } else {
        Vec::new()
    };
    let store = shared.store();
    models.extend(
        store
            .jobs_of(Dialect::Fireworks)
            .filter(|job| {
                job.fine_tuned_model.is_some()
                    && wire::spec(job).is_some_and(|s| !s.deleted && s.account == account)
            })
            .map(wire::tuned_model),
    );
    let total = models.len();
    Json(json!({"models": models, "nextPageToken": "", "totalSize": total}))
}
