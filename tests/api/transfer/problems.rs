//! Bad files: every problem is reported with its line number and nothing is imported.

use serde_json::{json, Value};

use super::{block_count, chat_line, post_upload, upload, Upload};
use crate::harness::{http_options, Reply, TestApp};

/// The `{line, message}` entries of the error's `lines` extension.
fn reported_lines(reply: &Reply) -> Vec<(u64, String)> {
    let lines = reply.body["errors"][0]["extensions"]["lines"]
        .as_array()
        .unwrap_or_else(|| panic!("expected extensions.lines, got {:#}", reply.body));
    lines
        .iter()
        .map(|entry| {
            let line = entry["line"].as_u64().expect("line");
            (line, entry["message"].as_str().expect("message").to_owned())
        })
        .collect()
}

fn user_assistant(turns: usize) -> Vec<(&'static str, &'static str)> {
    vec![("Q", "A"); turns]
}

#[tokio::test]
async fn each_kind_of_problem_is_reported_with_its_line_and_nothing_is_imported() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    let long = "x".repeat(100_001);
    let cases: Vec<(String, &str)> = vec![
        ("not json".into(), "not valid JSON"),
        (r#"{"prompt":"Q"}"#.into(), "no \"messages\" array"),
        (
            r#"{"messages":[{"role":"tool","content":"Q"}]}"#.into(),
            "messages[0] has the unknown role \"tool\"",
        ),
        (
            r#"{"messages":[{"role":"user","content":[{"type":"text","text":"Q"}]},{"role":"assistant","content":"A"}]}"#.into(),
            "messages[0].content is an array; it must be a string",
        ),
        (
            r#"{"messages":[{"role":"user","content":"Q"},{"role":"system","content":"S"},{"role":"assistant","content":"A"}]}"#.into(),
            "messages[1] is a system message; only the first message may be one",
        ),
        (
            r#"{"messages":[{"role":"user","content":"Q"},{"role":"user","content":"Q"},{"role":"assistant","content":"A"}]}"#.into(),
            "messages[1] is a second user message in a row",
        ),
        (
            r#"{"messages":[{"role":"user","content":"Q"},{"role":"assistant","content":"A"},{"role":"assistant","content":"A"}]}"#.into(),
            "messages[2] is a second assistant message in a row",
        ),
        (
            r#"{"messages":[{"role":"user","content":"Q"},{"role":"assistant","content":"A"},{"role":"user","content":"Q"}]}"#.into(),
            "ends with a user message; it must end with an assistant message",
        ),
        (
            chat_line(None, &[("  ", "A")]),
            "messages[0].content is empty",
        ),
        (
            chat_line(None, &[("Q", "a\0b")]),
            "messages[1].content must not contain NUL",
        ),
        (
            chat_line(None, &[(&long, "A")]),
            "messages[0].content is 100001 characters long; the limit is 100000",
        ),
        (
            chat_line(None, &user_assistant(4)),
            "4 exchanges; a training block holds at most 3",
        ),
    ];
    let good = chat_line(None, &[("Q", "A")]);
    let mut file = vec![good.clone()];
    file.extend(cases.iter().map(|(line, _)| line.clone()));
    file.push(good);
    let reply = upload(&base, &app.admin, &file.join("\n"), Upload::default()).await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    assert_eq!(reply.field(), "file");
    assert!(
        reply.message().contains("12 lines have problems")
            && reply.message().contains("line 2: not valid JSON"),
        "{}",
        reply.message()
    );
    let reported = reported_lines(&reply);
    assert_eq!(reported.len(), cases.len(), "{reported:#?}");
    for ((line, message), (number, (_, expected))) in reported.iter().zip((2..).zip(&cases)) {
        assert_eq!(*line, number, "{message}");
        assert!(message.contains(expected), "line {line}: {message}");
    }
    assert_eq!(block_count(&app, &app.admin).await, 0);
}

#[tokio::test]
async fn a_block_of_four_exchanges_is_refused_with_its_line_number() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    let good = chat_line(None, &[("Q", "A")]);
    let mut file = vec![good; 6];
    file.push(chat_line(None, &user_assistant(4)));
    let reply = upload(&base, &app.admin, &file.join("\n"), Upload::default()).await;
    assert!(
        reply
            .message()
            .contains("line 7: 4 exchanges; a training block holds at most 3"),
        "{}",
        reply.message()
    );
    assert_eq!(
        reply.body["errors"][0]["extensions"]["lines"],
        json!([{ "line": 7, "message": "4 exchanges; a training block holds at most 3" }])
    );
    assert_eq!(block_count(&app, &app.admin).await, 0);
}

#[tokio::test]
async fn only_the_first_100_problems_are_listed_but_all_are_counted() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    let file = "{}\n".repeat(150);
    let reply = upload(&base, &app.admin, &file, Upload::default()).await;
    let reported = reported_lines(&reply);
    assert_eq!(reported.len(), 100);
    assert_eq!(reported.last().map(|(line, _)| *line), Some(100));
    let extensions = &reply.body["errors"][0]["extensions"];
    assert_eq!(extensions["problemCount"], json!(150));
    assert!(reply.message().contains("150 lines have problems"));
}

#[tokio::test]
async fn a_line_that_is_not_utf8_is_reported_by_its_number() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    let mut file = chat_line(None, &[("Q", "A")]).into_bytes();
    file.extend_from_slice(b"\n{\"messages\":\xff}\n");
    let response = post_upload(&base, &app.admin, &file, Upload::default()).await;
    let reply = Reply {
        body: response.json::<Value>().await.expect("json"),
    };
    let reported = reported_lines(&reply);
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].0, 2);
    assert!(reported[0].1.contains("not UTF-8"), "{:?}", reported[0]);
}

#[tokio::test]
async fn an_empty_file_or_a_bad_tag_is_refused() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    let empty = upload(&base, &app.admin, "\n  \n", Upload::default()).await;
    assert_eq!((empty.code(), empty.field()), ("BAD_USER_INPUT", "file"));
    assert!(
        empty.message().contains("no examples"),
        "{}",
        empty.message()
    );
    let options = Upload {
        tag: Some("two\nlines"),
        ..Upload::default()
    };
    let line = chat_line(None, &[("Q", "A")]);
    let bad_tag = upload(&base, &app.admin, &line, options).await;
    assert_eq!((bad_tag.code(), bad_tag.field()), ("BAD_USER_INPUT", "tag"));
    assert_eq!(block_count(&app, &app.admin).await, 0);
}
