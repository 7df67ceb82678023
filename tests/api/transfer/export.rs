//! `GET /export/training-blocks`: streamed JSONL, filtered, EDITOR only; an export imports back.

use serde_json::{json, Value};
use tuner::auth::Role;
use tuner::transfer::export::EXPORT_PAGE_SIZE;

use super::{blocks, chat_line, export_text, get_export, upload, Upload};
use crate::harness::{http_options, TestApp};

async fn create_block_with_rules(app: &TestApp, prompt: &str, rules: &str) {
    let reply = app
        .admin_gql(
            "mutation($input: CreateTrainingBlockInput!) { createTrainingBlock(input: $input) { id } }",
            json!({ "input": {
                "additionalRules": rules,
                "exchanges": [{ "prompt": prompt, "response": "Sure." }],
            } }),
        )
        .await;
    reply.data();
}

#[tokio::test]
async fn the_export_streams_each_block_as_a_chat_line_with_its_system_prompt() {
    let app = TestApp::spawn().await;
    app.create_rule("Be brief.").await;
    create_block_with_rules(&app, "Hi", "Say hello.\n\nSign off.").await;
    app.create_block(&[("Q1", "A1"), ("Q2", "A2")], None).await;
    let base = app.serve(http_options()).await;
    let editor = app.token(Role::Editor).await;
    let response = get_export(&base, &editor, "").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/x-ndjson",
        "JSONL content type"
    );
    let body = response.text().await.expect("body");
    assert_eq!(
        body,
        concat!(
            r#"{"messages":[{"role":"system","content":"Be brief.\nSay hello.\nSign off."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Sure."}]}"#,
            "\n",
            r#"{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Q1"},{"role":"assistant","content":"A1"},{"role":"user","content":"Q2"},{"role":"assistant","content":"A2"}]}"#,
            "\n",
        )
    );
}

#[tokio::test]
async fn the_export_filters_by_status_and_tag() {
    let app = TestApp::spawn().await;
    let trained = app.create_block(&[("trained a", "A")], Some("a")).await;
    app.create_block(&[("draftless a", "A")], Some("a")).await;
    app.create_block(&[("other b", "A")], Some("b")).await;
    let reply = app
        .admin_gql(
            "mutation($ids: [ID!]!) { setTrainingBlocksStatus(ids: $ids, status: TRAINED) }",
            json!({ "ids": [trained] }),
        )
        .await;
    reply.data();
    let base = app.serve(http_options()).await;
    let prompts = |text: String| -> Vec<String> {
        text.lines()
            .map(|line| {
                let value: Value = serde_json::from_str(line).expect("json line");
                value["messages"][0]["content"]
                    .as_str()
                    .expect("prompt")
                    .to_owned()
            })
            .collect()
    };
    let cases = [
        ("", vec!["trained a", "draftless a", "other b"]),
        ("status=TRAINED", vec!["trained a"]),
        ("tag=a", vec!["trained a", "draftless a"]),
        ("status=not_trained&tag=a", vec!["draftless a"]),
        ("status=DRAFT", vec![]),
    ];
    for (query, expected) in cases {
        let got = prompts(export_text(&base, &app.admin, query).await);
        assert_eq!(got, expected, "?{query}");
    }
}

#[tokio::test]
async fn the_export_needs_an_editor_token() {
    let app = TestApp::spawn().await;
    app.create_block(&[("Q", "A")], None).await;
    let base = app.serve(http_options()).await;
    let reader = app.token(Role::Reader).await;
    let cases = [
        ("", 401, "UNAUTHENTICATED"),
        ("tnr_not-a-real-token", 401, "UNAUTHENTICATED"),
        (reader.as_str(), 403, "FORBIDDEN"),
    ];
    for (token, status, code) in cases {
        let response = get_export(&base, token, "").await;
        assert_eq!(response.status(), status, "{code}");
        let body: Value = response.json().await.expect("json error body");
        assert_eq!(body["error"]["code"], code);
        assert!(body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
}

#[tokio::test]
async fn an_unknown_status_is_a_bad_request_naming_the_statuses() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    let response = get_export(&base, &app.admin, "status=DONE").await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("json");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("NOT_TRAINED, TRAINED or DRAFT"),
        "{message}"
    );
}

#[tokio::test]
async fn the_export_holds_only_the_callers_workspace() {
    let app = TestApp::spawn().await;
    app.create_block(&[("mine", "A")], None).await;
    let other = app.other_workspace("other").await;
    let base = app.serve(http_options()).await;
    assert_eq!(export_text(&base, &other, "").await, "");
    let mine = export_text(&base, &app.admin, "").await;
    assert_eq!(mine.lines().count(), 1);
}

/// Lines in the export's exact format, with 1 to 3 exchanges, some additional rules, and text
/// that needs escaping.
fn generated_file(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| {
            let system = match i % 3 {
                0 => "Be brief.\nBe kind.".to_owned(),
                1 => format!("Be brief.\nBe kind.\nCase {i}: quote \"exactly\".\nSign off."),
                _ => format!("Be brief.\nBe kind.\nÉcrire en français, n° {i}."),
            };
            let prompt = format!("Question {i}\nwith a second line\tand a tab");
            let turns = vec![(prompt.as_str(), "Réponse ✓"); i % 3 + 1];
            chat_line(Some(&system), &turns)
        })
        .collect()
}

#[tokio::test]
async fn an_export_imported_into_another_workspace_round_trips_the_blocks() {
    let app = TestApp::spawn().await;
    let other = app.other_workspace("other").await;
    for token in [&app.admin, &other] {
        for rule in ["Be brief.", "Be kind."] {
            let create = "mutation($text: String!) { createGlobalRule(text: $text) { id } }";
            app.gql(token, create, json!({ "text": rule })).await.data();
        }
    }
    let base = app.serve(http_options()).await;
    // More than two export pages and more than two insert batches.
    let count = usize::try_from(EXPORT_PAGE_SIZE).expect("size") * 5 + 3;
    let lines = generated_file(count);
    let file = lines.join("\n") + "\n";
    let imported = upload(&base, &app.admin, &file, Upload::default()).await;
    assert_eq!(imported.data()["importTrainingBlocks"]["blocks"], count);
    let exported = export_text(&base, &app.admin, "").await;
    assert_eq!(
        exported, file,
        "the export writes back the imported lines, in order"
    );
    let reimported = upload(&base, &other, &exported, Upload::default()).await;
    assert_eq!(reimported.data()["importTrainingBlocks"]["blocks"], count);
    assert_eq!(export_text(&base, &other, "").await, exported);
    let (first_mine, first_theirs) = (blocks(&app, &app.admin).await, blocks(&app, &other).await);
    assert_eq!(first_mine, first_theirs);
    assert_eq!(
        first_theirs[1]["additionalRules"],
        "Case 1: quote \"exactly\".\nSign off."
    );
}
