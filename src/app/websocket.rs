//! GraphQL subscriptions over WebSocket on `GET /graphql` (sub-protocols `graphql-transport-ws`
//! and the older `graphql-ws`). The caller's token comes from the `connection_init` payload
//! (`{"authorization": "Bearer ..."}`), or else from the upgrade request's `Authorization` header.
//! When the server shuts down, every socket is closed with code 1001 (going away), so clients
//! know to reconnect elsewhere.

use std::time::Duration;

use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Request};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::AppState;
use crate::{auth, schema};

/// Read buffer of one socket. Clients send a few small messages (`connection_init`,
/// `subscribe`, pings), and the buffer of every idle subscriber stays allocated: the default
/// 128 KiB would cost ~150 KiB per subscriber instead of ~30 KiB.
const READ_BUFFER_BYTES: usize = 4 * 1024;
/// Largest message a client may send (a subscription document with its variables).
const MAX_MESSAGE_BYTES: usize = 1024 * 1024;

/// The open WebSockets of a server, to close them when it shuts down.
#[derive(Clone, Debug, Default)]
pub struct Sockets {
    closing: CancellationToken,
    open: TaskTracker,
}

impl Sockets {
    /// Closes every open socket with 1001 (going away) and waits up to `grace` for them.
    pub async fn close_all(&self, grace: Duration) {
        self.closing.cancel();
        self.open.close();
        if tokio::time::timeout(grace, self.open.wait()).await.is_err() {
            tracing::warn!(
                open = self.open.len(),
                "some WebSockets did not close in time"
            );
        }
    }
}

/// Whether the request asks to switch to WebSocket.
pub fn is_upgrade(request: &Request) -> bool {
    request
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("websocket"))
}

/// Accepts the WebSocket and serves the schema's subscriptions on it.
pub async fn upgrade(state: AppState, request: Request) -> Response {
    let (mut parts, _body) = request.into_parts();
    let protocol = match GraphQLProtocol::from_request_parts(&mut parts, &state).await {
        Ok(protocol) => protocol,
        Err(rejection) => return rejection.into_response(),
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let header_token = super::bearer(&parts.headers).map(str::to_owned);
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| {
            let sockets = state.sockets.clone();
            sockets
                .open
                .track_future(serve(socket, state, protocol, header_token))
        })
}

/// Serves subscriptions on `socket` until the client leaves or the server shuts down.
async fn serve(
    socket: WebSocket,
    state: AppState,
    protocol: GraphQLProtocol,
    header_token: Option<String>,
) {
    let closing = state.sockets.closing.clone();
    let (mut sink, stream) = socket.split();
    let input = stream.take_until(closing.clone().cancelled_owned());
    GraphQLWebSocket::new_with_pair(&mut sink, input, state.schema.clone(), protocol)
        .on_connection_init(move |payload| connection_init(state.db, payload, header_token))
        .serve()
        .await;
    if closing.is_cancelled() {
        let frame = CloseFrame {
            code: close_code::AWAY,
            reason: "the server is shutting down".into(),
        };
        // The client may be gone already.
        let _ = sink.send(Message::Close(Some(frame))).await;
    }
}

/// The token of an `Authorization` value; an unusable value still counts as a (bad) token.
fn token_of(value: &str) -> String {
    auth::bearer_token(value).unwrap_or("malformed").to_owned()
}

/// Authenticates the connection: every subscription on it runs as this caller. A missing or
/// invalid token is not refused here: each subscription then fails with UNAUTHENTICATED.
async fn connection_init(
    db: DatabaseConnection,
    payload: serde_json::Value,
    header_token: Option<String>,
) -> async_graphql::Result<Data> {
    let from_payload = ["authorization", "Authorization"]
        .iter()
        .find_map(|key| payload.get(key).and_then(|v| v.as_str()))
        .map(token_of);
    let token = from_payload.or(header_token);
    let auth = auth::authenticate(&db, token.as_deref()).await?;
    Ok(schema::connection_data(&db, auth))
}
