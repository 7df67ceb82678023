//! Request pipeline: log and count API requests, add latency, inject faults, check the API key,
//! and shape errors for the dialect of the path.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth;
use crate::error_shape::{reshape, ErrorShape};
use crate::faults::{Injected, GARBAGE};
use crate::state::Shared;

/// Most of a failed request's body read before answering (OpenAI's file size limit).
const MAX_DRAINED_BYTES: usize = 512 * 1024 * 1024;

/// Admin routes are neither counted, delayed nor failed.
pub const ADMIN_PREFIX: &str = "/_emulator";

/// Outermost layer: records the request, applies the latency knob and any pending fault, and
/// holds the response when a response delay matches.
pub async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    if path.starts_with(ADMIN_PREFIX) {
        let response = next.run(request).await;
        tracing::info!(%method, %path, status = response.status().as_u16(), "admin request");
        return response;
    }
    let query = request.uri().query().map(str::to_owned);
    let index = shared
        .log
        .record(&method, &path, query.as_deref(), shared.now_secs());
    let latency = shared.latency_ms.load(Ordering::SeqCst);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let response = match shared.faults.take(&method, &path) {
        Some(Injected::Error(fault)) => {
            // Read the whole request first, as a real server does before it answers: a reply
            // sent while the client still uploads reaches it as a broken connection instead.
            let _ = axum::body::to_bytes(request.into_body(), MAX_DRAINED_BYTES).await;
            fault.into_response()
        }
        Some(Injected::Garbage) => {
            // Done, but answered with what no client can read.
            let _done = next.run(request).await;
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/html")],
                GARBAGE,
            )
                .into_response()
        }
        None => next.run(request).await,
    };
    // Every error is built OpenAI-shaped; Fireworks paths answer in Fireworks' shapes.
    let response = reshape(response, ErrorShape::for_path(&path));
    let status = response.status().as_u16();
    shared.log.finish(index, status);
    if let Some(delay) = shared.delays.after(&method, &path) {
        tokio::time::sleep(delay).await;
    }
    let elapsed_ms = started.elapsed().as_millis() as u64;
    tracing::info!(%method, %path, status, elapsed_ms, "request");
    response
}

/// API layer: answers 401 unless the request carries an accepted key.
pub async fn require_key(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    match auth::check(request.headers(), shared.config.api_key.as_deref()) {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}
