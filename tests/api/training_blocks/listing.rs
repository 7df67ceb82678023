//! Listing blocks: filters, text search, tag counts, roles and workspace scoping.

use serde_json::{json, Value};
use tuner::auth::Role;

use super::*;
use crate::harness::TestApp;

#[tokio::test]
async fn blocks_of_another_workspace_are_out_of_reach() {
    let app = TestApp::spawn().await;
    let mine = app.create_block(&[("mine", "r")], Some("mine")).await;
    let other = app.other_workspace("other").await;
    let reply = app
        .gql(
            &other,
            "mutation { createTrainingBlock(input: {tag: \"theirs\", exchanges: [{prompt: \"theirs\", response: \"r\"}]}) { id } }",
            json!({}),
        )
        .await;
    let theirs = reply.data()["createTrainingBlock"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let before = snapshot(&app).await;
    assert_eq!(ids_of(&before["nodes"]), vec![mine.clone()]);
    assert_eq!(read(&app, &theirs).await.code(), "NOT_FOUND");
    assert_eq!(
        update(&app, &theirs, json!({ "notes": "x" })).await.code(),
        "NOT_FOUND"
    );
    for (mutation, vars) in [
        ("delete", json!({ "ids": [mine, theirs] })),
        ("status", json!({ "ids": [theirs], "status": "DRAFT" })),
        ("tag", json!({ "ids": [theirs], "tag": "x" })),
    ] {
        let reply = bulk(&app, mutation, vars).await;
        assert_eq!(reply.code(), "NOT_FOUND", "{mutation}");
    }
    assert_eq!(snapshot(&app).await, before);
    let tags = app
        .admin_gql("{ trainingTags { tag count } }", json!({}))
        .await;
    assert_eq!(
        tags.data()["trainingTags"],
        json!([{ "tag": "mine", "count": 1 }])
    );
    let theirs_still = app
        .gql(
            &other,
            "{ trainingBlocks { totalCount nodes { tag notes } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        theirs_still.data()["trainingBlocks"],
        json!({ "totalCount": 1, "nodes": [{ "tag": "theirs", "notes": null }] })
    );
}

#[tokio::test]
async fn training_tags_lists_each_tag_with_its_count_alphabetically() {
    let app = TestApp::spawn().await;
    let empty = app
        .admin_gql("{ trainingTags { tag count } }", json!({}))
        .await;
    assert_eq!(empty.data()["trainingTags"], json!([]));
    app.create_block(&[("p", "r")], Some("shipping")).await;
    app.create_block(&[("p", "r")], Some("billing")).await;
    app.create_block(&[("p", "r")], Some("shipping")).await;
    app.create_block(&[("p", "r")], None).await;
    let reply = app
        .admin_gql("{ trainingTags { tag count } }", json!({}))
        .await;
    assert_eq!(
        reply.data()["trainingTags"],
        json!([{ "tag": "billing", "count": 1 }, { "tag": "shipping", "count": 2 }])
    );
}

#[tokio::test]
async fn blocks_can_be_filtered_by_status_and_tag() {
    let app = TestApp::spawn().await;
    let a = app.create_block(&[("p", "r")], Some("faq")).await;
    let b = app.create_block(&[("p", "r")], Some("faq")).await;
    let c = app.create_block(&[("p", "r")], Some("other")).await;
    let d = app.create_block(&[("p", "r")], None).await;
    bulk(
        &app,
        "status",
        json!({ "ids": [b, c], "status": "TRAINED" }),
    )
    .await
    .data();
    assert_eq!(
        listed(&app, json!({})).await,
        vec![a.clone(), b.clone(), c.clone(), d.clone()]
    );
    assert_eq!(
        listed(&app, json!({ "status": "NOT_TRAINED" })).await,
        vec![a.clone(), d]
    );
    assert_eq!(
        listed(&app, json!({ "status": "TRAINED" })).await,
        vec![b.clone(), c]
    );
    assert_eq!(
        listed(&app, json!({ "status": "DRAFT" })).await,
        Vec::<String>::new()
    );
    assert_eq!(
        listed(&app, json!({ "tag": "faq" })).await,
        vec![a.clone(), b.clone()]
    );
    assert_eq!(
        listed(&app, json!({ "tag": "FAQ" })).await,
        Vec::<String>::new(),
        "tags are exact"
    );
    assert_eq!(
        listed(&app, json!({ "tag": "faq", "status": "TRAINED" })).await,
        vec![b]
    );
}

#[tokio::test]
async fn search_finds_prompts_and_responses_ignoring_case() {
    let app = TestApp::spawn().await;
    let in_prompt = app
        .create_block(&[("How do I RETURN shoes?", "Use the form.")], None)
        .await;
    let in_response = app
        .create_block(
            &[("Hi", "Hello"), ("Shoes?", "Our Return policy is 30 days.")],
            None,
        )
        .await;
    let twice = app.create_block(&[("return", "returns")], None).await;
    app.create_block(&[("Shipping?", "Two days.")], None).await;
    assert_eq!(
        listed(&app, json!({ "search": "return" })).await,
        vec![in_prompt, in_response.clone(), twice],
        "each matching block once, in order"
    );
    assert_eq!(
        listed(&app, json!({ "search": "POLICY IS" })).await,
        vec![in_response]
    );
    assert_eq!(
        listed(&app, json!({ "search": "refund" })).await,
        Vec::<String>::new()
    );
    assert_eq!(
        listed(&app, json!({ "search": "" })).await.len(),
        4,
        "empty search: all"
    );
}

#[tokio::test]
async fn percent_underscore_and_backslash_in_a_search_are_literal() {
    let app = TestApp::spawn().await;
    let percent = app
        .create_block(&[("Is it 100% cotton?", "Yes")], None)
        .await;
    app.create_block(&[("Is it 100 cotton?", "Yes")], None)
        .await;
    let underscore = app.create_block(&[("snake_case names", "ok")], None).await;
    app.create_block(&[("snakeXcase names", "ok")], None).await;
    let backslash = app.create_block(&[("p", "C:\\temp\\file")], None).await;
    app.create_block(&[("p", "C:temp")], None).await;
    assert_eq!(
        listed(&app, json!({ "search": "100%" })).await,
        vec![percent]
    );
    assert_eq!(
        listed(&app, json!({ "search": "e_c" })).await,
        vec![underscore]
    );
    assert_eq!(
        listed(&app, json!({ "search": ":\\t" })).await,
        vec![backslash]
    );
    assert_eq!(listed(&app, json!({ "search": "%" })).await.len(), 1);
    assert_eq!(listed(&app, json!({ "search": "_" })).await.len(), 1);
}

#[tokio::test]
async fn search_combines_with_status_and_tag() {
    let app = TestApp::spawn().await;
    let a = app
        .create_block(&[("refund please", "ok")], Some("billing"))
        .await;
    let b = app
        .create_block(&[("refund now", "ok")], Some("billing"))
        .await;
    app.create_block(&[("refund", "ok")], Some("shipping"))
        .await;
    app.create_block(&[("invoice", "ok")], Some("billing"))
        .await;
    bulk(&app, "status", json!({ "ids": [b], "status": "TRAINED" }))
        .await
        .data();
    let filter = json!({ "search": "REFUND", "tag": "billing" });
    assert_eq!(listed(&app, filter).await, vec![a.clone(), b]);
    let filter = json!({ "search": "refund", "tag": "billing", "status": "NOT_TRAINED" });
    assert_eq!(listed(&app, filter).await, vec![a]);
}

#[tokio::test]
async fn searches_over_1000_characters_and_tags_over_64_are_refused() {
    let app = TestApp::spawn().await;
    app.create_block(&[("p", "r")], None).await;
    let query =
        "query($filter: TrainingBlockFilter) { trainingBlocks(filter: $filter) { totalCount } }";
    let filter = json!({ "search": "s".repeat(1_001) });
    let reply = app.admin_gql(query, json!({ "filter": filter })).await;
    assert_bad_input(&reply, "filter.search");
    let filter = json!({ "tag": "t".repeat(65) });
    let reply = app.admin_gql(query, json!({ "filter": filter })).await;
    assert_bad_input(&reply, "filter.tag");
    assert_eq!(
        listed(&app, json!({ "tag": "t".repeat(64) })).await.len(),
        0
    );
    assert_eq!(
        listed(&app, json!({ "search": "s".repeat(1_000) }))
            .await
            .len(),
        0
    );
}

#[tokio::test]
async fn readers_may_neither_read_nor_change_blocks() {
    let app = TestApp::spawn().await;
    let id = app.create_block(&[("p", "r")], Some("faq")).await;
    let reader = app.token(Role::Reader).await;
    let before = snapshot(&app).await;
    let operations = [
        ("{ trainingBlocks { totalCount } }", json!({})),
        ("query($id: ID!) { trainingBlock(id: $id) { id } }", json!({ "id": id })),
        ("{ trainingTags { tag } }", json!({})),
        ("mutation { createTrainingBlock(input: {exchanges: [{prompt: \"p\", response: \"r\"}]}) { id } }", json!({})),
        ("mutation($id: ID!) { updateTrainingBlock(id: $id, input: {notes: \"x\"}) { id } }", json!({ "id": id })),
        ("mutation($id: ID!) { deleteTrainingBlocks(ids: [$id]) }", json!({ "id": id })),
        ("mutation($id: ID!) { setTrainingBlocksStatus(ids: [$id], status: DRAFT) }", json!({ "id": id })),
        ("mutation($id: ID!) { setTrainingBlocksTag(ids: [$id], tag: \"x\") }", json!({ "id": id })),
    ];
    for (query, vars) in operations {
        let reply = app.gql(&reader, query, vars).await;
        assert_eq!(reply.code(), "FORBIDDEN", "{query}");
        assert_eq!(reply.body["data"], Value::Null, "{query}");
    }
    assert_eq!(snapshot(&app).await, before, "nothing changed");
}

#[tokio::test]
async fn editors_may_read_and_change_blocks() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let reply = app
        .gql(
            &editor,
            "mutation { createTrainingBlock(input: {tag: \"faq\", exchanges: [{prompt: \"p\", response: \"r\"}]}) { id } }",
            json!({}),
        )
        .await;
    let id = reply.data()["createTrainingBlock"]["id"].clone();
    let reads = [
        (
            "{ trainingBlocks { totalCount } }",
            json!({ "trainingBlocks": { "totalCount": 1 } }),
        ),
        (
            "query($id: ID!) { trainingBlock(id: $id) { id } }",
            json!({ "trainingBlock": { "id": id } }),
        ),
        (
            "{ trainingTags { tag count } }",
            json!({ "trainingTags": [{ "tag": "faq", "count": 1 }] }),
        ),
    ];
    for (query, expected) in reads {
        let reply = app.gql(&editor, query, json!({ "id": id })).await;
        assert_eq!(reply.data(), &expected, "{query}");
    }
    let changes = [
        (
            "mutation($id: ID!) { updateTrainingBlock(id: $id, input: {notes: \"x\"}) { notes } }",
            json!({ "updateTrainingBlock": { "notes": "x" } }),
        ),
        (
            "mutation($id: ID!) { setTrainingBlocksStatus(ids: [$id], status: TRAINED) }",
            json!({ "setTrainingBlocksStatus": 1 }),
        ),
        (
            "mutation($id: ID!) { setTrainingBlocksTag(ids: [$id], tag: \"new\") }",
            json!({ "setTrainingBlocksTag": 1 }),
        ),
        (
            "mutation($id: ID!) { deleteTrainingBlocks(ids: [$id]) }",
            json!({ "deleteTrainingBlocks": 1 }),
        ),
    ];
    for (query, expected) in changes {
        let reply = app.gql(&editor, query, json!({ "id": id })).await;
        assert_eq!(reply.data(), &expected, "{query}");
    }
    assert_eq!(snapshot(&app).await["totalCount"], 0);
}

#[tokio::test]
async fn a_search_finds_non_ascii_text_typed_as_stored() {
    let app = TestApp::spawn().await;
    let french = app
        .create_block(&[("École fermée ?", "Ça dépend.")], None)
        .await;
    app.create_block(&[("Ecole", "Ca")], None).await;
    for search in ["École", "Ça dépend", "fermée", "FERMÉE", "dÉpEnD"] {
        assert_eq!(
            listed(&app, json!({ "search": search })).await,
            vec![french.clone()],
            "{search}"
        );
    }
}
