//! One subscription WebSocket from `connection_init` to close: authenticates the caller once,
//! runs each operation the client starts under its id, and closes with the protocol's code when
//! the client breaks a rule or the server shuts down.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Data, Response};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::{self, BoxStream, SelectAll};
use futures_util::{SinkExt, StreamExt};
use tokio_util::sync::CancellationToken;

use super::protocol::{self, ClientMessage, Protocol, ServerMessage};
use super::{ConnectionSlot, SocketLimits};
use crate::app::AppState;
use crate::auth::{self, Auth};
use crate::schema;

/// What the session does after handling a client message.
enum Flow {
    Continue,
    Close(u16, String),
}

/// A result of one of the connection's operations, tagged with the run it belongs to (an id
/// may be reused once its operation has ended).
enum Event {
    Result {
        id: String,
        run: u64,
        response: Box<Response>,
    },
    Ended {
        id: String,
        run: u64,
    },
}

/// The state of one socket.
pub struct Session {
    state: AppState,
    protocol: Protocol,
    limits: SocketLimits,
    /// The token of the upgrade request's `Authorization` header, if any.
    header_token: Option<String>,
    /// The caller's data once `connection_init` was acknowledged.
    connection: Option<Arc<Data>>,
    /// The connection's place in its token's count; released when the session ends.
    _slot: Option<ConnectionSlot>,
    /// Running operations by client id: the run number and what stops it.
    running: HashMap<String, (u64, CancellationToken)>,
    runs: u64,
    events: SelectAll<BoxStream<'static, Event>>,
}

impl Session {
    /// A session on a socket accepted from `state`'s server.
    pub fn new(state: AppState, protocol: Protocol, header_token: Option<String>) -> Self {
        let limits = state.sockets.limits;
        Self {
            state,
            protocol,
            limits,
            header_token,
            connection: None,
            _slot: None,
            running: HashMap::new(),
            runs: 0,
            events: SelectAll::new(),
        }
    }

    /// Serves the socket until the client leaves, breaks a rule, or the server shuts down.
    pub async fn run(mut self, socket: WebSocket) {
        let _open = self.state.app.metrics.websocket_opened();
        let closing = self.state.sockets.closing.clone();
        let (mut sink, mut incoming) = socket.split();
        let init_deadline = tokio::time::sleep(self.limits.init_timeout);
        tokio::pin!(init_deadline);
        let close = loop {
            let outgoing = tokio::select! {
                () = closing.cancelled() => break Some((protocol::GOING_AWAY, "the server is shutting down".to_owned())),
                () = &mut init_deadline, if self.connection.is_none() => {
                    break Some((protocol::INIT_TIMEOUT, "Connection initialisation timeout".to_owned()));
                }
                message = incoming.next() => match self.receive(message).await {
                    Ok(outgoing) => outgoing,
                    Err(close) => break close,
                },
                Some(event) = self.events.next(), if !self.events.is_empty() => self.event(event),
            };
            if !send_all(&mut sink, outgoing).await {
                break None;
            }
        };
        self.stop_all();
        // The client may be gone already: failures here change nothing.
        if let Some((code, reason)) = close {
            let frame = CloseFrame {
                code,
                reason: close_reason(&reason).into(),
            };
            let _ = sink.send(Message::Close(Some(frame))).await;
        }
        // Flushes what is queued, such as the answer to a client's close frame, so the closing
        // handshake completes (else the client sees 1006).
        let _ = sink.close().await;
    }

    /// Handles what the socket delivered: the messages to send back, or how to close (`None`:
    /// the client has gone, there is no one to tell).
    async fn receive(
        &mut self,
        message: Option<Result<Message, axum::Error>>,
    ) -> Result<Vec<String>, Option<(u16, String)>> {
        let parsed = match message {
            None | Some(Ok(Message::Close(_))) => return Err(None),
            Some(Err(err)) => return Err(read_failure(err)),
            Some(Ok(Message::Text(text))) => protocol::parse(text.as_bytes()),
            Some(Ok(Message::Binary(bytes))) => protocol::parse(&bytes),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => return Ok(Vec::new()),
        };
        let message = match parsed {
            Ok(message) => message,
            Err(invalid) => return Err(Some((protocol::INVALID_MESSAGE, invalid.to_string()))),
        };
        match self.handle(message).await {
            (Flow::Continue, outgoing) => Ok(outgoing),
            (Flow::Close(code, reason), _) => Err(Some((code, reason))),
        }
    }

    async fn handle(&mut self, message: ClientMessage) -> (Flow, Vec<String>) {
        match message {
            ClientMessage::ConnectionInit { payload } => self.init(payload).await,
            ClientMessage::Subscribe { id, payload } => self.subscribe(id, *payload),
            ClientMessage::Complete { id } => {
                let outgoing = match self.running.remove(&id) {
                    Some((_, stop)) => {
                        stop.cancel();
                        vec![ServerMessage::complete(&id).to_text()]
                    }
                    None => Vec::new(),
                };
                (Flow::Continue, outgoing)
            }
            ClientMessage::ConnectionTerminate => (Flow::Close(1000, String::new()), Vec::new()),
            ClientMessage::Ping => (Flow::Continue, vec![ServerMessage::pong().to_text()]),
            ClientMessage::Pong => (Flow::Continue, Vec::new()),
        }
    }

    /// Authenticates the connection: every operation on it runs as this caller. A missing or
    /// invalid token is not refused here: each operation then fails with UNAUTHENTICATED.
    async fn init(&mut self, payload: Option<serde_json::Value>) -> (Flow, Vec<String>) {
        if self.connection.is_some() {
            let reason = "Too many initialisation requests".to_owned();
            return (Flow::Close(protocol::TOO_MANY, reason), Vec::new());
        }
        let from_payload = payload.as_ref().and_then(|payload| {
            ["authorization", "Authorization"]
                .iter()
                .find_map(|key| payload.get(key).and_then(|v| v.as_str()))
                .map(token_of)
        });
        let token = from_payload.or_else(|| self.header_token.clone());
        let auth = match self.state.app.authenticate(token.as_deref()).await {
            Ok(auth) => auth,
            Err(err) => {
                tracing::warn!(error = %crate::error::report(&err), "cannot authenticate a WebSocket");
                let reason = "the server cannot check the token now".to_owned();
                return (Flow::Close(1011, reason), Vec::new());
            }
        };
        let key = match &auth {
            Auth::Valid(principal) => Some(principal.token_id),
            Auth::Missing | Auth::Invalid => None,
        };
        let Some(slot) = self.state.sockets.admit(key) else {
            let limit = self.limits.max_connections_per_token;
            let reason = format!("this token has {limit} connections open, the most allowed");
            return (Flow::Close(protocol::TOO_MANY, reason), Vec::new());
        };
        self._slot = Some(slot);
        let data = schema::connection_data(&self.state.schema, &self.state.app.db, auth);
        self.connection = Some(Arc::new(data));
        (Flow::Continue, vec![ServerMessage::ack().to_text()])
    }

    fn subscribe(&mut self, id: String, request: async_graphql::Request) -> (Flow, Vec<String>) {
        let Some(connection) = self.connection.clone() else {
            return (
                Flow::Close(protocol::UNAUTHORIZED, "Unauthorized".to_owned()),
                Vec::new(),
            );
        };
        if self.running.contains_key(&id) {
            let reason = format!("Subscriber for {} already exists", clip_id(&id));
            return (Flow::Close(protocol::DUPLICATE_ID, reason), Vec::new());
        }
        if self.running.len() >= self.limits.max_subscriptions {
            let limit = self.limits.max_subscriptions;
            let refused = crate::graphql::refusal(crate::error::Error::bad_input(
                "subscribe",
                format!(
                    "this connection has {limit} operations running, the most allowed; \
                     complete one or open another connection"
                ),
            ));
            let outgoing = vec![
                ServerMessage::result(self.protocol, &id, &refused).to_text(),
                ServerMessage::complete(&id).to_text(),
            ];
            return (Flow::Continue, outgoing);
        }
        self.runs += 1;
        let run = self.runs;
        let stop = CancellationToken::new();
        // Counted while the operation's stream lives: it ends or the session drops it.
        let running = self.state.app.metrics.subscription_started();
        let results = schema::execute_stream(&self.state.schema, request, connection)
            .take_until(stop.clone().cancelled_owned())
            .map({
                let id = id.clone();
                move |response| Event::Result {
                    id: id.clone(),
                    run,
                    response: Box::new(response),
                }
            })
            .chain(stream::once({
                let id = id.clone();
                async move {
                    drop(running);
                    Event::Ended { id, run }
                }
            }));
        self.events.push(results.boxed());
        self.running.insert(id, (run, stop));
        (Flow::Continue, Vec::new())
    }

    /// What to send for an operation's event; nothing for a run the client already completed.
    fn event(&mut self, event: Event) -> Vec<String> {
        let current = |running: &HashMap<String, (u64, CancellationToken)>, id: &str, run| {
            running.get(id).is_some_and(|(current, _)| *current == run)
        };
        match event {
            Event::Result { id, run, response } if current(&self.running, &id, run) => {
                vec![ServerMessage::result(self.protocol, &id, &response).to_text()]
            }
            Event::Ended { id, run } if current(&self.running, &id, run) => {
                self.running.remove(&id);
                vec![ServerMessage::complete(&id).to_text()]
            }
            Event::Result { .. } | Event::Ended { .. } => Vec::new(),
        }
    }

    fn stop_all(&mut self) {
        for (_, (_, stop)) in self.running.drain() {
            stop.cancel();
        }
    }
}

/// Sends `texts` in order; false when the client is gone.
async fn send_all(
    sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
    texts: Vec<String>,
) -> bool {
    for text in texts {
        if sink.send(Message::Text(text.into())).await.is_err() {
            return false;
        }
    }
    true
}

/// How to close after a failed read: 1009 for a message over the limit; otherwise the
/// connection is broken and there is no one to tell.
fn read_failure(err: axum::Error) -> Option<(u16, String)> {
    let cause = err.into_inner();
    match cause.downcast_ref::<tungstenite::Error>() {
        Some(tungstenite::Error::Capacity(_)) => Some((
            protocol::MESSAGE_TOO_BIG,
            "message too big: send at most 1 MiB".to_owned(),
        )),
        _ => None,
    }
}

/// The token of an `Authorization` value; an unusable value still counts as a (bad) token.
fn token_of(value: &str) -> String {
    auth::bearer_token(value).unwrap_or("malformed").to_owned()
}

/// A client's id as quoted in a close reason.
fn clip_id(id: &str) -> String {
    crate::error::clip(id.to_owned(), 40)
}

/// A close reason fits in 123 bytes.
fn close_reason(reason: &str) -> String {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_owned()
}
