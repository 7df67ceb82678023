//! Together `/endpoints`: dedicated endpoints that serve a model (PENDING → STARTING → STARTED).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::catalog::{self, TOGETHER};
use crate::clock::{ms_of_secs, Millis};
use crate::deployment::Deployment;
use crate::dialect::Dialect;
use crate::error::{ApiError, ApiResult};
use crate::routes::json_body;
use crate::state::{Shared, Store};
use crate::together::wire;

#[derive(Deserialize)]
struct Autoscaling {
    min_replicas: u32,
    max_replicas: u32,
}

#[derive(Deserialize)]
struct Create {
    model: String,
    hardware: String,
    autoscaling: Autoscaling,
    display_name: Option<String>,
    state: Option<String>,
    inactive_timeout: Option<u64>,
}

#[derive(Deserialize)]
struct Update {
    display_name: Option<String>,
    state: Option<String>,
    autoscaling: Option<Value>,
    inactive_timeout: Option<Option<u64>>,
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Endpoint {id} not found.")).param("endpointId")
}

fn find_mut<'a>(store: &'a mut Store, id: &str) -> ApiResult<&'a mut Deployment> {
    store
        .deployments
        .iter_mut()
        .find(|d| d.dialect == Dialect::Together && d.id == id)
        .ok_or_else(|| not_found(id))
}

fn idle_stop(minutes: Option<u64>) -> Option<Millis> {
    minutes.filter(|m| *m > 0).map(|m| ms_of_secs(m * 60))
}

fn servable(store: &Store, model: &str) -> bool {
    catalog::find(TOGETHER, model).is_some()
        || store
            .jobs_of(Dialect::Together)
            .any(|job| job.fine_tuned_model.as_deref() == Some(model))
}

/// `POST /endpoints`: starts at once unless `state` is `STOPPED`.
pub async fn create(State(shared): State<Arc<Shared>>, body: Bytes) -> ApiResult<Json<Value>> {
    let request: Create = json_body(&body)?;
    if request.autoscaling.min_replicas > request.autoscaling.max_replicas {
        return Err(ApiError::invalid(
            "autoscaling.min_replicas must not exceed autoscaling.max_replicas.",
        )
        .param("autoscaling"));
    }
    let now = shared.now_ms();
    let mut store = shared.store();
    if !servable(&store, &request.model) {
        return Err(ApiError::not_found(format!(
            "Model {} not found or not available for dedicated endpoints.",
            request.model
        ))
        .param("model")
        .code("model_not_available"));
    }
    let organization = &shared.config.organization;
    let hash = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let deployment = Deployment {
        dialect: Dialect::Together,
        id: format!("endpoint-{}", uuid::Uuid::new_v4()),
        name: format!("{organization}/{}-{hash}", request.model),
        model: request.model.clone(),
        owner: organization.clone(),
        created_ms: now,
        started_ms: now,
        deploy_ms: ms_of_secs(shared.config.deploy_secs),
        stopped: request.state.as_deref() == Some("STOPPED"),
        last_used_ms: now,
        idle_stop_ms: idle_stop(request.inactive_timeout),
        settings: json!({
            "display_name": request.display_name,
            "hardware": request.hardware,
            "autoscaling": {
                "min_replicas": request.autoscaling.min_replicas,
                "max_replicas": request.autoscaling.max_replicas,
            },
            "inactive_timeout": request.inactive_timeout,
        }),
    };
    let json = wire::endpoint(&deployment, now);
    store.deployments.push(deployment);
    Ok(Json(json))
}

/// `GET /endpoints?type=`: the dedicated endpoints (there are no serverless ones to list).
pub async fn list(State(shared): State<Arc<Shared>>, uri: axum::http::Uri) -> Json<Value> {
    let now = shared.now_ms();
    let serverless_only = uri.query().is_some_and(|q| q.contains("type=serverless"));
    let store = shared.store();
    let data: Vec<Value> = store
        .deployments
        .iter()
        .filter(|d| d.dialect == Dialect::Together && !serverless_only)
        .map(|d| wire::endpoint_summary(d, now))
        .collect();
    Json(json!({"object": "list", "data": data}))
}

/// `GET /endpoints/{id}`.
pub async fn retrieve(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let now = shared.now_ms();
    let mut store = shared.store();
    Ok(Json(wire::endpoint(find_mut(&mut store, &id)?, now)))
}

/// `PATCH /endpoints/{id}`: rename, rescale, or start/stop.
pub async fn update(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let request: Update = json_body(&body)?;
    let now = shared.now_ms();
    let mut store = shared.store();
    let endpoint = find_mut(&mut store, &id)?;
    match request.state.as_deref() {
        None => {}
        Some("STOPPED") => endpoint.stopped = true,
        Some("STARTED") if endpoint.phase(now) == crate::deployment::Phase::Stopped => {
            endpoint.restart(now);
        }
        Some("STARTED") => {}
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "state must be STARTED or STOPPED, not {other}."
            ))
            .param("state"))
        }
    }
    if let Some(settings) = endpoint.settings.as_object_mut() {
        if let Some(name) = request.display_name {
            settings.insert("display_name".to_owned(), json!(name));
        }
        if let Some(autoscaling) = request.autoscaling {
            settings.insert("autoscaling".to_owned(), autoscaling);
        }
        if let Some(timeout) = request.inactive_timeout {
            settings.insert("inactive_timeout".to_owned(), json!(timeout));
            endpoint.idle_stop_ms = idle_stop(timeout);
        }
    }
    Ok(Json(wire::endpoint(endpoint, now)))
}

/// `DELETE /endpoints/{id}`: 204.
pub async fn delete(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let mut store = shared.store();
    find_mut(&mut store, &id)?;
    store
        .deployments
        .retain(|d| !(d.dialect == Dialect::Together && d.id == id));
    Ok(StatusCode::NO_CONTENT)
}
