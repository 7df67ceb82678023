//! Streaming a reply as Server-Sent Events: one `chat.completion.chunk` per word, a pause
//! between chunks, an optional usage chunk, then `data: [DONE]`.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::Usage;

/// What to stream.
pub struct StreamPlan {
    pub id: String,
    pub created: i64,
    pub model: String,
    pub reply: String,
    pub usage: Option<Usage>,
    pub delay: Duration,
}

/// The SSE `data:` payloads in order (the last one is `[DONE]`).
pub fn events(plan: &StreamPlan) -> Vec<String> {
    let chunk = |delta: Value, finish: Value| {
        json!({
            "id": plan.id,
            "object": "chat.completion.chunk",
            "created": plan.created,
            "model": plan.model,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
        })
        .to_string()
    };
    let mut events = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    )];
    let words: Vec<&str> = plan.reply.split(' ').collect();
    let last = words.len().saturating_sub(1);
    for (index, word) in words.iter().enumerate() {
        let piece = if index == last {
            (*word).to_owned()
        } else {
            format!("{word} ")
        };
        events.push(chunk(json!({"content": piece}), Value::Null));
    }
    events.push(chunk(json!({}), json!("stop")));
    if let Some(usage) = plan.usage {
        events.push(
            json!({
                "id": plan.id,
                "object": "chat.completion.chunk",
                "created": plan.created,
                "model": plan.model,
                "choices": [],
                "usage": usage.to_json(),
            })
            .to_string(),
        );
    }
    events.push("[DONE]".to_owned());
    events
}

/// The `text/event-stream` response, pausing `plan.delay` before every chunk but the first.
pub fn response(plan: StreamPlan) -> Response {
    let delay = plan.delay;
    let events = events(&plan);
    let stream = futures_util::stream::unfold(
        (events.into_iter(), true),
        move |(mut rest, first)| async move {
            let data = rest.next()?;
            if !first && !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let frame = Bytes::from(format!("data: {data}\n\n"));
            Some((Ok::<_, Infallible>(frame), (rest, false)))
        },
    );
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}
