//! The subscription WebSocket keeps the rules of its protocols: close codes for a client that
//! breaks them, a code on every error, and limits on what one connection or token may hold.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;
use tuner::app::{HttpOptions, SocketLimits};

use crate::harness::{http_options, TestApp};
use crate::limits::fragment_bomb;
use crate::subscriptions::{connect, recv, send, Ws, LEGACY_WS, TRANSPORT_WS};

/// Every job of the workspace: with none, the subscription stays open and quiet.
const ALL_JOBS: &str = "subscription { trainingJobUpdates { job { id } } }";

fn with_sockets(sockets: SocketLimits) -> HttpOptions {
    HttpOptions {
        sockets,
        ..http_options()
    }
}

/// The code of the close frame that ends the connection; fails the test after 10 seconds.
async fn close_code(ws: &mut Ws) -> u16 {
    loop {
        let next = tokio::time::timeout(Duration::from_secs(10), ws.next()).await;
        match next.expect("the connection closes within 10 s") {
            Some(Ok(Message::Close(frame))) => {
                return frame.map_or(1005, |frame| u16::from(frame.code))
            }
            Some(Ok(_)) => continue,
            other => panic!("closed without a close frame: {other:?}"),
        }
    }
}

/// A `graphql-transport-ws` connection, acknowledged, with `token` in `connection_init`.
async fn initialised(base: &str, token: &str) -> Ws {
    let mut ws = connect(base, TRANSPORT_WS, None).await;
    let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } });
    send(&mut ws, init).await;
    assert_eq!(recv(&mut ws).await["type"], "connection_ack");
    ws
}

async fn subscribe(ws: &mut Ws, id: &str, query: &str) {
    let message = json!({ "id": id, "type": "subscribe", "payload": { "query": query } });
    send(ws, message).await;
}

/// Sends a ping and waits for its pong: every message sent before has been handled.
async fn round_trip(ws: &mut Ws) -> Vec<Value> {
    send(ws, json!({ "type": "ping" })).await;
    let mut before = Vec::new();
    loop {
        let message = recv(ws).await;
        if message["type"] == "pong" {
            return before;
        }
        before.push(message);
    }
}

#[tokio::test]
async fn a_socket_that_never_initialises_is_closed_with_4408() {
    let app = TestApp::spawn().await;
    let sockets = SocketLimits {
        init_timeout: Duration::from_secs(1),
        ..SocketLimits::default()
    };
    let base = app.serve(with_sockets(sockets)).await;
    let mut ws = connect(&base, TRANSPORT_WS, None).await;
    assert_eq!(close_code(&mut ws).await, 4408);
}

#[tokio::test]
async fn protocol_violations_close_with_their_codes() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;

    let mut ws = connect(&base, TRANSPORT_WS, None).await;
    ws.send(Message::Text("{not json".into()))
        .await
        .expect("send");
    assert_eq!(close_code(&mut ws).await, 4400, "invalid JSON");

    let mut ws = connect(&base, TRANSPORT_WS, None).await;
    send(&mut ws, json!({ "type": "shout" })).await;
    assert_eq!(close_code(&mut ws).await, 4400, "unknown message type");

    let mut ws = connect(&base, TRANSPORT_WS, None).await;
    subscribe(&mut ws, "1", ALL_JOBS).await;
    assert_eq!(close_code(&mut ws).await, 4401, "subscribe before the ack");

    let mut ws = initialised(&base, &app.admin).await;
    send(&mut ws, json!({ "type": "connection_init" })).await;
    assert_eq!(close_code(&mut ws).await, 4429, "a second connection_init");

    let mut ws = initialised(&base, &app.admin).await;
    subscribe(&mut ws, "1", ALL_JOBS).await;
    subscribe(&mut ws, "1", ALL_JOBS).await;
    assert_eq!(close_code(&mut ws).await, 4409, "an id already running");
}

#[tokio::test]
async fn a_message_over_one_mebibyte_is_closed_with_1009() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    let mut ws = initialised(&base, &app.admin).await;
    let huge =
        json!({ "id": "2", "type": "subscribe", "payload": { "query": "x".repeat(5_000_000) } });
    // The server may close while the client still writes.
    let _ = ws.send(Message::Text(huge.to_string().into())).await;
    assert_eq!(close_code(&mut ws).await, 1009);
}

#[tokio::test]
async fn engine_errors_over_a_websocket_carry_a_code() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    for protocol in [TRANSPORT_WS, LEGACY_WS] {
        let mut ws = connect(&base, protocol, Some(&app.admin)).await;
        send(&mut ws, json!({ "type": "connection_init" })).await;
        assert_eq!(recv(&mut ws).await["type"], "connection_ack");
        let queries = [
            "subscription { trainingJobUpdates { job { id }",
            "subscription { noSuchField }",
            "subscription { trainingJobUpdates(colour: 1) { job { id } } }",
        ];
        for (i, query) in queries.iter().enumerate() {
            let id = i.to_string();
            subscribe(&mut ws, &id, query).await;
            let message = recv(&mut ws).await;
            assert_eq!(message["id"], id.as_str(), "{message}");
            let code = &message["payload"]["errors"][0]["extensions"]["code"];
            assert_eq!(code, "BAD_USER_INPUT", "{protocol} {query}: {message}");
            assert_eq!(recv(&mut ws).await, json!({ "type": "complete", "id": id }));
        }
    }
}

#[tokio::test]
async fn a_fragment_bomb_over_a_websocket_is_refused_at_once() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    let mut ws = initialised(&base, &app.admin).await;
    let query = fragment_bomb("subscription", "Subscription", 40, "__typename");
    subscribe(&mut ws, "b", &query).await;
    let message = recv(&mut ws).await;
    let code = &message["payload"]["errors"][0]["extensions"]["code"];
    assert_eq!(code, "BAD_USER_INPUT", "{message}");
}

#[tokio::test]
async fn a_connection_runs_at_most_the_allowed_operations() {
    let app = TestApp::spawn().await;
    let sockets = SocketLimits {
        max_subscriptions: 3,
        ..SocketLimits::default()
    };
    let base = app.serve(with_sockets(sockets)).await;
    let mut ws = initialised(&base, &app.admin).await;
    for id in ["1", "2", "3"] {
        subscribe(&mut ws, id, ALL_JOBS).await;
    }
    assert_eq!(round_trip(&mut ws).await, Vec::<Value>::new());
    subscribe(&mut ws, "4", ALL_JOBS).await;
    let refused = recv(&mut ws).await;
    assert_eq!(refused["id"], "4", "{refused}");
    let error = &refused["payload"]["errors"][0];
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{refused}");
    assert!(error["message"]
        .as_str()
        .unwrap_or_default()
        .contains("3 operations"));
    assert_eq!(
        recv(&mut ws).await,
        json!({ "type": "complete", "id": "4" })
    );
    // Completing one makes room for another.
    send(&mut ws, json!({ "type": "complete", "id": "2" })).await;
    subscribe(&mut ws, "5", ALL_JOBS).await;
    let before_pong = round_trip(&mut ws).await;
    assert_eq!(before_pong, vec![json!({ "type": "complete", "id": "2" })]);
}

#[tokio::test]
async fn a_token_holds_at_most_the_allowed_connections() {
    let app = TestApp::spawn().await;
    let sockets = SocketLimits {
        max_connections_per_token: 2,
        ..SocketLimits::default()
    };
    let base = app.serve(with_sockets(sockets)).await;
    let first = initialised(&base, &app.admin).await;
    let _second = initialised(&base, &app.admin).await;
    let mut third = connect(&base, TRANSPORT_WS, Some(&app.admin)).await;
    send(&mut third, json!({ "type": "connection_init" })).await;
    assert_eq!(close_code(&mut third).await, 4429);
    // Another token has its own allowance.
    let reader = app.token(tuner::auth::Role::Reader).await;
    let _other = initialised(&base, &reader).await;
    // A closed connection frees its place.
    drop(first);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut ws = connect(&base, TRANSPORT_WS, Some(&app.admin)).await;
        send(&mut ws, json!({ "type": "connection_init" })).await;
        let next = tokio::time::timeout(Duration::from_secs(10), ws.next()).await;
        if let Ok(Some(Ok(Message::Text(text)))) = next {
            assert!(text.contains("connection_ack"), "{text}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the place was never freed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_client_closing_the_socket_gets_the_closing_handshake_answered() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    let mut ws = initialised(&base, &app.admin).await;
    subscribe(&mut ws, "1", ALL_JOBS).await;
    ws.close(None).await.expect("send close");
    let answer = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("an answer within 5 s");
    assert!(
        matches!(answer, Some(Ok(Message::Close(_)))),
        "the server answers the close frame instead of dropping the connection: {answer:?}"
    );
}
