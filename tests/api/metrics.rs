//! `GET /metrics`: what a scrape shows after requests, provider calls, sockets and jobs, and who
//! may scrape.

use std::time::Duration;

use serde_json::{json, Value};
use tuner::app::{self, AppState, HttpOptions, MetricsToken};

use crate::chat::{ask, Chat};
use crate::harness::{http_options, TestApp};
use crate::subscriptions::{connect, recv, send, TRANSPORT_WS};
use crate::training_jobs::Fixture;

const TOKEN: &str = "metrics-secret-1";

/// Serves `app` with `/metrics` behind [`TOKEN`]; the base URL.
pub async fn serve(app: &TestApp) -> String {
    app.serve(HttpOptions {
        metrics_token: MetricsToken::new(TOKEN),
        ..http_options()
    })
    .await
}

/// A scrape of `base` with [`TOKEN`].
pub async fn scrape(base: &str) -> String {
    let response = reqwest::Client::new()
        .get(format!("{base}/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("scrape");
    assert_eq!(response.status(), 200);
    response.text().await.expect("text")
}

/// The value of the sample `series` (name and labels exactly as exposed); 0 when absent.
pub fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |value| value.trim().parse().expect("a number"))
}

/// Posts a GraphQL request with `token`.
async fn post(base: &str, token: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("post");
    response.json().await.expect("json")
}

#[tokio::test]
async fn a_request_counts_under_its_operation_name_and_outcome() {
    let app = TestApp::spawn().await;
    let base = serve(&app).await;
    let ok = "tuner_graphql_requests_total{operation=\"ListRules\",outcome=\"ok\"}";
    let timed = "tuner_graphql_request_duration_seconds_count{operation=\"ListRules\"}";
    let broken = "tuner_graphql_requests_total{operation=\"Broken\",outcome=\"BAD_USER_INPUT\"}";
    let before = scrape(&base).await;
    assert_eq!(sample(&before, ok), 0.0);

    let query = "query ListRules { globalRules { id } }";
    let body = json!({ "query": query, "operationName": "ListRules" });
    post(&base, &app.admin, body).await;
    // The name is read from the document when the request does not give it.
    post(&base, &app.admin, json!({ "query": query })).await;
    post(
        &base,
        &app.admin,
        json!({ "query": "query Broken { nope }" }),
    )
    .await;

    let after = scrape(&base).await;
    assert_eq!(sample(&after, ok), 2.0, "{after}");
    assert_eq!(sample(&after, timed), 2.0, "{after}");
    let all = "tuner_graphql_request_duration_seconds_bucket{le=\"+Inf\",operation=\"ListRules\"}";
    assert_eq!(sample(&after, all), 2.0, "{after}");
    assert_eq!(sample(&after, broken), 1.0, "{after}");
}

#[tokio::test]
async fn a_missing_token_and_unlimited_names_are_outcomes_too() {
    let app = TestApp::spawn().await;
    let base = serve(&app).await;
    let long_name = "A".repeat(65);
    let query = format!("query {long_name} {{ globalRules {{ id }} }}");
    let body = json!({ "query": query, "operationName": long_name });
    post(&base, "tnr_not-a-token", body).await;
    let text = scrape(&base).await;
    let series = "tuner_graphql_requests_total{operation=\"(other)\",outcome=\"UNAUTHENTICATED\"}";
    assert_eq!(sample(&text, series), 1.0, "{text}");
}

#[tokio::test]
async fn the_main_listener_asks_for_the_metrics_token() {
    let app = TestApp::spawn().await;
    let base = serve(&app).await;
    let client = reqwest::Client::new();
    let url = format!("{base}/metrics");
    let missing = client.get(&url).send().await.expect("get");
    assert_eq!(missing.status(), 401);
    let wrong = client
        .get(&url)
        .bearer_auth("guess")
        .send()
        .await
        .expect("get");
    assert_eq!(wrong.status(), 401);
    let right = client
        .get(&url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("get");
    assert_eq!(right.status(), 200);
    let content_type = right.headers()["content-type"].to_str().expect("type");
    assert!(content_type.starts_with("application/openmetrics-text"));
    assert!(right.text().await.expect("text").ends_with("# EOF\n"));

    let without_token = app.serve(http_options()).await;
    let response = client
        .get(format!("{without_token}/metrics"))
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), 404, "no token configured: no /metrics");
}

#[tokio::test]
async fn the_metrics_listener_serves_metrics_alone_without_a_token() {
    let app = TestApp::spawn().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let state = AppState::new(app.context(), &http_options());
    let router = app::metrics::router(state);
    tokio::spawn(app::serve(listener, router, std::future::pending()));
    let client = reqwest::Client::new();
    let response = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), 200);
    assert!(response
        .text()
        .await
        .expect("text")
        .contains("tuner_build_info"));
    let graphql = client
        .get(format!("{base}/graphql"))
        .send()
        .await
        .expect("get");
    assert_eq!(graphql.status(), 404);
}

#[tokio::test]
async fn provider_calls_count_under_their_provider_and_outcome() {
    let fixture = Fixture::new(0).await;
    let base = serve(&fixture.app).await;
    let test = "mutation { testProviderCredentials(provider: \"openai\") { ok } }";
    let reply = fixture.app.admin_gql(test, json!({})).await;
    assert_eq!(reply.data()["testProviderCredentials"]["ok"], true);
    let text = scrape(&base).await;
    let ok = "tuner_provider_requests_total{provider=\"openai\",outcome=\"ok\"}";
    let timed = "tuner_provider_request_duration_seconds_count{provider=\"openai\"}";
    assert!(sample(&text, ok) >= 1.0, "{text}");
    assert_eq!(sample(&text, timed), sample(&text, ok), "{text}");

    let set = "mutation($u: String) { setProviderCredentials(provider: \"openai\", apiKey: \"sk-wrong-9999\", baseUrl: $u) { provider } }";
    let url = fixture.emulator.base_url();
    fixture.app.admin_gql(set, json!({ "u": url })).await.data();
    fixture.app.admin_gql(test, json!({})).await.data();
    let text = scrape(&base).await;
    let refused = "tuner_provider_requests_total{provider=\"openai\",outcome=\"http_4xx\"}";
    assert!(sample(&text, refused) >= 1.0, "{text}");
}

#[tokio::test]
async fn training_jobs_are_counted_by_status_when_scraped() {
    let fixture = Fixture::new(1_000).await;
    let base = serve(&fixture.app).await;
    let text = scrape(&base).await;
    assert_eq!(
        sample(&text, "tuner_training_jobs{status=\"validating_files\"}"),
        0.0
    );
    assert!(
        text.contains("tuner_training_jobs{status=\"succeeded\"} 0"),
        "{text}"
    );

    fixture.blocks(10, None).await;
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    let status = job["status"].as_str().expect("status").to_lowercase();
    let text = scrape(&base).await;
    let series = format!("tuner_training_jobs{{status=\"{status}\"}}");
    assert_eq!(sample(&text, &series), 1.0, "{text}");
    assert_eq!(
        sample(&text, "tuner_training_jobs{status=\"succeeded\"}"),
        0.0
    );

    fixture.finish(job["id"].as_str().expect("id")).await;
    let text = scrape(&base).await;
    assert_eq!(sample(&text, &series), 0.0, "{text}");
    assert_eq!(
        sample(&text, "tuner_training_jobs{status=\"succeeded\"}"),
        1.0
    );
}

#[tokio::test]
async fn cache_lookups_count_hits_and_misses() {
    let app = TestApp::spawn().await;
    let base = serve(&app).await;
    let query = json!({ "query": "{ availableModels { name } }" });
    post(&base, &app.admin, query.clone()).await;
    post(&base, &app.admin, query).await;
    let text = scrape(&base).await;
    // The first request reads the list (a miss) and runs the operation, whose resolver finds
    // the list (a hit); the second is answered whole from the kept answer, after a list hit.
    for (cache, hits, misses) in [
        ("tokens", 1.0, 1.0),
        ("available_models", 2.0, 1.0),
        ("available_models_answers", 1.0, 1.0),
    ] {
        for (result, expected) in [("hit", hits), ("miss", misses)] {
            let series =
                format!("tuner_cache_lookups_total{{cache=\"{cache}\",result=\"{result}\"}}");
            assert_eq!(sample(&text, &series), expected, "{series} in\n{text}");
        }
    }
}

/// Scrapes until `series` shows `value`; fails after 10 s.
async fn wait_for(base: &str, series: &str, value: f64) {
    for _ in 0..500 {
        if sample(&scrape(base).await, series) == value {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{series} never reached {value}");
}

#[tokio::test]
async fn open_websockets_and_subscriptions_are_gauged() {
    let app = TestApp::spawn().await;
    let base = serve(&app).await;
    let mut ws = connect(&base, TRANSPORT_WS, None).await;
    let auth = format!("Bearer {}", app.admin);
    send(
        &mut ws,
        json!({ "type": "connection_init", "payload": { "authorization": auth } }),
    )
    .await;
    assert_eq!(recv(&mut ws).await["type"], "connection_ack");
    let query = "subscription { trainingJobUpdates { job { id } } }";
    send(
        &mut ws,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }),
    )
    .await;
    wait_for(&base, "tuner_subscriptions_active", 1.0).await;
    assert_eq!(
        sample(&scrape(&base).await, "tuner_websocket_connections"),
        1.0
    );

    send(&mut ws, json!({ "id": "1", "type": "complete" })).await;
    wait_for(&base, "tuner_subscriptions_active", 0.0).await;
    ws.close(None).await.expect("close");
    wait_for(&base, "tuner_websocket_connections", 0.0).await;
}

#[tokio::test]
async fn chat_requests_count_by_route_and_status_with_their_provider_call() {
    let chat = Chat::new().await;
    let base = serve(&chat.fixture.app).await;
    let provider_ok = "tuner_provider_requests_total{provider=\"openai\",outcome=\"ok\"}";
    let calls_before = sample(&scrape(&base).await, provider_ok);
    let answer = chat.post(&chat.reader, ask("support", "hello")).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(chat.get("tnr_wrong", "/v1/models").await.status(), 401);
    let text = scrape(&base).await;
    let answered = "tuner_chat_requests_total{route=\"chat_completions\",status=\"200\"}";
    assert_eq!(sample(&text, answered), 1.0, "{text}");
    let refused = "tuner_chat_requests_total{route=\"models\",status=\"401\"}";
    assert_eq!(sample(&text, refused), 1.0, "{text}");
    let timed = "tuner_chat_request_duration_seconds_count{route=\"chat_completions\"}";
    assert_eq!(sample(&text, timed), 1.0, "{text}");
    assert_eq!(sample(&text, provider_ok), calls_before + 1.0, "{text}");
}
