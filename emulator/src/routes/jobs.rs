//! `/fine_tuning/jobs`: create, list (with metadata filter), retrieve and cancel.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::Json;
use serde_json::{json, Value};

use super::query::ListQuery;
use crate::dialect::Dialect;
use crate::error::{ApiError, ApiResult};
use crate::job::Job;
use crate::state::{Shared, Store};
use crate::{job_request, lifecycle, pagination, validation};

/// The job with `id`, or a 404.
pub fn find<'a>(store: &'a Store, id: &str) -> ApiResult<&'a Job> {
    store.job(id).ok_or_else(|| not_found(id))
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("No fine-tuning job found with id '{id}'."))
        .param("fine_tuning_job_id")
}

/// `POST /fine_tuning/jobs`.
pub async fn create(State(shared): State<Arc<Shared>>, body: Bytes) -> ApiResult<Json<Value>> {
    let now = shared.now_ms();
    let mut store = shared.store();
    let request = job_request::parse(&body, &store)?;
    let analysis = store
        .files
        .get(&request.training_file)
        .map(|file| validation::analyse(&file.bytes))
        .unwrap_or_default();
    let job = Job::new(request, analysis, &shared.config, now);
    let json = job.to_json();
    store.jobs.push(job);
    Ok(Json(json))
}

/// `GET /fine_tuning/jobs?after=&limit=&metadata[KEY]=VALUE`, newest first.
pub async fn list(State(shared): State<Arc<Shared>>, uri: Uri) -> ApiResult<Json<Value>> {
    let query = ListQuery::from_uri(&uri, 20)?;
    let store = shared.store();
    let jobs: Vec<&Job> = store
        .jobs_of(Dialect::OpenAi)
        .rev()
        .filter(|job| metadata_matches(job, &query))
        .collect();
    let (page, has_more) = pagination::page(&jobs, query.after.as_deref(), query.limit)?;
    let data: Vec<Value> = page.iter().map(|job| job.to_json()).collect();
    Ok(Json(
        json!({"object": "list", "data": data, "has_more": has_more}),
    ))
}

fn metadata_matches(job: &Job, query: &ListQuery) -> bool {
    let metadata = job.request.metadata.as_ref();
    if query.metadata_null && metadata.is_some() {
        return false;
    }
    query
        .metadata
        .iter()
        .all(|(key, value)| metadata.and_then(|m| m.get(key)) == Some(value))
}

/// `GET /fine_tuning/jobs/{id}`.
pub async fn retrieve(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = shared.store();
    Ok(Json(find(&store, &id)?.to_json()))
}

/// `POST /fine_tuning/jobs/{id}/cancel`: only while the job has not finished.
pub async fn cancel(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let now = shared.now_ms();
    let mut store = shared.store();
    let job = store.job_mut(&id).ok_or_else(|| not_found(&id))?;
    lifecycle::cancel(job, now).map_err(ApiError::invalid)?;
    Ok(Json(job.to_json()))
}
