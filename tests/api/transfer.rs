//! Import and export of training blocks as OpenAI chat JSONL: GraphQL uploads over real HTTP
//! multipart, the streamed HTTP export, and the `tuner import` / `tuner export` commands.

mod cli;
mod export;
mod import;
mod problems;

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::harness::{Reply, TestApp};

const IMPORT: &str = "mutation($file: Upload!, $dryRun: Boolean, $tag: String) { \
    importTrainingBlocks(file: $file, dryRun: $dryRun, tag: $tag) { dryRun blocks exchanges } }";

/// One JSONL line exactly as the export writes it: the system message (if any), then the
/// exchanges as alternating user and assistant messages.
pub fn chat_line(system: Option<&str>, exchanges: &[(&str, &str)]) -> String {
    let mut messages = Vec::new();
    if let Some(system) = system {
        messages.push(message("system", system));
    }
    for (prompt, response) in exchanges {
        messages.push(message("user", prompt));
        messages.push(message("assistant", response));
    }
    format!("{{\"messages\":[{}]}}", messages.join(","))
}

fn message(role: &str, content: &str) -> String {
    let content = serde_json::to_string(content).expect("json string");
    format!("{{\"role\":\"{role}\",\"content\":{content}}}")
}

/// Options of an upload.
#[derive(Default)]
pub struct Upload<'a> {
    pub dry_run: Option<bool>,
    pub tag: Option<&'a str>,
}

/// Sends `file` to `importTrainingBlocks` as a GraphQL multipart request (`operations`, `map`,
/// then the file part) with `token` (empty: none); returns the raw HTTP response.
pub async fn post_upload(
    base: &str,
    token: &str,
    file: &[u8],
    options: Upload<'_>,
) -> reqwest::Response {
    let operations = json!({
        "query": IMPORT,
        "variables": { "file": null, "dryRun": options.dry_run, "tag": options.tag },
    });
    let part = Part::bytes(file.to_vec())
        .file_name("blocks.jsonl")
        .mime_str("application/jsonl")
        .expect("mime");
    let form = Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.file"] }).to_string())
        .part("0", part);
    let mut request = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .multipart(form);
    if !token.is_empty() {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("upload")
}

/// Uploads `file` and returns the GraphQL reply.
pub async fn upload(base: &str, token: &str, file: &str, options: Upload<'_>) -> Reply {
    let response = post_upload(base, token, file.as_bytes(), options).await;
    assert_eq!(response.status(), 200, "GraphQL answers uploads with 200");
    Reply {
        body: response.json().await.expect("json"),
    }
}

/// The caller's blocks, oldest first (at most 500): status, tag, additional rules, exchanges.
pub async fn blocks(app: &TestApp, token: &str) -> Vec<Value> {
    let reply = app
        .gql(
            token,
            "{ trainingBlocks(first: 500) { nodes { status tag additionalRules \
             exchanges { prompt response } } } }",
            json!({}),
        )
        .await;
    reply.data()["trainingBlocks"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone()
}

/// How many blocks the caller's workspace holds.
pub async fn block_count(app: &TestApp, token: &str) -> u64 {
    let reply = app
        .gql(token, "{ trainingBlocks { totalCount } }", json!({}))
        .await;
    reply.data()["trainingBlocks"]["totalCount"]
        .as_u64()
        .expect("count")
}

/// `GET /export/training-blocks?{query}` with `token` (empty: none).
pub async fn get_export(base: &str, token: &str, query: &str) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(format!("{base}/export/training-blocks?{query}"));
    if !token.is_empty() {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("export")
}

/// The export's body, failing the test unless it succeeded.
pub async fn export_text(base: &str, token: &str, query: &str) -> String {
    let response = get_export(base, token, query).await;
    assert_eq!(response.status(), 200);
    response.text().await.expect("body")
}
