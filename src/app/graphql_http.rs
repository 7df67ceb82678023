//! GraphQL over HTTP on `/graphql`: `POST` runs an operation; `GET` opens a subscription
//! WebSocket or shows the admin panel's query console. A body that is not a GraphQL request gets a GraphQL error
//! (`BAD_USER_INPUT`), never the parser's internals.

use std::time::Instant;

use async_graphql::ParseRequestError;
use async_graphql_axum::rejection::GraphQLRejection;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use bytes::Bytes;
use chrono::Utc;

use super::{bearer, websocket, AppState};
use crate::auth::{Auth, Principal};
use crate::available_models::answers::{AnswerCache, AnswerKey, Lookup};
use crate::available_models::cache::{AvailableModelsCache, Models};
use crate::error::clip;
use crate::graphql::MAX_MESSAGE_CHARS;
use crate::schema;

/// `POST /graphql`: authenticates the caller once and runs the operation, counted in the
/// metrics by operation name and outcome. An operation that asks for `availableModels` alone
/// is answered from the answers kept for the workspace while its list has not changed.
pub async fn graphql_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Result<GraphQLRequest, GraphQLRejection>,
) -> Response {
    let started = Instant::now();
    let metrics = &state.app.metrics;
    let request = match request {
        Ok(request) => request.into_inner(),
        Err(rejection) => {
            let operation = metrics.operation(None, "");
            metrics.graphql_request(operation, Some("BAD_USER_INPUT"), started.elapsed());
            return malformed(rejection.0);
        }
    };
    let operation = metrics.operation(request.operation_name.as_deref(), &request.query);
    let auth = match state.app.authenticate(bearer(&headers)).await {
        Ok(auth) => auth,
        Err(err) => {
            err.log_if_internal("cannot authenticate a request");
            let response = crate::graphql::refusal(err);
            metrics.graphql_request(operation, first_error_code(&response), started.elapsed());
            return GraphQLResponse::from(response).into_response();
        }
    };
    let kept = match &auth {
        Auth::Valid(principal) => kept_answer_key(&state, principal, &request).await,
        _ => None,
    };
    let keep = match kept {
        Some((answers, key, models)) => match answers.get(&key, &models) {
            Lookup::Answer(answer) => {
                metrics.graphql_request(operation, None, started.elapsed());
                return graphql_json(answer);
            }
            Lookup::Miss => Some((answers, key, models)),
            Lookup::Never => None,
        },
        None => None,
    };
    let made_at = Utc::now();
    let response = schema::execute(&state.schema, &state.app.db, auth, request).await;
    metrics.graphql_request(operation, first_error_code(&response), started.elapsed());
    match keep {
        Some((answers, key, models)) if response.errors.is_empty() => {
            match serde_json::to_vec(&response) {
                Ok(answer) => {
                    let answer = Bytes::from(answer);
                    answers.put(key, &models, made_at, answer.clone());
                    graphql_json(answer)
                }
                Err(_) => GraphQLResponse::from(response).into_response(),
            }
        }
        _ => GraphQLResponse::from(response).into_response(),
    }
}

/// Where `request`'s answer may be kept whole: the cache, the request's key in it, and the
/// workspace's `availableModels` list now; `None` for any request whose answer is never kept.
async fn kept_answer_key<'a>(
    state: &'a AppState,
    principal: &Principal,
    request: &async_graphql::Request,
) -> Option<(&'a AnswerCache, AnswerKey, Models)> {
    let answers = state.schema.data::<AnswerCache>()?;
    let key = answers.key(principal.workspace_id, request)?;
    let lists = state.schema.data::<AvailableModelsCache>()?;
    let retirements = &state.app.training.retirements;
    let models = lists
        .get(&state.app.db, retirements, principal.workspace_id)
        .await
        .ok()?;
    Some((answers, key, models))
}

/// A serialised GraphQL answer, as the engine's own responses are sent.
fn graphql_json(answer: Bytes) -> Response {
    (
        [(header::CONTENT_TYPE, "application/graphql-response+json")],
        answer,
    )
        .into_response()
}

/// The `extensions.code` of the answer's first error; `None` when it has no error.
fn first_error_code(response: &async_graphql::Response) -> Option<&str> {
    let error = response.errors.first()?;
    let code = error.extensions.as_ref().and_then(|e| e.get("code"));
    Some(match code {
        Some(async_graphql::Value::String(code)) => code.as_str(),
        _ => "",
    })
}

/// The answer to a body that is not a GraphQL request: 400 (413 when too large) with one
/// `BAD_USER_INPUT` error that quotes little of the input.
fn malformed(error: ParseRequestError) -> Response {
    let (status, message) = match error {
        ParseRequestError::PayloadTooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request body is larger than the server accepts (--body-limit)".to_owned(),
        ),
        ParseRequestError::InvalidRequest(cause) => (
            StatusCode::BAD_REQUEST,
            format!(
                "the body is not a GraphQL request ({cause}); send JSON like \
                 {{\"query\": \"{{ viewer {{ role }} }}\", \"variables\": {{}}}}"
            ),
        ),
        ParseRequestError::UnsupportedBatch => (
            StatusCode::BAD_REQUEST,
            "batched requests are not supported; send one operation per request".to_owned(),
        ),
        other => (
            StatusCode::BAD_REQUEST,
            format!("the request cannot be read: {other}"),
        ),
    };
    let body = serde_json::json!({ "errors": [{
        "message": clip(message, MAX_MESSAGE_CHARS),
        "extensions": { "code": "BAD_USER_INPUT" },
    }] });
    (status, Json(body)).into_response()
}

/// `GET /graphql`: subscriptions over WebSocket when the request is an upgrade, else the
/// admin panel, which opens its query console at this path.
pub async fn graphql_get(State(state): State<AppState>, request: Request) -> Response {
    if websocket::is_upgrade(&request) {
        websocket::upgrade(state, request).await
    } else {
        let headers = request.headers().clone();
        super::panel::index(State(state), headers).await
    }
}
