//! Nebius custom models: `POST /v0/models {name, base_model, source: "ftjob-…:ftckpt_…"}`
//! (validating → active), get, list, delete; and `GET /v1/models`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::catalog::NEBIUS;
use crate::clock::ms_of_secs;
use crate::deployment::{Deployment, Phase};
use crate::dialect::Dialect;
use crate::error::{ApiError, ApiResult};
use crate::nebius::{request, wire};
use crate::routes::json_body;
use crate::state::{Shared, Store};

#[derive(Deserialize)]
struct Create {
    name: String,
    base_model: String,
    source: String,
    description: Option<String>,
}

fn not_found(name: &str) -> ApiError {
    ApiError::not_found(format!("Model '{name}' not found.")).code("model_not_found")
}

fn find<'a>(store: &'a Store, name: &str) -> ApiResult<&'a Deployment> {
    store
        .deployments
        .iter()
        .find(|d| d.dialect == Dialect::Nebius && d.name == name)
        .ok_or_else(|| not_found(name))
}

// `ftjob-…:ftckpt_…` must name a checkpoint of a succeeded Nebius job on `base_model`.
fn check_source(store: &Store, source: &str, base_model: &str) -> ApiResult<()> {
    let invalid = |message: String| ApiError::invalid(message).param("source");
    let (job_id, checkpoint_id) = source.split_once(':').ok_or_else(|| {
        invalid(format!(
            "source '{source}' must look like 'ftjob-…:ftckpt_…'."
        ))
    })?;
    let job = store
        .job_in(Dialect::Nebius, job_id)
        .ok_or_else(|| invalid(format!("No fine-tuning job '{job_id}'.")))?;
    if !job.checkpoints.iter().any(|c| c.id == checkpoint_id) {
        return Err(invalid(format!(
            "Job '{job_id}' has no checkpoint '{checkpoint_id}'."
        )));
    }
    let job_base = request::tunable_base(store, &job.request.model).unwrap_or_default();
    if job_base != base_model {
        return Err(ApiError::invalid(format!(
            "base_model '{base_model}' does not match the job's base model '{job_base}'."
        ))
        .param("base_model"));
    }
    Ok(())
}

/// `POST /v0/models`: the model is callable as its returned `name` once `active`.
pub async fn create(State(shared): State<Arc<Shared>>, body: Bytes) -> ApiResult<Json<Value>> {
    let request: Create = json_body(&body)?;
    let valid_name = !request.name.is_empty()
        && request.name.len() <= 64
        && request
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if !valid_name {
        return Err(
            ApiError::invalid("name must be 1 to 64 letters, digits, '-', '_' or '.'.")
                .param("name"),
        );
    }
    let now = shared.now_ms();
    let mut store = shared.store();
    check_source(&store, &request.source, &request.base_model)?;
    let name = format!("{}-LoRa:{}", request.base_model, request.name);
    if find(&store, &name).is_ok() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "invalid_request_error",
            format!("Model '{name}' already exists."),
        ));
    }
    let model = Deployment {
        dialect: Dialect::Nebius,
        id: name.clone(),
        name,
        model: request.source,
        owner: shared.config.organization.clone(),
        created_ms: now,
        started_ms: now,
        deploy_ms: ms_of_secs(shared.config.deploy_secs),
        stopped: false,
        last_used_ms: now,
        idle_stop_ms: None,
        settings: json!({"base_model": request.base_model, "description": request.description}),
    };
    let json = wire::model(&model, now);
    store.deployments.push(model);
    Ok(Json(json))
}

/// `GET /v0/models`.
pub async fn list(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let now = shared.now_ms();
    let store = shared.store();
    let data: Vec<Value> = store
        .deployments
        .iter()
        .filter(|d| d.dialect == Dialect::Nebius)
        .map(|d| wire::model(d, now))
        .collect();
    Json(json!({"object": "list", "data": data}))
}

/// `GET /v0/models/{name}`.
pub async fn retrieve(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    let now = shared.now_ms();
    let store = shared.store();
    Ok(Json(wire::model(find(&store, &name)?, now)))
}

/// `DELETE /v0/models/{name}`.
pub async fn delete(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    let mut store = shared.store();
    find(&store, &name)?;
    store
        .deployments
        .retain(|d| !(d.dialect == Dialect::Nebius && d.name == name));
    Ok(Json(json!({"name": name, "deleted": true})))
}

/// `GET /v1/models`: base models, then active custom models.
pub async fn openai_list(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let now = shared.now_ms();
    let store = shared.store();
    let base = NEBIUS.iter().map(
        |m| json!({"id": m.name, "object": "model", "created": m.created, "owned_by": "system"}),
    );
    let custom = store
        .deployments
        .iter()
        .filter(|d| d.dialect == Dialect::Nebius && d.phase(now) == Phase::Ready)
        .map(|d| {
            json!({"id": d.name, "object": "model", "created": d.created_ms / 1000, "owned_by": d.owner})
        });
    Json(json!({"object": "list", "data": base.chain(custom).collect::<Vec<_>>()}))
}
