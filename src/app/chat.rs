//! The OpenAI-compatible endpoint for bots: `POST /v1/chat/completions`, `GET /v1/models` and
//! `GET /v1/models/{model}`, with a tuner API token as the API key. Errors come in OpenAI's
//! shape; see [`crate::chat`] for what happens to a request.

use axum::body::{to_bytes, Body};
use std::time::Instant;

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::AppState;
use crate::available_models::AvailableModel;
use crate::chat::errors::ChatError;
use crate::chat::{Answer, AnswerBody, Target};

/// Counts each request of the chat endpoint by route and status, with the time to its answer's
/// head (a streamed answer goes on after).
pub async fn measure(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = match request.uri().path() {
        "/v1/chat/completions" => "chat_completions",
        "/v1/models" => "models",
        _ => "model",
    };
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    state
        .app
        .metrics
        .chat_request(route, status, started.elapsed());
    response
}

/// `POST /v1/chat/completions`.
pub async fn completions(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let result = async {
        let caller = state
            .chat
            .authenticate(authorization(&parts.headers))
            .await?;
        let target = Target::parse(
            parts
                .headers
                .get("x-tuner-target")
                .map(|v| v.to_str().unwrap_or("malformed")),
        )?;
        let limit = state.chat.settings().max_request_bytes;
        let body = to_bytes(body, limit)
            .await
            .map_err(|_| ChatError::TooLarge(limit))?;
        state.chat.complete(&caller, &body, target).await
    }
    .await;
    match result {
        Ok(answer) => answer_response(answer),
        Err(error) => error_response(&error),
    }
}

/// `GET /v1/models`: the models the token's workspace can call now.
pub async fn list_models(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let result = async {
        let caller = state.chat.authenticate(authorization(&headers)).await?;
        state.chat.models(&caller).await
    }
    .await;
    match result {
        Ok(models) => {
            let data: Vec<Value> = models.iter().map(|m| model_object(m)).collect();
            Json(json!({ "object": "list", "data": data })).into_response()
        }
        Err(error) => error_response(&error),
    }
}

/// `GET /v1/models/{model}`: one callable model, by name.
pub async fn get_model(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let caller = state.chat.authenticate(authorization(&headers)).await?;
        state.chat.model(&caller, &name).await
    }
    .await;
    match result {
        Ok(model) => Json(model_object(&model)).into_response(),
        Err(error) => error_response(&error),
    }
}

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .map(|value| value.to_str().unwrap_or("malformed"))
}

/// A model in OpenAI's model object shape, with where it runs.
fn model_object(model: &AvailableModel) -> Value {
    json!({
        "id": model.model.name,
        "object": "model",
        "created": model.model.created_at.timestamp(),
        "owned_by": "tuner",
        "provider": model.model.provider,
        "base_model": model.model.base_model,
    })
}

fn answer_response(answer: Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let streaming = matches!(answer.body, AnswerBody::Events(_));
    let mut response = match answer.body {
        AnswerBody::Whole(bytes) => Response::new(Body::from(bytes)),
        AnswerBody::Events(events) => Response::new(Body::from_stream(events)),
    };
    *response.status_mut() = status;
    let headers = response.headers_mut();
    let content_type = answer.content_type.as_deref().unwrap_or(if streaming {
        "text/event-stream"
    } else {
        "application/json"
    });
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if streaming {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    }
    let applied = if answer.applied.trained_prompt {
        "trained"
    } else {
        "none"
    };
    headers.insert("x-tuner-system-prompt", HeaderValue::from_static(applied));
    if let Some(hash) = answer
        .prompt_sha256
        .and_then(|h| HeaderValue::from_str(&h).ok())
    {
        headers.insert("x-tuner-system-prompt-sha256", hash);
    }
    headers.insert(
        "x-tuner-target",
        HeaderValue::from_static(answer.target.as_str()),
    );
    headers.insert(
        "x-tuner-client-system-messages",
        HeaderValue::from_static(answer.applied.client_messages.as_str()),
    );
    response
}

fn error_response(error: &ChatError) -> Response {
    error.log_if_internal();
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut response = (status, Json(error.body())).into_response();
    if let Some(seconds) = error.retry_after_secs() {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    if matches!(error, ChatError::Unauthenticated(_)) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}
