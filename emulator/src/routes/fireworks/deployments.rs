//! Fireworks deployments: create (`?deploymentId=`, `{baseModel,…}`; CREATING → READY), get,
//! list, delete. Idle ones scale to zero and can be undeployed by the admin knob.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use serde_json::{json, Map, Value};

use crate::catalog::{self, FIREWORKS};
use crate::clock::ms_of_secs;
use crate::deployment::Deployment;
use crate::dialect::Dialect;
use crate::error::{ApiError, ApiResult};
use crate::fireworks::list::ListQuery;
use crate::fireworks::{names, wire};
use crate::routes::json_body;
use crate::state::{Shared, Store};

/// Request fields kept and echoed back.
const SETTINGS: &[&str] = &[
    "displayName",
    "description",
    "minReplicaCount",
    "maxReplicaCount",
    "autoscalingPolicy",
    "acceleratorType",
    "acceleratorCount",
    "enableAddons",
];

fn not_found(name: &str) -> ApiError {
    ApiError::not_found(format!("deployment \"{name}\" not found"))
}

fn find<'a>(store: &'a Store, name: &str) -> ApiResult<&'a Deployment> {
    store
        .deployments
        .iter()
        .find(|d| d.dialect == Dialect::Fireworks && d.name == name)
        .ok_or_else(|| not_found(name))
}

fn deployable(store: &Store, model: &str) -> bool {
    catalog::find(FIREWORKS, model).is_some()
        || store.jobs_of(Dialect::Fireworks).any(|job| {
            job.fine_tuned_model.as_deref() == Some(model)
                && wire::spec(job).is_some_and(|s| !s.deleted)
        })
}

fn deployment_id(uri: &Uri) -> ApiResult<Option<String>> {
    if uri.query().is_none() {
        return Ok(None);
    }
    let pairs = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map_err(|e| ApiError::invalid(format!("invalid query string: {e}")))?;
    Ok(pairs
        .0
        .into_iter()
        .find(|(k, _)| k == "deploymentId" || k == "deployment_id")
        .map(|(_, v)| v))
}

/// `POST .../deployments?deploymentId=`.
pub async fn create(
    State(shared): State<Arc<Shared>>,
    Path(account): Path<String>,
    uri: Uri,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let request: Map<String, Value> = json_body(&body)?;
    let model = request
        .get("baseModel")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid("baseModel is required"))?
        .to_owned();
    let id = deployment_id(&uri)?.unwrap_or_else(names::random_id);
    names::check_id(&id, "deployment")?;
    let name = names::name(&account, "deployments", &id);
    let now = shared.now_ms();
    let mut store = shared.store();
    if !deployable(&store, &model) {
        return Err(ApiError::not_found(format!("model \"{model}\" not found")));
    }
    if find(&store, &name).is_ok() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "invalid_request_error",
            format!("deployment \"{name}\" already exists"),
        ));
    }
    let settings: Map<String, Value> = request
        .into_iter()
        .filter(|(key, _)| SETTINGS.contains(&key.as_str()))
        .collect();
    let deployment = Deployment {
        dialect: Dialect::Fireworks,
        id: name.clone(),
        name,
        model,
        owner: account,
        created_ms: now,
        started_ms: now,
        deploy_ms: ms_of_secs(shared.config.deploy_secs),
        stopped: false,
        last_used_ms: now,
        idle_stop_ms: None,
        settings: Value::Object(settings),
    };
    let json = wire::deployment(&deployment, now);
    store.deployments.push(deployment);
    Ok(Json(json))
}

/// `GET .../deployments/{id}`.
pub async fn retrieve(
    State(shared): State<Arc<Shared>>,
    Path((account, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let now = shared.now_ms();
    let store = shared.store();
    let name = names::name(&account, "deployments", &id);
    Ok(Json(wire::deployment(find(&store, &name)?, now)))
}

/// `GET .../deployments?filter=&pageSize=&pageToken=`.
pub async fn list(
    State(shared): State<Arc<Shared>>,
    Path(account): Path<String>,
    uri: Uri,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::from_query(uri.query())?;
    let now = shared.now_ms();
    let store = shared.store();
    let items = store
        .deployments
        .iter()
        .filter(|d| d.dialect == Dialect::Fireworks && d.owner == account)
        .map(|d| (d.name.clone(), d.created_ms, wire::deployment(d, now)))
        .filter(|(_, _, json)| {
            query.keeps(|field| json.get(field).and_then(Value::as_str).map(str::to_owned))
        })
        .collect();
    Ok(Json(query.page("deployments", items)))
}

/// `DELETE .../deployments/{id}`: gone at once.
pub async fn delete(
    State(shared): State<Arc<Shared>>,
    Path((account, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let name = names::name(&account, "deployments", &id);
    let mut store = shared.store();
    find(&store, &name)?;
    store
        .deployments
        .retain(|d| !(d.dialect == Dialect::Fireworks && d.name == name));
    Ok(Json(json!({})))
}
