//! Fireworks `supervisedFineTuningJobs`: create, get, list (filterable by `dataset`, `state`…)
//! and delete (which cancels a job still going: the API has no cancel).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use serde_json::{json, Value};

use crate::dialect::Dialect;
use crate::error::{ApiError, ApiResult};
use crate::fireworks::list::ListQuery;
use crate::fireworks::{names, request, wire};
use crate::job::{Identity, Job, Spec};
use crate::lifecycle;
use crate::state::{Shared, Store};
use crate::validation::{self, Rules};

/// Fireworks' data rules: at least 3 examples.
const RULES: Rules = Rules {
    min_examples: 3,
    alternate: false,
};

fn owned_by(job: &Job, account: &str) -> bool {
    wire::spec(job).is_some_and(|s| !s.deleted && s.account == account)
}

fn not_found(account: &str, id: &str) -> ApiError {
    ApiError::not_found(format!(
        "supervised fine-tuning job \"{}\" not found",
        names::name(account, "supervisedFineTuningJobs", id)
    ))
}

fn find<'a>(store: &'a Store, account: &str, id: &str) -> ApiResult<&'a Job> {
    store
        .job_in(Dialect::Fireworks, id)
        .filter(|job| owned_by(job, account))
        .ok_or_else(|| not_found(account, id))
}

fn job_id(uri: &Uri) -> ApiResult<Option<String>> {
    let Some(query) = uri.query() else {
        return Ok(None);
    };
    let pairs = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map_err(|e| ApiError::invalid(format!("invalid query string {query}: {e}")))?;
    Ok(pairs
        .0
        .into_iter()
        .find(|(k, _)| k == "supervisedFineTuningJobId" || k == "supervised_fine_tuning_job_id")
        .map(|(_, v)| v))
}

/// `POST .../supervisedFineTuningJobs?supervisedFineTuningJobId=`.
pub async fn create(
    State(shared): State<Arc<Shared>>,
    Path(account): Path<String>,
    uri: Uri,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let id = job_id(&uri)?.unwrap_or_else(names::random_id);
    names::check_id(&id, "supervised fine-tuning job")?;
    let now = shared.now_ms();
    let mut store = shared.store();
    if store.job_in(Dialect::Fireworks, &id).is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "invalid_request_error",
            format!("supervised fine-tuning job \"{id}\" already exists"),
        ));
    }
    let (new_job, spec) = request::parse(&body, &store, &account, &id)?;
    let analysis = store
        .datasets
        .iter()
        .find(|d| d.name == new_job.training_file)
        .and_then(|d| d.file.as_ref())
        .map(|(_, bytes)| validation::analyse_with(bytes, RULES))
        .unwrap_or_default();
    let identity = Identity {
        id,
        planned_model: spec.output_model.clone(),
    };
    let job = Job::create(
        new_job,
        Spec::Fireworks(spec),
        identity,
        analysis,
        &shared.config,
        now,
    );
    let json = wire::job(&job, now);
    store.jobs.push(job);
    Ok(Json(json))
}

/// `GET .../supervisedFineTuningJobs/{id}`.
pub async fn retrieve(
    State(shared): State<Arc<Shared>>,
    Path((account, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let now = shared.now_ms();
    let store = shared.store();
    Ok(Json(wire::job(find(&store, &account, &id)?, now)))
}

/// `GET .../supervisedFineTuningJobs?filter=dataset="accounts/a/datasets/d"&orderBy=&pageSize=`.
pub async fn list(
    State(shared): State<Arc<Shared>>,
    Path(account): Path<String>,
    uri: Uri,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::from_query(uri.query())?;
    let now = shared.now_ms();
    let store = shared.store();
    let items = store
        .jobs_of(Dialect::Fireworks)
        .filter(|job| owned_by(job, &account))
        .map(|job| (wire::job_name(job), job.created_ms, wire::job(job, now)))
        .filter(|(_, _, json)| {
            query.keeps(|field| json.get(field).and_then(Value::as_str).map(str::to_owned))
        })
        .collect();
    Ok(Json(query.page("supervisedFineTuningJobs", items)))
}

/// `DELETE .../supervisedFineTuningJobs/{id}`: cancels it if unfinished, then it is gone.
pub async fn delete(
    State(shared): State<Arc<Shared>>,
    Path((account, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let now = shared.now_ms();
    let mut store = shared.store();
    find(&store, &account, &id)?;
    if let Some(job) = store.job_in_mut(Dialect::Fireworks, &id) {
        if !job.status.is_terminal() {
            let _ = lifecycle::cancel(job, now);
        }
        if let Spec::Fireworks(spec) = &mut job.spec {
            spec.deleted = true;
        }
    }
    Ok(Json(json!({})))
}
