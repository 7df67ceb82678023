//! What one request may cost, over real HTTP: documents measured before they run (fragment
//! bombs, alias floods), answers capped in size, answers in the order of the query, and
//! malformed requests answered as GraphQL errors that quote little of the input.

use serde_json::{json, Value};
use tuner::app::HttpOptions;
use tuner::graphql::QueryLimits;

use crate::harness::{http_options, TestApp};

/// Posts `body` to `/graphql`; returns the status and the body's text.
async fn post_raw(base: &str, token: Option<&str>, body: String) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .header("content-type", "application/json")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// Posts a query; returns the status and the parsed answer.
async fn post(base: &str, token: Option<&str>, query: &str) -> (u16, Value) {
    let (status, text) = post_raw(base, token, json!({ "query": query }).to_string()).await;
    (status, serde_json::from_str(&text).expect("a JSON answer"))
}

fn first_code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<no code>")
}

/// An `operation` ("query" or "subscription") of `levels` fragments on `root`, each spreading
/// the previous one twice, over `leaf`.
pub(crate) fn fragment_bomb(operation: &str, root: &str, levels: usize, leaf: &str) -> String {
    let mut query = format!("{operation} {{ ...F{levels} }} fragment F0 on {root} {{ {leaf} }} ");
    for level in 1..=levels {
        let previous = level - 1;
        query.push_str(&format!(
            "fragment F{level} on {root} {{ ...F{previous} ...F{previous} }} "
        ));
    }
    query
}

/// HTTP options whose answers hold at most `bytes` of text.
fn with_answer_cap(bytes: usize) -> HttpOptions {
    HttpOptions {
        query: QueryLimits {
            max_answer_bytes: bytes,
            ..QueryLimits::default()
        },
        ..http_options()
    }
}

#[tokio::test]
async fn a_fragment_bomb_without_a_token_is_refused_before_it_runs() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    // 2^40 selections each: expanding either would never finish.
    for leaf in ["__typename", "viewer { role }"] {
        let (status, answer) = post(&base, None, &fragment_bomb("query", "Query", 40, leaf)).await;
        assert_eq!(status, 200);
        assert_eq!(first_code(&answer), "BAD_USER_INPUT", "{answer}");
        let message = answer["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("more than 5000 fields"), "{message}");
        assert!(answer["data"].is_null(), "{answer}");
    }
    // The server is still there for everyone else.
    let health = reqwest::get(format!("{base}/healthz"))
        .await
        .expect("health");
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn a_document_is_measured_with_its_aliases_against_the_field_limit() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    let aliases = |n: usize| {
        let fields: Vec<String> = (0..n).map(|i| format!("a{i}: __typename")).collect();
        format!("{{ {} }}", fields.join(" "))
    };
    let (_, answer) = post(&base, None, &aliases(5_000)).await;
    assert!(
        answer["data"]["a4999"].is_string(),
        "{:.200}",
        answer.to_string()
    );
    let (_, answer) = post(&base, None, &aliases(5_001)).await;
    assert_eq!(first_code(&answer), "BAD_USER_INPUT");
    assert!(answer["data"].is_null());
}

#[tokio::test]
async fn aliases_of_a_long_system_prompt_are_refused_as_too_costly() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    let fields: Vec<String> = (0..250).map(|i| format!("a{i}: systemPrompt")).collect();
    let query = format!("{{ {} }}", fields.join(" "));
    let (_, answer) = post(&base, Some(&app.admin), &query).await;
    assert_eq!(first_code(&answer), "BAD_USER_INPUT", "{answer}");
    let message = answer["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("complex"), "{message}");
}

#[tokio::test]
async fn an_answer_over_the_size_cap_is_replaced_by_one_error() {
    let app = TestApp::spawn().await;
    for _ in 0..10 {
        app.create_rule(&"r".repeat(2_000)).await;
    }
    let base = app.serve(with_answer_cap(64 * 1024)).await;
    // Each system prompt is ~20 KB: two fit, ten do not.
    let aliases = |n: usize| {
        let fields: Vec<String> = (0..n)
            .map(|i| format!("a{i}: systemPrompt r{i}: globalRules {{ text }}"))
            .collect();
        format!("{{ {} }}", fields.join(" "))
    };
    let (_, answer) = post(&base, Some(&app.admin), &aliases(1)).await;
    assert_eq!(answer["data"]["r0"].as_array().map(Vec::len), Some(10));
    let (status, text) = post_raw(
        &base,
        Some(&app.admin),
        json!({ "query": aliases(10) }).to_string(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(text.len() < 1_000, "the answer is not built: {:.300}", text);
    let answer: Value = serde_json::from_str(&text).expect("json");
    assert!(answer["data"].is_null(), "{answer}");
    let errors = answer["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{answer}");
    assert_eq!(first_code(&answer), "BAD_USER_INPUT");
    let message = errors[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("65536 bytes"), "{message}");
}

#[tokio::test]
async fn answers_keep_the_order_of_the_query() {
    let app = TestApp::spawn().await;
    app.create_rule("be brief").await;
    app.create_block(&[("hi", "hello")], Some("greeting")).await;
    let base = app.serve(http_options()).await;
    let page = "{ trainingBlocks(first: 5) { edges { node { tag id status } } \
                pageInfo { hasNextPage endCursor } totalCount } }";
    let (_, text) = post_raw(
        &base,
        Some(&app.admin),
        json!({ "query": page }).to_string(),
    )
    .await;
    let at = |key: &str| text.find(&format!("\"{key}\"")).expect(key);
    assert!(
        at("edges") < at("pageInfo") && at("pageInfo") < at("totalCount"),
        "{text}"
    );
    assert!(at("tag") < at("id") && at("id") < at("status"), "{text}");
    let aliases: Vec<String> = (0..40)
        .map(|i| format!("g{i}: globalRules {{ id }}"))
        .collect();
    let query = format!("{{ {} }}", aliases.join(" "));
    for _ in 0..3 {
        let (_, text) = post_raw(
            &base,
            Some(&app.admin),
            json!({ "query": query }).to_string(),
        )
        .await;
        let positions: Vec<usize> = (0..40)
            .map(|i| text.find(&format!("\"g{i}\"")).expect("alias"))
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    }
}

#[tokio::test]
async fn a_body_that_is_not_json_gets_a_graphql_error() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    for body in [r#"{"query": "#, "not json", r#"{"query": 5}"#] {
        let (status, text) = post_raw(&base, None, body.to_owned()).await;
        assert_eq!(status, 400, "{body}");
        let answer: Value = serde_json::from_str(&text).expect("a GraphQL JSON answer");
        assert_eq!(first_code(&answer), "BAD_USER_INPUT", "{text}");
        assert!(!text.contains("InvalidRequest("), "{text}");
    }
}

#[tokio::test]
async fn error_messages_quote_little_of_a_huge_input() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    let huge = "x".repeat(1_000_000);
    let body = json!({
        "query": "query($id: ID!) { trainingBlock(id: $id) { id } }",
        "variables": { "id": huge },
    });
    let (_, text) = post_raw(&base, Some(&app.admin), body.to_string()).await;
    let answer: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(first_code(&answer), "BAD_USER_INPUT", "{:.300}", text);
    assert!(text.len() < 1_000, "{:.300}…", text);
    let bad_json = format!(r#"{{"query": "{huge}"#);
    let (_, text) = post_raw(&base, None, bad_json).await;
    assert!(text.len() < 1_000, "{:.300}…", text);
}

/// An answer over the cap: no data, one `BAD_USER_INPUT` error.
#[track_caller]
fn assert_one_error_in_place_of_the_answer(answer: &Value) {
    assert!(answer["data"].is_null(), "{answer}");
    assert_eq!(
        answer["errors"].as_array().map(Vec::len),
        Some(1),
        "{answer}"
    );
    assert_eq!(first_code(answer), "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_page_whose_texts_outgrow_the_cap_is_replaced_by_one_error() {
    let app = TestApp::spawn().await;
    let long = "p".repeat(25_000);
    for _ in 0..3 {
        app.create_block(&[(&long, "short")], None).await;
    }
    let base = app.serve(with_answer_cap(64 * 1024)).await;
    // 75 KB of prompts are read (under twice the cap) and answered from memory in one pass.
    for selection in [
        "edges { node { id exchanges { prompt } } }",
        "nodes { exchanges { prompt } }",
    ] {
        let page = format!("{{ trainingBlocks(first: 10) {{ {selection} }} }}");
        let (status, text) = post_raw(
            &base,
            Some(&app.admin),
            json!({ "query": page }).to_string(),
        )
        .await;
        assert_eq!(status, 200);
        assert!(text.len() < 1_000, "the answer is not sent: {:.300}", text);
        assert_one_error_in_place_of_the_answer(&serde_json::from_str(&text).expect("json"));
    }
    let two = "{ trainingBlocks(first: 2) { nodes { exchanges { prompt } } } }";
    let (_, answer) = post(&base, Some(&app.admin), two).await;
    assert_eq!(
        answer["data"]["trainingBlocks"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn a_page_whose_exchanges_outgrow_the_cap_is_not_loaded_whole() {
    let app = TestApp::spawn().await;
    let long = "p".repeat(40_000);
    for _ in 0..4 {
        app.create_block(&[(&long, "short")], None).await;
    }
    let base = app.serve(with_answer_cap(64 * 1024)).await;
    let page = "{ trainingBlocks(first: 10) { edges { node { id exchanges { response } } } } }";
    let (_, answer) = post(&base, Some(&app.admin), page).await;
    // Only short responses are asked for, but 160 KB of prompts (over twice the cap) would be read.
    assert_one_error_in_place_of_the_answer(&answer);
    let one = "{ trainingBlocks(first: 1) { edges { node { exchanges { prompt } } } } }";
    let (_, answer) = post(&base, Some(&app.admin), one).await;
    let prompt = &answer["data"]["trainingBlocks"]["edges"][0]["node"]["exchanges"][0]["prompt"];
    assert_eq!(
        prompt.as_str().map(str::len),
        Some(40_000),
        "{:.200}",
        answer.to_string()
    );
}
