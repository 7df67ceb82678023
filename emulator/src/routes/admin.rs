//! `/_emulator`: knobs for the standalone binary (clock, faults, latency, response delays,
//! stream pace, undeploying idle deployments) and the request log.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::json_body;
use crate::error::{ApiError, ApiResult};
use crate::state::Shared;

/// Admin routes (no API key needed).
pub fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/clock", get(clock))
        .route("/clock/advance", post(advance))
        .route("/faults", post(add_fault).delete(clear_faults))
        .route("/latency", post(latency))
        .route("/delays", post(add_delay).delete(clear_delays))
        .route("/requests", get(requests))
        .route("/stream-delay", post(stream_delay))
        .route("/undeploy-idle", post(undeploy_idle))
}

#[derive(Deserialize)]
struct Advance {
    seconds: u64,
}

#[derive(Deserialize)]
struct Fault {
    #[serde(default)]
    method: String,
    #[serde(default)]
    path: String,
    status: Option<u16>,
    #[serde(default)]
    garbage: bool,
    #[serde(default = "one")]
    count: u32,
    retry_after: Option<u64>,
}

fn one() -> u32 {
    1
}

#[derive(Deserialize)]
struct Latency {
    ms: u64,
}

#[derive(Deserialize)]
struct ResponseDelay {
    #[serde(default)]
    method: String,
    #[serde(default)]
    path: String,
    ms: u64,
}

#[derive(Deserialize)]
struct UndeployIdle {
    #[serde(default)]
    idle_secs: u64,
}

#[derive(Deserialize, Default)]
struct RequestFilter {
    method: Option<String>,
    path: Option<String>,
}

async fn clock(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({"now": shared.now_secs()}))
}

/// `POST /_emulator/clock/advance {"seconds":N}`.
async fn advance(State(shared): State<Arc<Shared>>, body: Bytes) -> ApiResult<Json<Value>> {
    let Advance { seconds } = json_body(&body)?;
    shared.clock.advance(seconds);
    Ok(Json(json!({"now": shared.now_secs()})))
}

/// `POST /_emulator/faults {"method","path","status","count","retry_after"}`, or with
/// `"garbage": true` in place of the status: the requests take effect, then answer a 200 whose
/// body no client can read.
async fn add_fault(State(shared): State<Arc<Shared>>, body: Bytes) -> ApiResult<Json<Value>> {
    let Fault {
        method,
        path,
        status,
        garbage,
        count,
        retry_after,
    } = json_body(&body)?;
    match (status, garbage) {
        (None, true) => shared.faults.add_garbage(&method, &path, count),
        (Some(status), false) if (400..=599).contains(&status) => {
            shared
                .faults
                .add(&method, &path, status, count, retry_after)
        }
        (Some(_), false) => {
            return Err(
                ApiError::invalid("status must be an HTTP error status (400 to 599).")
                    .param("status"),
            )
        }
        _ => {
            return Err(ApiError::invalid(
                "give either status (an HTTP error status) or \"garbage\": true.",
            )
            .param("status"))
        }
    }
    Ok(Json(json!({"pending": shared.faults.pending()})))
}

/// `DELETE /_emulator/faults`: drops pending faults.
async fn clear_faults(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.faults.clear();
    Json(json!({"pending": 0}))
}

/// `POST /_emulator/latency {"ms":N}`.
async fn latency(State(shared): State<Arc<Shared>>, body: Bytes) -> ApiResult<Json<Value>> {
    let Latency { ms } = json_body(&body)?;
    shared.latency_ms.store(ms, Ordering::SeqCst);
    Ok(Json(json!({"ms": ms})))
}

/// `POST /_emulator/delays {"method","path","ms"}`: matching requests are handled at once but
/// answered `ms` later (0 removes the rule).
async fn add_delay(State(shared): State<Arc<Shared>>, body: Bytes) -> ApiResult<Json<Value>> {
    let ResponseDelay { method, path, ms } = json_body(&body)?;
    shared.delays.set(&method, &path, ms);
    Ok(Json(json!({"method": method, "path": path, "ms": ms})))
}

/// `POST /_emulator/stream-delay {"ms":N}`: pause between streamed chat chunks.
async fn stream_delay(State(shared): State<Arc<Shared>>, body: Bytes) -> ApiResult<Json<Value>> {
    let Latency { ms } = json_body(&body)?;
    shared.stream_delay_ms.store(ms, Ordering::SeqCst);
    Ok(Json(json!({"ms": ms})))
}

/// `POST /_emulator/undeploy-idle {"idle_secs":N}`: deletes Fireworks deployments and stops
/// Together endpoints that served nothing for N virtual seconds (0: every ready one).
async fn undeploy_idle(State(shared): State<Arc<Shared>>, body: Bytes) -> ApiResult<Json<Value>> {
    let UndeployIdle { idle_secs } = json_body(&body)?;
    let undeployed = crate::emulator::undeploy_idle(&shared, idle_secs);
    Ok(Json(json!({"undeployed": undeployed})))
}

/// `DELETE /_emulator/delays`: answers at once again.
async fn clear_delays(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.delays.clear();
    Json(json!({"cleared": true}))
}

/// `GET /_emulator/requests?method=&path=`: API requests received, oldest first.
async fn requests(State(shared): State<Arc<Shared>>, uri: Uri) -> ApiResult<Json<Value>> {
    let Query(filter) = Query::<RequestFilter>::try_from_uri(&uri)
        .map_err(|e| ApiError::invalid(format!("Invalid query string: {e}.")))?;
    let entries = shared.log.matching(
        filter.method.as_deref().unwrap_or(""),
        filter.path.as_deref().unwrap_or(""),
    );
    Ok(Json(
        json!({"object": "list", "count": entries.len(), "data": entries}),
    ))
}
