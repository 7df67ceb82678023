//! Updating a training block: patch semantics, whole-list exchanges, drafts.

use serde_json::{json, Value};

use super::*;
use crate::harness::TestApp;

#[tokio::test]
async fn an_update_replaces_the_exchanges_as_a_whole() {
    let app = TestApp::spawn().await;
    let id = app
        .create_block(&[("a", "1"), ("b", "2"), ("c", "3")], None)
        .await;
    let updated = update(
        &app,
        &id,
        json!({ "exchanges": exchanges(&[("new", "only one")]) }),
    )
    .await;
    let expected = exchanges(&[("new", "only one")]);
    assert_eq!(updated.data()["updateTrainingBlock"]["exchanges"], expected);
    let stored = read(&app, &id).await;
    assert_eq!(stored.data()["trainingBlock"]["exchanges"], expected);

    let reply = update(
        &app,
        &id,
        json!({ "exchanges": exchanges(&[("x", "1"), ("y", "2")]) }),
    )
    .await;
    let expected = exchanges(&[("x", "1"), ("y", "2")]);
    assert_eq!(reply.data()["updateTrainingBlock"]["exchanges"], expected);
    assert_eq!(
        read(&app, &id).await.data()["trainingBlock"]["exchanges"],
        expected
    );
}

#[tokio::test]
async fn an_update_keeps_the_fields_it_omits() {
    let app = TestApp::spawn().await;
    let created = create_ok(
        &app,
        json!({ "status": "TRAINED", "tag": "faq", "notes": "old", "additionalRules": "Rule.",
                "exchanges": exchanges(&[("p1", "r1"), ("p2", "r2")]) }),
    )
    .await;
    let id = created["id"].as_str().expect("id");
    let reply = update(&app, id, json!({ "notes": "new" })).await;
    let updated = reply.data()["updateTrainingBlock"].clone();
    for field in [
        "id",
        "status",
        "tag",
        "additionalRules",
        "exchanges",
        "createdAt",
    ] {
        assert_eq!(updated[field], created[field], "{field} is kept");
    }
    assert_eq!(updated["notes"], "new");
    assert_eq!(read(&app, id).await.data()["trainingBlock"], updated);
    let created_at = timestamp(&created["createdAt"]);
    assert!(timestamp(&updated["updatedAt"]) >= created_at);
}

fn timestamp(value: &Value) -> chrono::DateTime<chrono::Utc> {
    value
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.to_utc())
        .unwrap_or_else(|| panic!("not a timestamp: {value}"))
}

#[tokio::test]
async fn null_clears_the_tag_notes_and_additional_rules() {
    let app = TestApp::spawn().await;
    let created = create_ok(
        &app,
        json!({ "tag": "faq", "notes": "n", "additionalRules": "r", "exchanges": exchanges(&[("p", "r")]) }),
    )
    .await;
    let id = created["id"].as_str().expect("id");
    let reply = update(
        &app,
        id,
        json!({ "tag": null, "notes": null, "additionalRules": null }),
    )
    .await;
    let updated = &reply.data()["updateTrainingBlock"];
    for field in ["tag", "notes", "additionalRules"] {
        assert_eq!(updated[field], Value::Null, "{field} is cleared");
    }
    assert_eq!(updated["exchanges"], created["exchanges"]);
    assert_eq!(&read(&app, id).await.data()["trainingBlock"], updated);
}

#[tokio::test]
async fn an_invalid_update_changes_nothing() {
    let app = TestApp::spawn().await;
    let id = app.create_block(&[("p", "r")], Some("faq")).await;
    let before = snapshot(&app).await;
    let valid = exchanges(&[("new", "new")]);
    let cases = [
        (json!({ "exchanges": [] }), "exchanges"),
        (
            json!({ "exchanges": exchanges(&[("a", "b"); 4]) }),
            "exchanges",
        ),
        (
            json!({ "exchanges": exchanges(&[("new", " ")]) }),
            "exchanges[0].response",
        ),
        (json!({ "exchanges": valid, "tag": "t".repeat(65) }), "tag"),
        (json!({ "exchanges": valid, "tag": "a\nb" }), "tag"),
        (
            json!({ "exchanges": valid, "notes": "n".repeat(10_001) }),
            "notes",
        ),
        (
            json!({ "status": "TRAINED", "exchanges": exchanges(&[("", "r")]) }),
            "exchanges[0].prompt",
        ),
    ];
    for (input, field) in cases {
        let reply = update(&app, &id, input.clone()).await;
        assert_bad_input(&reply, field);
        assert_eq!(snapshot(&app).await, before, "{input} changed nothing");
    }
}

#[tokio::test]
async fn a_draft_is_checked_when_it_becomes_not_trained() {
    let app = TestApp::spawn().await;
    let draft = create_ok(
        &app,
        json!({ "status": "DRAFT", "exchanges": exchanges(&[("p", "r"), ("unanswered", "")]) }),
    )
    .await;
    let id = draft["id"].as_str().expect("id");
    let before = snapshot(&app).await;
    for status in ["NOT_TRAINED", "TRAINED"] {
        let reply = update(&app, id, json!({ "status": status })).await;
        assert_bad_input(&reply, "exchanges[1].response");
    }
    assert_eq!(snapshot(&app).await, before, "still an incomplete DRAFT");

    // Completing the exchanges in the same update lets it through.
    let complete = exchanges(&[("p", "r"), ("unanswered", "answered")]);
    let reply = update(
        &app,
        id,
        json!({ "status": "NOT_TRAINED", "exchanges": complete }),
    )
    .await;
    assert_eq!(reply.data()["updateTrainingBlock"]["status"], "NOT_TRAINED");
    assert_eq!(reply.data()["updateTrainingBlock"]["exchanges"], complete);
}

#[tokio::test]
async fn a_draft_may_be_edited_while_incomplete() {
    let app = TestApp::spawn().await;
    let draft = create_ok(
        &app,
        json!({ "status": "DRAFT", "exchanges": exchanges(&[("p", "")]) }),
    )
    .await;
    let id = draft["id"].as_str().expect("id");
    let reply = update(
        &app,
        id,
        json!({ "exchanges": exchanges(&[("p", ""), ("", "r")]), "notes": "wip" }),
    )
    .await;
    let updated = &reply.data()["updateTrainingBlock"];
    assert_eq!(updated["status"], "DRAFT");
    assert_eq!(updated["exchanges"], exchanges(&[("p", ""), ("", "r")]));
    // A complete block may go back to DRAFT and then be emptied.
    let done = app.create_block(&[("p", "r")], None).await;
    let reply = update(
        &app,
        &done,
        json!({ "status": "DRAFT", "exchanges": exchanges(&[("p", "")]) }),
    )
    .await;
    assert_eq!(reply.data()["updateTrainingBlock"]["status"], "DRAFT");
}
