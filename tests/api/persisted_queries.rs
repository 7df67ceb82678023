//! Automatic Persisted Queries over real HTTP (the Apollo convention): a hash the server does
//! not know is answered `PersistedQueryNotFound`, the hash with its text runs and is kept, the
//! hash alone then runs the same document; a hash that is not the text's is refused, and a
//! document over the size limits is never kept.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::harness::{http_options, TestApp};
use crate::limits::fragment_bomb;

const QUERY: &str = "query Rules { globalRules { id text } }";

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// Posts `body` to `/graphql` with `token`; returns the status and the answer.
async fn post(base: &str, token: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON answer"))
}

fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<no code>")
}

#[tokio::test]
async fn a_hash_runs_once_the_server_has_been_sent_its_text() {
    let app = TestApp::spawn().await;
    app.create_rule("Answer in English.").await;
    let base = app.serve(http_options()).await;
    let hash = sha256_hex(QUERY);
    let hash_only = json!({ "operationName": "Rules", "extensions": persisted(&hash) });

    let (status, unknown) = post(&base, &app.admin, hash_only.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(unknown["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(code(&unknown), "PERSISTED_QUERY_NOT_FOUND");

    let with_text = json!({ "query": QUERY, "extensions": persisted(&hash) });
    let (_, first) = post(&base, &app.admin, with_text).await;
    assert!(first.get("errors").is_none(), "{first}");
    assert_eq!(
        first["data"]["globalRules"][0]["text"],
        "Answer in English."
    );

    let (status, again) = post(&base, &app.admin, hash_only).await;
    assert_eq!(status, 200);
    assert_eq!(again, first);
}

#[tokio::test]
async fn a_hash_that_is_not_the_texts_is_refused_and_not_kept() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    let other = sha256_hex("{ viewer { role } }");
    let body = json!({ "query": QUERY, "extensions": persisted(&other) });
    let (_, refused) = post(&base, &app.admin, body).await;
    assert_eq!(code(&refused), "BAD_USER_INPUT");
    assert_eq!(
        refused["errors"][0]["extensions"]["field"],
        "extensions.persistedQuery"
    );
    assert!(refused["data"].is_null(), "{refused}");

    let (_, unknown) = post(
        &base,
        &app.admin,
        json!({ "extensions": persisted(&other) }),
    )
    .await;
    assert_eq!(code(&unknown), "PERSISTED_QUERY_NOT_FOUND");
}

#[tokio::test]
async fn a_document_over_the_size_limits_is_refused_and_its_hash_stays_unknown() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    let bomb = fragment_bomb("query", "Query", 30, "__typename");
    let hash = sha256_hex(&bomb);
    let body = json!({ "query": bomb, "extensions": persisted(&hash) });
    let (_, refused) = post(&base, &app.admin, body).await;
    assert_eq!(code(&refused), "BAD_USER_INPUT");
    assert!(refused["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("too complex")));

    let (_, unknown) = post(&base, &app.admin, json!({ "extensions": persisted(&hash) })).await;
    assert_eq!(code(&unknown), "PERSISTED_QUERY_NOT_FOUND");
}

#[tokio::test]
async fn other_versions_and_malformed_hashes_are_refused() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    let hash = sha256_hex(QUERY);
    let version_2 = json!({ "persistedQuery": { "version": 2, "sha256Hash": hash } });
    let (_, answer) = post(
        &base,
        &app.admin,
        json!({ "query": QUERY, "extensions": version_2 }),
    )
    .await;
    assert_eq!(code(&answer), "BAD_USER_INPUT");
    assert!(answer["errors"][0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("version 1")));

    let (_, answer) = post(&base, &app.admin, json!({ "extensions": persisted("abc") })).await;
    assert_eq!(code(&answer), "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_query_without_persisted_query_runs_as_before_however_often_it_is_sent() {
    let app = TestApp::spawn().await;
    app.create_rule("Be brief.").await;
    let base = app.serve(http_options()).await;
    let mut answers = Vec::new();
    for _ in 0..3 {
        answers.push(post(&base, &app.admin, json!({ "query": QUERY })).await.1);
    }
    assert_eq!(answers[0]["data"]["globalRules"][0]["text"], "Be brief.");
    assert!(answers.iter().all(|answer| answer == &answers[0]));
    // Variables still apply to a document read from the cache.
    let query = "query($first: Int) { trainingBlocks(first: $first) { totalCount } }";
    for first in [1, 2] {
        let body = json!({ "query": query, "variables": { "first": first } });
        let (_, answer) = post(&base, &app.admin, body).await;
        assert_eq!(
            answer["data"]["trainingBlocks"]["totalCount"], 0,
            "{answer}"
        );
    }
}
