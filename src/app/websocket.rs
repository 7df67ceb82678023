//! GraphQL subscriptions over WebSocket on `GET /graphql` (sub-protocols `graphql-transport-ws`
//! and the older `graphql-ws`). The caller's token comes from the `connection_init` payload
//! (`{"authorization": "Bearer ..."}`), or else from the upgrade request's `Authorization` header.
//! Connections per token, operations per connection, message size and the wait for
//! `connection_init` are limited. When the server shuts down, every socket is closed with code
//! 1001 (going away), so clients know to reconnect elsewhere.

mod protocol;
mod session;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequestParts, Request};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use self::protocol::Protocol;
use self::session::Session;
use super::AppState;
use crate::ids::TokenId;

/// Read buffer of one socket. Clients send a few small messages (`connection_init`,
/// `subscribe`, pings), and the buffer of every idle subscriber stays allocated: the default
/// 128 KiB would cost ~150 KiB per subscriber instead of ~30 KiB.
const READ_BUFFER_BYTES: usize = 4 * 1024;
/// Largest message a client may send (a subscription document with its variables).
const MAX_MESSAGE_BYTES: usize = 1024 * 1024;

/// The sub-protocols spoken, preferred first.
const PROTOCOLS: [(&str, Protocol); 2] = [
    ("graphql-transport-ws", Protocol::TransportWs),
    ("graphql-ws", Protocol::LegacyWs),
];

/// Limits on subscription sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketLimits {
    /// How long a socket may wait before sending `connection_init`.
    pub init_timeout: Duration,
    /// Most operations running at once on one connection.
    pub max_subscriptions: usize,
    /// Most connections open at once with one token (connections without a valid token share
    /// one such allowance).
    pub max_connections_per_token: usize,
}

impl Default for SocketLimits {
    fn default() -> Self {
        Self {
            init_timeout: Duration::from_secs(10),
            max_subscriptions: 100,
            max_connections_per_token: 100,
        }
    }
}

/// The open WebSockets of a server: their limits, their count per token, and what closes them
/// when the server shuts down.
#[derive(Clone, Debug, Default)]
pub struct Sockets {
    limits: SocketLimits,
    closing: CancellationToken,
    open: TaskTracker,
    per_token: Arc<Mutex<HashMap<Option<TokenId>, usize>>>,
}

impl Sockets {
    /// No sockets yet, with these limits.
    pub fn new(limits: SocketLimits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

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

    /// A place for one more connection of `token` (`None`: no valid token), unless it has
    /// as many as allowed.
    fn admit(&self, token: Option<TokenId>) -> Option<ConnectionSlot> {
        let mut counts = self.per_token.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(token).or_default();
        if *count >= self.limits.max_connections_per_token {
            return None;
        }
        *count += 1;
        Some(ConnectionSlot {
            token,
            counts: self.per_token.clone(),
        })
    }
}

/// One connection counted against its token; dropping it frees the place.
#[derive(Debug)]
struct ConnectionSlot {
    token: Option<TokenId>,
    counts: Arc<Mutex<HashMap<Option<TokenId>, usize>>>,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&self.token) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.token);
            }
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
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let Some(protocol) = requested_protocol(&parts.headers) else {
        let message = "ask for the WebSocket sub-protocol graphql-transport-ws (or graphql-ws)";
        return (axum::http::StatusCode::BAD_REQUEST, message).into_response();
    };
    let header_token = super::bearer(&parts.headers).map(str::to_owned);
    upgrade
        .protocols(PROTOCOLS.map(|(name, _)| name))
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| {
            let open = state.sockets.open.clone();
            open.track_future(Session::new(state, protocol, header_token).run(socket))
        })
}

/// The sub-protocol to speak: `graphql-transport-ws` when the client offers it, else
/// `graphql-ws` (the order in which the upgrade answer names them too).
fn requested_protocol(headers: &axum::http::HeaderMap) -> Option<Protocol> {
    let offered: Vec<&str> = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    PROTOCOLS
        .iter()
        .find(|(name, _)| offered.contains(name))
        .map(|(_, protocol)| *protocol)
}
