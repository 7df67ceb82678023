//! Nebius `/fine_tuning/jobs`: create, list, retrieve, cancel, events and checkpoints.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::Json;
use serde_json::{json, Value};

use crate::dialect::Dialect;
use crate::error::{ApiError, ApiResult};
use crate::ids;
use crate::job::{Checkpoint, Event, Identity, Job, Spec};
use crate::nebius::{request, wire};
use crate::routes::query::ListQuery;
use crate::state::{Shared, Store};
use crate::validation::{self, Rules};
use crate::{lifecycle, pagination};

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("No fine-tuning job found with id '{id}'."))
        .param("fine_tuning_job_id")
}

fn find<'a>(store: &'a Store, id: &str) -> ApiResult<&'a Job> {
    store
        .job_in(Dialect::Nebius, id)
        .ok_or_else(|| not_found(id))
}

/// `POST /fine_tuning/jobs`.
pub async fn create(State(shared): State<Arc<Shared>>, body: Bytes) -> ApiResult<Json<Value>> {
    let now = shared.now_ms();
    let mut store = shared.store();
    let (new_job, spec) = request::parse(&body, &store)?;
    let analysis = store
        .file(&new_job.training_file, Dialect::Nebius)
        .map(|file| validation::analyse_with(&file.bytes, Rules::OPENAI))
        .unwrap_or_default();
    let identity = Identity {
        id: ids::new_id("ftjob-"),
        planned_model: format!(
            "{}:{}:{}",
            new_job.model,
            new_job.suffix.as_deref().unwrap_or(""),
            ids::alnum(8)
        ),
    };
    let job = Job::create(
        new_job,
        Spec::Nebius(spec),
        identity,
        analysis,
        &shared.config,
        now,
    );
    let json = wire::job(&job);
    store.jobs.push(job);
    Ok(Json(json))
}

/// `GET /fine_tuning/jobs?after=&limit=`, newest first.
pub async fn list(State(shared): State<Arc<Shared>>, uri: Uri) -> ApiResult<Json<Value>> {
    let query = ListQuery::from_uri(&uri, 20)?;
    let store = shared.store();
    let jobs: Vec<&Job> = store.jobs_of(Dialect::Nebius).rev().collect();
    let (page, has_more) = pagination::page(&jobs, query.after.as_deref(), query.limit)?;
    let data: Vec<Value> = page.iter().map(|job| wire::job(job)).collect();
    Ok(Json(
        json!({"object": "list", "data": data, "has_more": has_more}),
    ))
}

/// `GET /fine_tuning/jobs/{id}`.
pub async fn retrieve(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = shared.store();
    Ok(Json(wire::job(find(&store, &id)?)))
}

/// `POST /fine_tuning/jobs/{id}/cancel`.
pub async fn cancel(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let now = shared.now_ms();
    let mut store = shared.store();
    let job = store
        .job_in_mut(Dialect::Nebius, &id)
        .ok_or_else(|| not_found(&id))?;
    lifecycle::cancel(job, now).map_err(ApiError::invalid)?;
    Ok(Json(wire::job(job)))
}

/// `GET /fine_tuning/jobs/{id}/events?after=&limit=`, newest first.
pub async fn events(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::from_uri(&uri, 20)?;
    let store = shared.store();
    let job = find(&store, &id)?;
    let events: Vec<&Event> = job.events.iter().rev().collect();
    let (page, has_more) = pagination::page(&events, query.after.as_deref(), query.limit)?;
    let data: Vec<Value> = page.iter().map(|event| event.to_json()).collect();
    Ok(Json(
        json!({"object": "list", "data": data, "has_more": has_more}),
    ))
}

/// `GET /fine_tuning/jobs/{id}/checkpoints?after=&limit=`, newest first.
pub async fn checkpoints(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    uri: Uri,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::from_uri(&uri, 10)?;
    let store = shared.store();
    let job = find(&store, &id)?;
    let checkpoints: Vec<&Checkpoint> = job.checkpoints.iter().rev().collect();
    let (page, has_more) = pagination::page(&checkpoints, query.after.as_deref(), query.limit)?;
    let data: Vec<Value> = page.iter().map(|c| wire::checkpoint(job, c)).collect();
    Ok(Json(json!({
        "object": "list",
        "data": data,
        "has_more": has_more,
        "first_id": page.first().map(|c| c.id.clone()),
        "last_id": page.last().map(|c| c.id.clone()),
    })))
}
