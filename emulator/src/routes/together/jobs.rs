//! Together `/fine-tunes`: create, list, retrieve, delete, cancel, events, checkpoints, metrics.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::dialect::Dialect;
use crate::error::{ApiError, ApiResult};
use crate::job::{Identity, Job, Spec};
use crate::lifecycle;
use crate::state::{Shared, Store};
use crate::together::{request, wire};
use crate::validation::{self, Rules};

/// Together's data rules: at least one example; user and assistant turns alternate.
const RULES: Rules = Rules {
    min_examples: 1,
    alternate: true,
};

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Fine-tune job {id} not found.")).param("id")
}

fn visible(job: &Job) -> bool {
    wire::spec(job).is_some_and(|spec| !spec.deleted)
}

fn find<'a>(store: &'a Store, id: &str) -> ApiResult<&'a Job> {
    store
        .job_in(Dialect::Together, id)
        .filter(|job| visible(job))
        .ok_or_else(|| not_found(id))
}

fn find_mut<'a>(store: &'a mut Store, id: &str) -> ApiResult<&'a mut Job> {
    store
        .job_in_mut(Dialect::Together, id)
        .filter(|job| visible(job))
        .ok_or_else(|| not_found(id))
}

/// `account/base-model-suffix-hash`, like Together's `model_output_name`.
fn output_name(organization: &str, model: &str, suffix: Option<&str>) -> String {
    let base = model.rsplit('/').next().unwrap_or(model);
    let hash: String = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    match suffix {
        Some(suffix) => format!("{organization}/{base}-{suffix}-{hash}"),
        None => format!("{organization}/{base}-{hash}"),
    }
}

/// `POST /fine-tunes`.
pub async fn create(State(shared): State<Arc<Shared>>, body: Bytes) -> ApiResult<Json<Value>> {
    let now = shared.now_ms();
    let mut store = shared.store();
    let (new_job, spec) = request::parse(&body, &store)?;
    let analysis = store
        .file(&new_job.training_file, Dialect::Together)
        .map(|file| validation::analyse_with(&file.bytes, RULES))
        .unwrap_or_default();
    let identity = Identity {
        id: format!("ft-{}", uuid::Uuid::new_v4()),
        planned_model: output_name(
            &shared.config.organization,
            &new_job.model,
            new_job.suffix.as_deref(),
        ),
    };
    let job = Job::create(
        new_job,
        Spec::Together(spec),
        identity,
        analysis,
        &shared.config,
        now,
    );
    let json = wire::job(&job, now, false);
    store.jobs.push(job);
    Ok(Json(json))
}

/// `GET /fine-tunes`: every job, newest first (Together jobs carry no metadata: clients find
/// theirs by `training_file`).
pub async fn list(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let now = shared.now_ms();
    let store = shared.store();
    let data: Vec<Value> = store
        .jobs_of(Dialect::Together)
        .rev()
        .filter(|job| visible(job))
        .map(|job| wire::job(job, now, false))
        .collect();
    Json(json!({"data": data}))
}

/// `GET /fine-tunes/{id}`.
pub async fn retrieve(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let now = shared.now_ms();
    let store = shared.store();
    Ok(Json(wire::job(find(&store, &id)?, now, true)))
}

/// `DELETE /fine-tunes/{id}`: cancels it if still going and forgets it.
pub async fn delete(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let now = shared.now_ms();
    let mut store = shared.store();
    let job = find_mut(&mut store, &id)?;
    if !job.status.is_terminal() {
        let _ = lifecycle::cancel(job, now);
    }
    if let Spec::Together(spec) = &mut job.spec {
        spec.deleted = true;
    }
    Ok(Json(
        json!({"message": format!("Fine-tune job {id} deleted.")}),
    ))
}

/// `POST /fine-tunes/{id}/cancel`.
pub async fn cancel(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let now = shared.now_ms();
    let mut store = shared.store();
    let job = find_mut(&mut store, &id)?;
    lifecycle::cancel(job, now).map_err(ApiError::invalid)?;
    Ok(Json(wire::job(job, now, false)))
}

/// `GET /fine-tunes/{id}/events`, oldest first.
pub async fn events(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = shared.store();
    let job = find(&store, &id)?;
    Ok(Json(json!({"data": wire::events(job)})))
}

/// `GET /fine-tunes/{id}/checkpoints`, newest first.
pub async fn checkpoints(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = shared.store();
    let job = find(&store, &id)?;
    Ok(Json(json!({"data": wire::checkpoints(job)})))
}

#[derive(Deserialize, Default)]
struct StepRange {
    global_step_from: Option<u64>,
    global_step_to: Option<u64>,
}

/// `GET /fine-tunes/{id}/metrics`: optional JSON body (or query) `global_step_from`/`_to`.
pub async fn metrics(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    uri: Uri,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let range: StepRange = if body.iter().all(u8::is_ascii_whitespace) {
        axum::extract::Query::<StepRange>::try_from_uri(&uri)
            .map(|q| q.0)
            .map_err(|e| ApiError::invalid(format!("Invalid query string: {e}.")))?
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::invalid(format!("Invalid request body: {e}.")))?
    };
    let store = shared.store();
    let job = find(&store, &id)?;
    let metrics = wire::metrics(job, range.global_step_from, range.global_step_to);
    Ok(Json(json!({"metrics": metrics})))
}
