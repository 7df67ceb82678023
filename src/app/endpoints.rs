//! HTTP endpoints beside GraphQL: the JSONL export and the provider's webhooks.

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;

use super::AppState;
use crate::error::Error;
use crate::transfer::export::{self, ExportQuery};
use crate::webhooks::{self, Rejection};

/// `GET /export/training-blocks[?status=S&tag=T]`: the caller's training blocks as OpenAI chat
/// JSONL, streamed a page at a time. EDITOR and up.
pub(super) async fn export_training_blocks(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ExportQuery>,
) -> Response {
    match export::export_for(&state.app.db, super::bearer(&headers), &query).await {
        Ok(chunks) => {
            let body = Body::from_stream(chunks.map_err(|err| {
                tracing::error!(error = %crate::error::report(&err), "export stopped");
                std::io::Error::other("the export stopped on an internal error")
            }));
            ([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response()
        }
        Err(err) => error_response(err),
    }
}

/// `POST /webhooks/openai` (deprecated: use each credential's own URL): a Standard Webhooks
/// delivery about a fine-tuning job. 200 with `{"status": "processed"|"duplicate"}`, 401 when
/// no secret of a workspace with that job signed it, 400/413 when malformed.
pub(super) async fn openai_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let outcome = webhooks::receive(
        &state.app,
        webhook_headers(&headers),
        &body,
        chrono::Utc::now(),
    )
    .await;
    webhook_response(outcome)
}

/// `POST /webhooks/openai/{credentialId}`: a Standard Webhooks delivery checked against that
/// provider credential's secret. 200 with `{"status": "processed"|"duplicate"|"ignored"}`, 401
/// when that secret did not sign it (or there is no such credential or secret), 400/413 when
/// malformed.
pub(super) async fn credential_webhook(
    State(state): State<AppState>,
    Path(credential_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let outcome = webhooks::receive_for_credential(
        &state.app,
        &credential_id,
        webhook_headers(&headers),
        &body,
        chrono::Utc::now(),
    )
    .await;
    webhook_response(outcome)
}

fn webhook_headers(headers: &HeaderMap) -> webhooks::Headers<'_> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    webhooks::Headers {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
    }
}

fn webhook_response(outcome: Result<webhooks::Outcome, Rejection>) -> Response {
    match outcome {
        Ok(outcome) => {
            axum::Json(serde_json::json!({ "status": outcome.as_str() })).into_response()
        }
        Err(Rejection::Internal(err)) => error_response(err),
        Err(refused) => {
            let status =
                StatusCode::from_u16(refused.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            (
                status,
                axum::Json(serde_json::json!({ "error": refused.reason() })),
            )
                .into_response()
        }
    }
}

/// A service error as an HTTP response: status from its code, `{"error": {code, message}}`.
fn error_response(err: Error) -> Response {
    err.log_if_internal("request failed");
    let status = err.status();
    let body = serde_json::json!({ "error": { "code": err.code(), "message": err.message() } });
    (status, axum::Json(body)).into_response()
}
