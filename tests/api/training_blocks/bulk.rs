//! Bulk mutations: status, tag and delete over many blocks, all or nothing.

use serde_json::{json, Value};

use super::*;
use crate::harness::TestApp;

#[tokio::test]
async fn setting_the_status_of_blocks_changes_them_all_and_returns_the_count() {
    let app = TestApp::spawn().await;
    let a = app.create_block(&[("a", "1")], None).await;
    let b = app.create_block(&[("b", "2")], None).await;
    let c = app.create_block(&[("c", "3")], None).await;
    let reply = bulk(
        &app,
        "status",
        json!({ "ids": [a, b, a], "status": "TRAINED" }),
    )
    .await;
    assert_eq!(
        reply.data()["setTrainingBlocksStatus"],
        2,
        "repeats count once"
    );
    let trained = listed(&app, json!({ "status": "TRAINED" })).await;
    assert_eq!(trained, vec![a.clone(), b.clone()]);
    assert_eq!(
        listed(&app, json!({ "status": "NOT_TRAINED" })).await,
        vec![c]
    );
    let reply = bulk(&app, "status", json!({ "ids": [a], "status": "DRAFT" })).await;
    assert_eq!(reply.data()["setTrainingBlocksStatus"], 1);
    assert_eq!(listed(&app, json!({ "status": "DRAFT" })).await, vec![a]);
}

#[tokio::test]
async fn an_incomplete_draft_blocks_the_whole_status_change() {
    let app = TestApp::spawn().await;
    let complete = app.create_block(&[("p", "r")], None).await;
    let draft = create_ok(
        &app,
        json!({ "status": "DRAFT", "exchanges": exchanges(&[("p", " ")]) }),
    )
    .await;
    let draft = draft["id"].as_str().expect("id").to_owned();
    let before = snapshot(&app).await;
    for status in ["NOT_TRAINED", "TRAINED"] {
        let reply = bulk(
            &app,
            "status",
            json!({ "ids": [complete, draft], "status": status }),
        )
        .await;
        assert_bad_input(&reply, "ids[1]");
        assert!(reply.message().contains(&draft), "{}", reply.message());
        assert_eq!(snapshot(&app).await, before, "nothing changed");
    }
}

#[tokio::test]
async fn the_status_error_names_the_position_the_client_sent() {
    let app = TestApp::spawn().await;
    let complete = app.create_block(&[("p", "r")], None).await;
    let draft = create_ok(
        &app,
        json!({ "status": "DRAFT", "exchanges": exchanges(&[("", "r")]) }),
    )
    .await;
    let draft = draft["id"].as_str().expect("id").to_owned();
    let reply = bulk(
        &app,
        "status",
        json!({ "ids": [complete, complete, draft], "status": "NOT_TRAINED" }),
    )
    .await;
    assert_bad_input(&reply, "ids[2]");
}

#[tokio::test]
async fn setting_the_tag_of_blocks_sets_or_clears_it() {
    let app = TestApp::spawn().await;
    let a = app.create_block(&[("a", "1")], None).await;
    let b = app.create_block(&[("b", "2")], Some("old")).await;
    let c = app.create_block(&[("c", "3")], Some("keep")).await;
    let reply = bulk(&app, "tag", json!({ "ids": [a, b], "tag": " new " })).await;
    assert_eq!(reply.data()["setTrainingBlocksTag"], 2);
    assert_eq!(
        listed(&app, json!({ "tag": "new" })).await,
        vec![a.clone(), b.clone()]
    );
    assert_eq!(
        listed(&app, json!({ "tag": "keep" })).await,
        vec![c.clone()]
    );

    let reply = bulk(&app, "tag", json!({ "ids": [a], "tag": null })).await;
    assert_eq!(reply.data()["setTrainingBlocksTag"], 1);
    let reply = bulk(&app, "tag", json!({ "ids": [b], "tag": "  " })).await;
    assert_eq!(reply.data()["setTrainingBlocksTag"], 1);
    for id in [&a, &b] {
        assert_eq!(
            read(&app, id).await.data()["trainingBlock"]["tag"],
            Value::Null
        );
    }
    assert_eq!(read(&app, &c).await.data()["trainingBlock"]["tag"], "keep");
}

#[tokio::test]
async fn an_invalid_tag_in_a_bulk_change_changes_nothing() {
    let app = TestApp::spawn().await;
    let a = app.create_block(&[("a", "1")], Some("faq")).await;
    let before = snapshot(&app).await;
    for tag in ["t".repeat(65), "line\nbreak".to_owned()] {
        let reply = bulk(&app, "tag", json!({ "ids": [a], "tag": tag })).await;
        assert_bad_input(&reply, "tag");
    }
    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test]
async fn deleting_blocks_removes_them_and_returns_the_count() {
    let app = TestApp::spawn().await;
    let a = app.create_block(&[("a", "1"), ("a2", "2")], None).await;
    let b = app.create_block(&[("b", "1")], None).await;
    let c = app.create_block(&[("c", "1")], None).await;
    let reply = bulk(&app, "delete", json!({ "ids": [a, c, a] })).await;
    assert_eq!(reply.data()["deleteTrainingBlocks"], 2);
    assert_eq!(listed(&app, json!({})).await, vec![b]);
    for id in [&a, &c] {
        assert_eq!(read(&app, id).await.code(), "NOT_FOUND");
    }
    assert_eq!(
        listed(&app, json!({ "search": "a2" })).await,
        Vec::<String>::new(),
        "the exchanges went with the block"
    );
}

#[tokio::test]
async fn bulk_mutations_with_an_unknown_id_fail_and_change_nothing() {
    let app = TestApp::spawn().await;
    let a = app.create_block(&[("a", "1")], Some("faq")).await;
    let b = app.create_block(&[("b", "1")], None).await;
    let unknown = an_unknown_id();
    let before = snapshot(&app).await;
    let cases = [
        ("delete", json!({ "ids": [a, unknown, b] })),
        (
            "status",
            json!({ "ids": [a, b, unknown], "status": "TRAINED" }),
        ),
        ("tag", json!({ "ids": [unknown, a, b], "tag": "other" })),
    ];
    for (mutation, vars) in cases {
        let reply = bulk(&app, mutation, vars).await;
        assert_eq!(reply.code(), "NOT_FOUND", "{mutation}: {:#}", reply.body);
        assert!(reply.message().contains(&unknown), "{}", reply.message());
        assert_eq!(snapshot(&app).await, before, "{mutation} changed nothing");
    }
}

#[tokio::test]
async fn bulk_mutations_take_at_most_1000_ids() {
    let app = TestApp::spawn().await;
    let a = app.create_block(&[("p", "r")], Some("faq")).await;
    let before = snapshot(&app).await;
    let mut too_many: Vec<String> = (0..1_000).map(|_| an_unknown_id()).collect();
    too_many.push(a);
    let cases = [
        ("delete", json!({ "ids": too_many })),
        ("status", json!({ "ids": too_many, "status": "TRAINED" })),
        ("tag", json!({ "ids": too_many, "tag": "other" })),
    ];
    for (mutation, vars) in cases {
        let reply = bulk(&app, mutation, vars).await;
        assert_bad_input(&reply, "ids");
    }
    let none = [
        ("delete", "deleteTrainingBlocks", json!({ "ids": [] })),
        (
            "status",
            "setTrainingBlocksStatus",
            json!({ "ids": [], "status": "TRAINED" }),
        ),
        (
            "tag",
            "setTrainingBlocksTag",
            json!({ "ids": [], "tag": "other" }),
        ),
    ];
    for (mutation, field, vars) in none {
        let reply = bulk(&app, mutation, vars).await;
        assert_eq!(reply.data()[field], 0, "{mutation} of no blocks");
    }
    assert_eq!(snapshot(&app).await, before, "nothing changed");
}
