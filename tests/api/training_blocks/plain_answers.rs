//! A page of blocks is answered in one pass from memory: the same answer, in the same order, as
//! the engine gives when it resolves each field on its own.

use serde_json::{json, Value};

use crate::harness::TestApp;

/// Every field of a block, with aliases, `__typename`, a repeated leaf, an inline fragment and a
/// named fragment on the block's own type.
const SELECTION: &str = "kind: __typename id status tag rules: additionalRules notes \
    exchanges { __typename said: prompt response prompt } createdAt updatedAt id \
    ... on TrainingBlock { changed: updatedAt } ... { label: tag } ...Block";
const FRAGMENT: &str = "fragment Block on TrainingBlock { noted: notes }";

async fn seeded() -> (TestApp, Vec<String>) {
    let app = TestApp::spawn().await;
    let inputs = [
        json!({ "tag": "greeting", "notes": "kept \"quoted\"\nover lines", "additionalRules": "be kind",
                "exchanges": super::exchanges(&[("hi", "hello"), ("and you?", "fine, thanks"), ("é ☃ 🎉", "tab\there")]) }),
        json!({ "status": "DRAFT", "exchanges": super::exchanges(&[("only a prompt", "")]) }),
        json!({ "tag": "billing", "exchanges": super::exchanges(&[("refund?", "Within 30 days.")]) }),
    ];
    let mut ids = Vec::new();
    for input in inputs {
        let block = super::create_ok(&app, input).await;
        ids.push(block["id"].as_str().expect("id").to_owned());
    }
    (app, ids)
}

/// The answer's `data` as sent, keys in the order the server wrote them.
async fn text(app: &TestApp, query: &str, variables: Value) -> String {
    app.admin_gql_text(query, variables).await
}

#[tokio::test]
async fn plain_and_engine_answers_agree() {
    let (app, ids) = seeded().await;
    let page = text(
        &app,
        &format!("{{ trainingBlocks(first: 10) {{ edges {{ cursor node {{ {SELECTION} }} }} nodes {{ {SELECTION} }} }} }} {FRAGMENT}"),
        json!({}),
    )
    .await;
    let page: Value = serde_json::from_str(&page).expect("json");
    let edges = page["trainingBlocks"]["edges"].as_array().expect("edges");
    assert_eq!(edges.len(), 3, "{page}");
    for (index, id) in ids.iter().enumerate() {
        // One block alone is resolved by the engine, field by field.
        let single = text(
            &app,
            &format!("query($id: ID!) {{ trainingBlock(id: $id) {{ {SELECTION} }} }} {FRAGMENT}"),
            json!({ "id": id }),
        )
        .await;
        let single: Value = serde_json::from_str(&single).expect("json");
        let engine = &single["trainingBlock"];
        assert_eq!(engine["id"], json!(id));
        assert_eq!(&edges[index]["node"], engine, "edge {index}");
        assert_eq!(
            &page["trainingBlocks"]["nodes"][index], engine,
            "node {index}"
        );
    }
    let first = &edges[0]["node"];
    assert_eq!(first["kind"], "TrainingBlock");
    assert_eq!(first["label"], "greeting");
    assert_eq!(first["noted"], first["notes"]);
    assert_eq!(first["exchanges"][2]["said"], "é ☃ 🎉");
    assert_eq!(first["exchanges"][0]["__typename"], "Exchange");
    assert_eq!(edges[1]["node"]["tag"], Value::Null);
    assert_eq!(edges[1]["node"]["status"], "DRAFT");
}

#[tokio::test]
async fn a_plain_answer_keeps_the_order_of_the_query() {
    let (app, _) = seeded().await;
    let query = format!(
        "{{ trainingBlocks(first: 1) {{ edges {{ node {{ {SELECTION} }} cursor }} }} }} {FRAGMENT}"
    );
    let answer = text(&app, &query, json!({})).await;
    let keys = [
        "\"edges\"",
        "\"node\"",
        "\"kind\"",
        "\"id\"",
        "\"status\"",
        "\"tag\"",
        "\"rules\"",
        "\"notes\"",
        "\"exchanges\"",
        "\"said\"",
        "\"response\"",
        "\"prompt\"",
        "\"createdAt\"",
        "\"updatedAt\"",
        "\"changed\"",
        "\"label\"",
        "\"noted\"",
        "\"cursor\"",
    ];
    let mut from = 0;
    for key in keys {
        let at = answer[from..]
            .find(key)
            .unwrap_or_else(|| panic!("{key} after byte {from} of {answer}"));
        from += at + key.len();
    }
    assert_eq!(
        answer.matches("\"id\"").count(),
        1,
        "a repeated field is answered once: {answer}"
    );
}

#[tokio::test]
async fn selections_the_one_pass_leaves_to_the_engine_are_answered_alike() {
    let (app, ids) = seeded().await;
    // The same object field twice must merge its two selections: the engine does that.
    let merged = text(
        &app,
        "{ trainingBlocks(first: 10) { nodes { id exchanges { prompt } exchanges { response } } } }",
        json!({}),
    )
    .await;
    let whole = text(
        &app,
        "{ trainingBlocks(first: 10) { nodes { id exchanges { prompt response } } } }",
        json!({}),
    )
    .await;
    assert_eq!(merged, whole);
    let nodes: Value = serde_json::from_str(&whole).expect("json");
    assert_eq!(
        nodes["trainingBlocks"]["nodes"][2],
        json!({ "id": ids[2], "exchanges": super::exchanges(&[("refund?", "Within 30 days.")]) })
    );
}
