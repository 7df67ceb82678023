//! `importTrainingBlocks`: uploads over real HTTP become blocks, all or nothing.

use serde_json::json;
use tuner::auth::Role;
use tuner::error::Error;
use tuner::transfer::import::{self, ImportOptions, MAX_IMPORT_BLOCKS};
use tuner::transfer::ImportError;

use super::{block_count, blocks, chat_line, post_upload, upload, Upload};
use crate::harness::{http_options, TestApp};

/// Line 1 has global rules mixed with its own, and a `weight` on an assistant message; line 2
/// is blank; line 3's system message holds only a global rule.
fn sample_file() -> String {
    let first = json!({ "messages": [
        { "role": "system", "content": "Be brief.\nMention the order number.\n  Be kind.  \n" },
        { "role": "user", "content": "Where is my order?" },
        { "role": "assistant", "content": "It ships today.", "weight": 1 },
        { "role": "user", "content": "Thanks" },
        { "role": "assistant", "content": "You're welcome.", "weight": 0 },
    ]});
    let third = chat_line(Some("Be kind."), &[("Hi", "Hello!")]);
    format!("{first}\n   \n{third}\n")
}

#[tokio::test]
async fn an_uploaded_file_becomes_one_not_trained_block_per_line() {
    let app = TestApp::spawn().await;
    app.create_rule("Be brief.").await;
    app.create_rule("Be kind.").await;
    let base = app.serve(http_options()).await;
    let options = Upload {
        tag: Some("imported"),
        ..Upload::default()
    };
    let reply = upload(&base, &app.admin, &sample_file(), options).await;
    assert_eq!(
        reply.data()["importTrainingBlocks"],
        json!({ "dryRun": false, "blocks": 2, "exchanges": 3 })
    );
    let blocks = blocks(&app, &app.admin).await;
    assert_eq!(
        blocks,
        vec![
            json!({
                "status": "NOT_TRAINED", "tag": "imported",
                "additionalRules": "Mention the order number.",
                "exchanges": [
                    { "prompt": "Where is my order?", "response": "It ships today." },
                    { "prompt": "Thanks", "response": "You're welcome." },
                ],
            }),
            json!({
                "status": "NOT_TRAINED", "tag": "imported", "additionalRules": null,
                "exchanges": [{ "prompt": "Hi", "response": "Hello!" }],
            }),
        ]
    );
}

#[tokio::test]
async fn without_global_rules_the_whole_system_message_becomes_additional_rules() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    let line = chat_line(Some("Be brief.\n\nSay hi."), &[("Q", "A")]);
    let reply = upload(&base, &app.admin, &line, Upload::default()).await;
    assert_eq!(reply.data()["importTrainingBlocks"]["blocks"], 1);
    let blocks = blocks(&app, &app.admin).await;
    assert_eq!(blocks[0]["additionalRules"], "Be brief.\nSay hi.");
    assert_eq!(blocks[0]["tag"], json!(null));
}

#[tokio::test]
async fn a_dry_run_checks_the_file_and_imports_nothing() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    let options = Upload {
        dry_run: Some(true),
        ..Upload::default()
    };
    let reply = upload(&base, &app.admin, &sample_file(), options).await;
    assert_eq!(
        reply.data()["importTrainingBlocks"],
        json!({ "dryRun": true, "blocks": 2, "exchanges": 3 })
    );
    assert_eq!(block_count(&app, &app.admin).await, 0);
}

#[tokio::test]
async fn importing_needs_an_editor_token() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    let file = sample_file();
    let reader = app.token(Role::Reader).await;
    let denied = upload(&base, &reader, &file, Upload::default()).await;
    assert_eq!(denied.code(), "FORBIDDEN");
    let anonymous = upload(&base, "", &file, Upload::default()).await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
    assert_eq!(block_count(&app, &app.admin).await, 0);
    let editor = app.token(Role::Editor).await;
    let allowed = upload(&base, &editor, &file, Upload::default()).await;
    assert_eq!(allowed.data()["importTrainingBlocks"]["blocks"], 2);
}

#[tokio::test]
async fn an_upload_larger_than_the_body_limit_is_refused() {
    let app = TestApp::spawn().await;
    let mut options = http_options();
    options.body_limit = 4 * 1024;
    let base = app.serve(options).await;
    let line = chat_line(None, &[("Q", &"a".repeat(2_000))]);
    let small = upload(&base, &app.admin, &line, Upload::default()).await;
    assert_eq!(small.data()["importTrainingBlocks"]["blocks"], 1);
    let big = format!("{line}\n{line}\n{line}\n");
    let response = post_upload(&base, &app.admin, big.as_bytes(), Upload::default()).await;
    assert_eq!(response.status(), 413);
    assert_eq!(block_count(&app, &app.admin).await, 1);
}

#[tokio::test]
async fn an_import_holds_at_most_100000_blocks() {
    let app = TestApp::spawn().await;
    let line = chat_line(None, &[("Q", "A")]);
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("big.jsonl");
    let limit = usize::try_from(MAX_IMPORT_BLOCKS).expect("limit");
    std::fs::write(&path, format!("{line}\n").repeat(limit)).expect("write");
    let dry_run = ImportOptions {
        dry_run: true,
        tag: None,
    };
    let run = |options: ImportOptions| {
        let (db, path) = (app.db.clone(), path.clone());
        async move {
            let file = tokio::fs::File::open(&path).await.expect("open");
            import::import(&db, app.workspace_id, file, &options, |_, _| {}).await
        }
    };
    let at_limit = run(dry_run.clone())
        .await
        .expect("100,000 blocks are accepted");
    assert_eq!(at_limit.blocks, MAX_IMPORT_BLOCKS);
    std::fs::write(&path, format!("{line}\n").repeat(limit + 1)).expect("write");
    match run(ImportOptions::default()).await {
        Err(ImportError::Failed(Error::BadInput { field, message })) => {
            assert_eq!(field, "file");
            assert!(message.contains("more than 100000"), "{message}");
        }
        other => panic!("expected BAD_USER_INPUT on file, got {other:?}"),
    }
    assert_eq!(block_count(&app, &app.admin).await, 0);
}
