//! `/fine_tuning/jobs/{id}/events` and `/checkpoints`: newest-first lists with `after` cursors.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::Uri;
use axum::Json;
use serde_json::{json, Value};

use super::jobs::find;
use super::query::ListQuery;
use crate::error::ApiResult;
use crate::job::{Checkpoint, Event};
use crate::pagination;
use crate::state::Shared;

/// `GET /fine_tuning/jobs/{id}/events?after=&limit=`; `after` pages to older events.
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
    let data: Vec<Value> = page.iter().map(|c| c.to_json(&job.id)).collect();
    Ok(Json(json!({
        "object": "list",
        "data": data,
        "has_more": has_more,
        "first_id": page.first().map(|c| c.id.clone()),
        "last_id": page.last().map(|c| c.id.clone()),
    })))
}
