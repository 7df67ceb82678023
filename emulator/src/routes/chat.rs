//! `POST /chat/completions` on every dialect: JSON or Server-Sent Events.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::chat::stream::{self, StreamPlan};
use crate::chat::{callable, completion, ChatRequest};
use crate::dialect::Dialect;
use crate::error::ApiResult;
use crate::ids;
use crate::state::Shared;

/// Answers for a callable model of the request's dialect (see [`callable::check`]).
pub async fn completions(
    State(shared): State<Arc<Shared>>,
    OriginalUri(uri): OriginalUri,
    body: Bytes,
) -> ApiResult<Response> {
    let request = ChatRequest::parse(&body)?;
    let dialect = Dialect::of_path(uri.path());
    let now = shared.now_ms();
    callable::check(&mut shared.store(), dialect, &request.model, now)?;
    let reply = request.reply();
    let usage = request.usage(&reply);
    let id = ids::new_id("chatcmpl-");
    let created = shared.now_secs();
    if request.stream {
        let delay = Duration::from_millis(shared.stream_delay_ms.load(Ordering::SeqCst));
        return Ok(stream::response(StreamPlan {
            id,
            created,
            model: request.model.clone(),
            reply,
            usage: request.include_usage().then_some(usage),
            delay,
        }));
    }
    let body = completion(&id, created, &request.model, &reply, usage);
    Ok(Json(body).into_response())
}
