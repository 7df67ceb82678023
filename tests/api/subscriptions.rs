//! `trainingJobUpdates` over WebSocket: real clients on real HTTP, with both sub-protocols.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};
use tuner::auth::Role;

use crate::harness::http_options;
use crate::training_jobs::Fixture;

pub(crate) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const UPDATES: &str = "subscription($jobId: ID, $modelId: ID) { \
    trainingJobUpdates(jobId: $jobId, modelId: $modelId) { \
    job { id status } newEvents { id kind } newMetrics { step trainLoss } } }";

pub(crate) const TRANSPORT_WS: &str = "graphql-transport-ws";
pub(crate) const LEGACY_WS: &str = "graphql-ws";

/// Opens a WebSocket on `/graphql` with `protocol`, sending `token` in the upgrade's header.
pub(crate) async fn connect(base: &str, protocol: &str, token: Option<&str>) -> Ws {
    let url = format!("{}/graphql", base.replacen("http", "ws", 1));
    let mut request = url.into_client_request().expect("request");
    let headers = request.headers_mut();
    headers.insert("sec-websocket-protocol", protocol.parse().expect("header"));
    if let Some(token) = token {
        let value = format!("Bearer {token}").parse().expect("header");
        headers.insert("authorization", value);
    }
    let (ws, _) = connect_async(request).await.expect("connect");
    ws
}

pub(crate) async fn send(ws: &mut Ws, message: Value) {
    let text = message.to_string();
    ws.send(Message::Text(text.into())).await.expect("send");
}

/// The next JSON message from the server; fails the test after 10 seconds.
pub(crate) async fn recv(ws: &mut Ws) -> Value {
    loop {
        let next = tokio::time::timeout(Duration::from_secs(10), ws.next()).await;
        let message = next
            .expect("a message within 10 s")
            .expect("open")
            .expect("ok");
        match message {
            Message::Text(text) => return serde_json::from_str(&text).expect("json"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected message {other:?}"),
        }
    }
}

/// Connects and subscribes with `graphql-transport-ws`, the token in `connection_init`.
async fn subscribe(base: &str, token: Option<&str>, variables: Value) -> Ws {
    let mut ws = connect(base, TRANSPORT_WS, None).await;
    let payload = token.map_or(
        json!({}),
        |t| json!({ "authorization": format!("Bearer {t}") }),
    );
    send(
        &mut ws,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    assert_eq!(recv(&mut ws).await["type"], "connection_ack");
    let request = json!({ "query": UPDATES, "variables": variables });
    send(
        &mut ws,
        json!({ "id": "1", "type": "subscribe", "payload": request }),
    )
    .await;
    ws
}

/// The next update's payload, asserting the message type.
async fn next_update(ws: &mut Ws, kind: &str) -> Value {
    let message = recv(ws).await;
    assert_eq!(message["type"], kind, "{message}");
    assert!(message["payload"]["errors"].is_null(), "{message}");
    message["payload"]["data"]["trainingJobUpdates"].clone()
}

/// Updates until the job reaches `status`; returns them all.
async fn updates_until(ws: &mut Ws, kind: &str, status: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let update = next_update(ws, kind).await;
        let reached = update["job"]["status"] == status;
        seen.push(update);
        if reached {
            return seen;
        }
    }
}

/// A fixture with a job started on 10 blocks, served over HTTP: (fixture, base URL, job id).
async fn started() -> (Fixture, String, String) {
    let fixture = Fixture::new(1_000).await;
    fixture.blocks(10, None).await;
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    let id = job["id"].as_str().expect("id").to_owned();
    let base = fixture.app.serve(http_options()).await;
    (fixture, base, id)
}

#[tokio::test]
async fn a_transport_ws_client_follows_a_job_until_it_succeeds() {
    let (fixture, base, job_id) = started().await;
    let mut ws = subscribe(&base, Some(&fixture.app.admin), json!({ "jobId": job_id })).await;
    let first = next_update(&mut ws, "next").await;
    assert_eq!(first["job"]["id"], job_id.as_str());
    fixture.emulator.advance(6);
    let refreshed = fixture.refresh(&job_id).await;
    let status = refreshed["status"].as_str().expect("status");
    assert_ne!(status, first["job"]["status"].as_str().expect("status"));
    let mut seen = updates_until(&mut ws, "next", status).await;
    assert!(!seen.last().expect("update")["newEvents"]
        .as_array()
        .expect("events")
        .is_empty());
    let finished = fixture.finish(&job_id).await;
    assert_eq!(finished["status"], "SUCCEEDED");
    seen.extend(updates_until(&mut ws, "next", "SUCCEEDED").await);
    let metrics: usize = seen
        .iter()
        .map(|u| u["newMetrics"].as_array().map_or(0, Vec::len))
        .sum();
    assert!(
        metrics > 0,
        "training metrics arrive as the job trains: {seen:#?}"
    );
    let done = recv(&mut ws).await;
    assert_eq!(done, json!({ "type": "complete", "id": "1" }));
}

#[tokio::test]
async fn a_graphql_ws_reader_with_the_token_in_the_header_sees_the_end_of_a_job() {
    let (fixture, base, job_id) = started().await;
    let reader = fixture.app.token(Role::Reader).await;
    let mut ws = connect(&base, LEGACY_WS, Some(&reader)).await;
    send(&mut ws, json!({ "type": "connection_init", "payload": {} })).await;
    assert_eq!(recv(&mut ws).await["type"], "connection_ack");
    let request = json!({ "query": UPDATES, "variables": { "jobId": job_id } });
    send(
        &mut ws,
        json!({ "id": "7", "type": "start", "payload": request }),
    )
    .await;
    let first = next_update(&mut ws, "data").await;
    assert_eq!(first["job"]["id"], job_id.as_str());
    fixture.finish(&job_id).await;
    updates_until(&mut ws, "data", "SUCCEEDED").await;
    assert_eq!(
        recv(&mut ws).await,
        json!({ "type": "complete", "id": "7" })
    );
}

#[tokio::test]
async fn workspace_and_model_subscriptions_see_the_jobs_they_cover() {
    let (fixture, base, first_job) = started().await;
    let admin = Some(fixture.app.admin.as_str());
    let mut all = subscribe(&base, admin, json!({})).await;
    let model = json!({ "modelId": fixture.model_id });
    let mut one_model = subscribe(&base, admin, model).await;
    // The current state comes first: once it has arrived, both listen for changes.
    assert_eq!(
        next_update(&mut all, "next").await["job"]["id"],
        first_job.as_str()
    );
    assert_eq!(
        next_update(&mut one_model, "next").await["job"]["id"],
        first_job.as_str()
    );
    let other_model = fixture.app.create_model("sales").await;
    fixture.blocks(10, None).await;
    let run = "mutation($id: ID!) { runTrainingJob(modelId: $id) { id } }";
    let reply = fixture
        .app
        .admin_gql(run, json!({ "id": other_model }))
        .await;
    let second_job = reply.data()["runTrainingJob"]["id"].clone();
    let update = next_update(&mut all, "next").await;
    assert_eq!(
        update["job"]["id"], second_job,
        "a job started after subscribing"
    );
    fixture.finish(&first_job).await;
    let update = next_update(&mut one_model, "next").await;
    assert_eq!(
        update["job"]["id"],
        first_job.as_str(),
        "not the other model's job"
    );
    assert_eq!(update["job"]["status"], "SUCCEEDED");
}

/// The first message of a subscription that must fail: its error code; no data, then complete.
async fn refused(ws: &mut Ws) -> String {
    let message = recv(ws).await;
    assert_eq!(message["type"], "next", "{message}");
    assert!(message["payload"]["data"].is_null(), "{message}");
    let code = message["payload"]["errors"][0]["extensions"]["code"].as_str();
    let code = code.expect("an error code").to_owned();
    assert_eq!(recv(ws).await, json!({ "type": "complete", "id": "1" }));
    code
}

#[tokio::test]
async fn a_missing_or_invalid_token_gets_unauthenticated_and_no_data() {
    let (_fixture, base, job_id) = started().await;
    let mut ws = subscribe(&base, None, json!({ "jobId": job_id })).await;
    assert_eq!(refused(&mut ws).await, "UNAUTHENTICATED");
    let mut ws = subscribe(
        &base,
        Some("tnr_not-a-real-token"),
        json!({ "jobId": job_id }),
    )
    .await;
    assert_eq!(refused(&mut ws).await, "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_job_or_model_of_another_workspace_is_not_found() {
    let (fixture, base, job_id) = started().await;
    let other = fixture.app.other_workspace("other").await;
    let mut ws = subscribe(&base, Some(&other), json!({ "jobId": job_id })).await;
    assert_eq!(refused(&mut ws).await, "NOT_FOUND");
    let model = json!({ "modelId": fixture.model_id });
    let mut ws = subscribe(&base, Some(&other), model).await;
    assert_eq!(refused(&mut ws).await, "NOT_FOUND");
}

#[tokio::test]
async fn a_subscriber_on_one_replica_sees_a_change_made_by_another() {
    let fixture = Fixture::new(1_000).await;
    if !fixture.app.database_url.starts_with("postgres") {
        // Replicas share Postgres; one SQLite file is served by one process, whose own bus
        // already hears every change (the tests above).
        return;
    }
    fixture.blocks(10, None).await;
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    let job_id = job["id"].as_str().expect("id").to_owned();
    let replica = crate::cli::Server::start(&fixture.app.database_url);
    let base = format!("http://{}", replica.address);
    let mut ws = subscribe(&base, Some(&fixture.app.admin), json!({ "jobId": job_id })).await;
    let first = next_update(&mut ws, "next").await;
    assert_eq!(first["job"]["status"], "VALIDATING_FILES");

    // The change is made through this process; the subscriber is on the other one.
    let done = fixture.finish(&job_id).await;
    assert_eq!(done["status"], "SUCCEEDED");
    let seen = updates_until(&mut ws, "next", "SUCCEEDED").await;
    assert!(
        seen.iter()
            .any(|u| !u["newMetrics"].as_array().is_none_or(Vec::is_empty)),
        "{seen:?}"
    );
    assert_eq!(recv(&mut ws).await["type"], "complete");
    let (status, _) = replica.stop();
    assert!(status.success());
}

/// SQL statements one refresh of a running job costs in all, the fan-out of the change to
/// `subscribers` subscribers of the job included.
async fn statements_for_one_change(subscribers: usize) -> usize {
    let (fixture, base, job_id) = started().await;
    let app = &fixture.app;
    let mut clients = Vec::new();
    for _ in 0..subscribers {
        let mut ws = subscribe(&base, Some(&app.admin), json!({ "jobId": job_id })).await;
        next_update(&mut ws, "next").await;
        clients.push(ws);
    }
    fixture.emulator.advance(5);
    let auth = tuner::auth::authenticate(&app.db, Some(&app.admin))
        .await
        .expect("authenticate");
    app.reset_statements();
    let refresh = format!("mutation {{ refreshTrainingJob(id: \"{job_id}\") {{ status }} }}");
    let request = async_graphql::Request::new(refresh);
    let response = tuner::schema::execute(&app.schema, &app.db, auth, request).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    for ws in &mut clients {
        next_update(ws, "next").await;
    }
    app.statements()
}

#[tokio::test]
async fn a_change_is_read_once_however_many_subscribe() {
    let one = statements_for_one_change(1).await;
    let many = statements_for_one_change(12).await;
    assert_eq!(many, one, "the subscribers share one read of the change");
}

#[tokio::test]
async fn a_server_shutting_down_closes_its_subscriptions_as_going_away() {
    let app = crate::harness::TestApp::spawn().await;
    let server = crate::cli::Server::start(&app.database_url);
    let base = format!("http://{}", server.address);
    let mut ws = subscribe(&base, Some(&app.admin), json!({})).await;
    let stopping = tokio::task::spawn_blocking(move || server.stop());
    let frame = loop {
        let next = tokio::time::timeout(Duration::from_secs(10), ws.next()).await;
        match next.expect("a close within 10 s") {
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("closed without a close frame: {other:?}"),
        }
    };
    let frame = frame.expect("a close frame with a code");
    assert_eq!(u16::from(frame.code), 1001, "{frame:?}");
    let (status, _) = stopping.await.expect("stop");
    assert!(status.success());
}

#[tokio::test]
async fn a_message_over_one_mebibyte_ends_the_connection() {
    let (fixture, base, _) = started().await;
    let mut ws = subscribe(&base, Some(&fixture.app.admin), json!({})).await;
    let huge =
        json!({ "id": "2", "type": "subscribe", "payload": { "query": "x".repeat(1_100_000) } });
    // The server may already be gone while the client still writes.
    let _ = ws.send(Message::Text(huge.to_string().into())).await;
    loop {
        let next = tokio::time::timeout(Duration::from_secs(10), ws.next()).await;
        match next.expect("the connection ends within 10 s") {
            Some(Ok(Message::Text(text))) => assert!(!text.contains("\"id\":\"2\""), "{text}"),
            Some(Ok(_)) => continue,
            None | Some(Err(_)) => break,
        }
    }
}
