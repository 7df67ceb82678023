//! Training-file validation: upload-time JSON check and job-time chat-format rules.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{example, examples, spawn, MODEL};

/// Creates a job on `content`, lets validation finish and returns the job.
async fn validated(app: &crate::helpers::TestEmulator, content: &str) -> serde_json::Value {
    let file = app.upload(content).await;
    let (status, job) = app
        .create_job(json!({"model": MODEL, "training_file": file}))
        .await;
    assert_eq!(status, StatusCode::OK, "{job}");
    assert_eq!(job["status"], "validating_files");
    app.emulator.advance(2);
    app.job(job["id"].as_str().unwrap()).await
}

/// Ten good examples with `bad` as line `line`.
fn with_bad_line(line: usize, bad: &str) -> String {
    let mut lines: Vec<String> = (0..10).map(example).collect();
    lines.insert(line - 1, bad.to_owned());
    lines.join("\n")
}

#[tokio::test]
async fn fewer_than_ten_examples_fail_with_invalid_n_examples() {
    let app = spawn().await;
    let job = validated(&app, &examples(3)).await;
    assert_eq!(job["status"], "failed");
    assert_eq!(job["error"]["code"], "invalid_n_examples");
    assert_eq!(job["error"]["param"], "training_file");
    assert_eq!(
        job["error"]["message"],
        "Training file has 3 example(s), but must have at least 10 examples"
    );
    assert!(job["finished_at"].is_i64());
    let events = app.events(job["id"].as_str().unwrap()).await;
    assert_eq!(events[0]["level"], "error");
}

#[tokio::test]
async fn an_unsupported_role_fails_naming_the_line() {
    let app = spawn().await;
    let bad = r#"{"messages":[{"role":"user","content":"hi"},{"role":"bot","content":"yo"}]}"#;
    let job = validated(&app, &with_bad_line(3, bad)).await;
    assert_eq!(job["status"], "failed");
    assert_eq!(job["error"]["code"], "invalid_file_format");
    let message = job["error"]["message"].as_str().unwrap();
    assert!(message.contains("Line 3"), "{message}");
    assert!(message.contains("`bot`"), "{message}");
}

#[tokio::test]
async fn an_example_without_an_assistant_message_fails_naming_the_line() {
    let app = spawn().await;
    let bad = r#"{"messages":[{"role":"system","content":"s"},{"role":"user","content":"hi"}]}"#;
    let job = validated(&app, &with_bad_line(2, bad)).await;
    assert_eq!(job["error"]["code"], "invalid_file_format");
    let message = job["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Line 2") && message.contains("assistant"),
        "{message}"
    );
}

#[tokio::test]
async fn non_string_content_and_non_object_lines_fail_the_job() {
    let app = spawn().await;
    let bad_content =
        r#"{"messages":[{"role":"user","content":5},{"role":"assistant","content":"x"}]}"#;
    let job = validated(&app, &with_bad_line(5, bad_content)).await;
    assert!(job["error"]["message"].as_str().unwrap().contains("Line 5"));
    let job = validated(&app, &with_bad_line(1, "[1, 2, 3]")).await;
    assert_eq!(job["error"]["code"], "invalid_file_format");
    assert!(job["error"]["message"].as_str().unwrap().contains("Line 1"));
}

#[tokio::test]
async fn a_line_that_is_not_json_is_rejected_at_upload_naming_the_line() {
    let app = spawn().await;
    let (status, body) = app.upload_as(&with_bad_line(4, "{oops"), "fine-tune").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["param"], "file");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("line 4"), "{message}");
}
