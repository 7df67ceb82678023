//! `tuner import` and `tuner export`: the real binary on the test app's database.

use std::process::{Command, Output};

use super::{block_count, blocks, chat_line, export_text};
use crate::harness::{http_options, TestApp};

fn tuner(app: &TestApp, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tuner"))
        .args(args)
        .env("TUNER_DATABASE_URL", &app.database_url)
        .env("TUNER_LOG_FORMAT", "json")
        .output()
        .expect("run tuner")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Writes `lines` to a file in a new temporary directory.
fn jsonl_file(lines: &[String]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("blocks.jsonl");
    std::fs::write(&path, lines.join("\n")).expect("write");
    (dir, path.display().to_string())
}

fn two_blocks() -> Vec<String> {
    vec![
        chat_line(
            Some("Be brief.\nUse the customer's name."),
            &[("Hi", "Hello!")],
        ),
        chat_line(None, &[("Q1", "A1"), ("Q2", "A2")]),
    ]
}

#[tokio::test]
async fn tuner_import_imports_a_file_and_prints_a_one_line_summary() {
    let app = TestApp::spawn().await;
    app.create_rule("Be brief.").await;
    let (_dir, path) = jsonl_file(&two_blocks());
    let output = tuner(
        &app,
        &["import", &path, "--workspace", "test", "--tag", "cli"],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.contains("imported 2 training blocks (3 exchanges)") && stdout.contains("\"test\""),
        "{stdout}"
    );
    let blocks = blocks(&app, &app.admin).await;
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0]["additionalRules"], "Use the customer's name.");
    assert!(blocks.iter().all(|b| b["tag"] == "cli"));
}

#[tokio::test]
async fn tuner_import_dry_run_checks_the_file_and_imports_nothing() {
    let app = TestApp::spawn().await;
    let (_dir, path) = jsonl_file(&two_blocks());
    let output = tuner(&app, &["import", &path, "--workspace", "test", "--dry-run"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("dry run") && stdout.contains("2 training blocks"),
        "{stdout}"
    );
    assert_eq!(block_count(&app, &app.admin).await, 0);
}

#[tokio::test]
async fn tuner_import_lists_the_bad_lines_and_exits_non_zero() {
    let app = TestApp::spawn().await;
    let mut lines = two_blocks();
    lines.insert(1, "{\"messages\": 3}".to_owned());
    lines.push(chat_line(None, &[("Q", "A"); 4]));
    let (_dir, path) = jsonl_file(&lines);
    let output = tuner(&app, &["import", &path, "--workspace", "test"]);
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("line 2: no \"messages\" array")
            && stderr.contains("line 4: 4 exchanges; a training block holds at most 3")
            && stderr.contains("nothing was imported"),
        "{stderr}"
    );
    assert_eq!(block_count(&app, &app.admin).await, 0);
}

#[tokio::test]
async fn tuner_import_names_a_missing_workspace_or_file() {
    let app = TestApp::spawn().await;
    let (_dir, path) = jsonl_file(&two_blocks());
    let output = tuner(&app, &["import", &path, "--workspace", "nope"]);
    assert!(!output.status.success());
    assert!(
        text(&output.stderr).contains("nope"),
        "{}",
        text(&output.stderr)
    );
    let output = tuner(&app, &["import", "/no/such.jsonl", "--workspace", "test"]);
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("cannot open /no/such.jsonl"), "{stderr}");
}

#[tokio::test]
async fn tuner_export_writes_what_the_http_export_serves() {
    let app = TestApp::spawn().await;
    app.create_rule("Be brief.").await;
    app.create_block(&[("tagged", "A")], Some("x")).await;
    app.create_block(&[("untagged", "A")], None).await;
    let base = app.serve(http_options()).await;
    let everything = export_text(&base, &app.admin, "").await;
    let stdout = tuner(&app, &["export", "--workspace", "test"]);
    assert!(stdout.status.success(), "{}", text(&stdout.stderr));
    assert_eq!(text(&stdout.stdout), everything);
    assert_eq!(everything.lines().count(), 2);

    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("out.jsonl").display().to_string();
    let args = [
        "export",
        "--workspace",
        "test",
        "--tag",
        "x",
        "--status",
        "not_trained",
        "-o",
        &path,
    ];
    let to_file = tuner(&app, &args);
    assert!(to_file.status.success(), "{}", text(&to_file.stderr));
    assert!(text(&to_file.stdout).is_empty(), "the file gets the lines");
    assert!(text(&to_file.stderr).contains("exported 1 training blocks"));
    let written = std::fs::read_to_string(&path).expect("output file");
    assert_eq!(written, export_text(&base, &app.admin, "tag=x").await);
    assert_eq!(written.lines().count(), 1);
}

#[tokio::test]
async fn tuner_export_refuses_an_unknown_status() {
    let app = TestApp::spawn().await;
    let output = tuner(&app, &["export", "--workspace", "test", "--status", "done"]);
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("NOT_TRAINED, TRAINED or DRAFT"), "{stderr}");
}
