//! Global rules: one-line instructions whose order forms the system prompt.

use sea_orm::EntityTrait;
use serde_json::{json, Value};
use tuner::auth::Role;
use tuner::entities::global_rule;
use uuid::Uuid;

use crate::harness::TestApp;
use tuner::ids::{RuleId, TypedId};

const RULES: &str = "{ globalRules { id text position } }";
const CREATE: &str =
    "mutation($text: String!) { createGlobalRule(text: $text) { id text position } }";
const UPDATE: &str = "mutation($id: ID!, $text: String!) {
    updateGlobalRule(id: $id, text: $text) { id text position }
}";
const DELETE: &str = "mutation($id: ID!) { deleteGlobalRule(id: $id) }";
const REORDER: &str =
    "mutation($ids: [ID!]!) { reorderGlobalRules(ids: $ids) { id text position } }";

/// The rules as `globalRules` lists them.
async fn rules(app: &TestApp) -> Value {
    app.admin_gql(RULES, json!({})).await.data()["globalRules"].clone()
}

/// The rule texts in `globalRules` order.
async fn texts(app: &TestApp) -> Vec<String> {
    rules(app)
        .await
        .as_array()
        .expect("list")
        .iter()
        .map(|r| r["text"].as_str().expect("text").to_owned())
        .collect()
}

async fn system_prompt(app: &TestApp) -> Value {
    app.admin_gql("{ systemPrompt }", json!({})).await.data()["systemPrompt"].clone()
}

async fn three_rules(app: &TestApp) -> Vec<String> {
    let mut ids = Vec::new();
    for text in ["Be brief.", "Be kind.", "Sign off."] {
        ids.push(app.create_rule(text).await);
    }
    ids
}

#[tokio::test]
async fn a_new_workspace_has_no_rules_and_no_system_prompt() {
    let app = TestApp::spawn().await;
    assert_eq!(rules(&app).await, json!([]));
    assert_eq!(system_prompt(&app).await, Value::Null);
}

#[tokio::test]
async fn created_rules_are_appended_in_order_and_form_the_system_prompt() {
    let app = TestApp::spawn().await;
    let first = app.admin_gql(CREATE, json!({ "text": "Be brief." })).await;
    assert_eq!(first.data()["createGlobalRule"]["text"], "Be brief.");
    assert_eq!(first.data()["createGlobalRule"]["position"], 0);
    let second = app.admin_gql(CREATE, json!({ "text": "Be kind." })).await;
    assert_eq!(second.data()["createGlobalRule"]["position"], 1);

    let listed = rules(&app).await;
    assert_eq!(listed[0]["id"], first.data()["createGlobalRule"]["id"]);
    assert_eq!(listed[1]["id"], second.data()["createGlobalRule"]["id"]);
    assert_eq!(system_prompt(&app).await, "Be brief.\nBe kind.");
}

#[tokio::test]
async fn a_rule_is_trimmed() {
    let app = TestApp::spawn().await;
    let reply = app
        .admin_gql(CREATE, json!({ "text": "  Answer in English.  " }))
        .await;
    assert_eq!(
        reply.data()["createGlobalRule"]["text"],
        "Answer in English."
    );
    assert_eq!(system_prompt(&app).await, "Answer in English.");
}

#[tokio::test]
async fn a_rule_of_exactly_two_thousand_characters_is_accepted() {
    let app = TestApp::spawn().await;
    // Characters, not bytes: "é" is two bytes in UTF-8.
    for text in ["x".repeat(2_000), "é".repeat(2_000)] {
        let reply = app.admin_gql(CREATE, json!({ "text": text })).await;
        assert_eq!(reply.data()["createGlobalRule"]["text"], text.as_str());
    }
    assert_eq!(texts(&app).await.len(), 2);
}

#[tokio::test]
async fn invalid_rules_are_refused_naming_the_text_field_and_nothing_is_created() {
    let app = TestApp::spawn().await;
    app.create_rule("Keep me.").await;
    let cases = [
        ("empty", String::new()),
        ("blank", "   \t ".to_owned()),
        ("line break", "Be brief.\nBe kind.".to_owned()),
        ("carriage return", "Be brief.\rBe kind.".to_owned()),
        ("windows line break", "Be brief.\r\nBe kind.".to_owned()),
        ("over the limit", "x".repeat(2_001)),
        ("over the limit in characters", "é".repeat(2_001)),
    ];
    for (what, text) in cases {
        let reply = app.admin_gql(CREATE, json!({ "text": text })).await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{what}");
        assert_eq!(reply.field(), "text", "{what}");
        assert_eq!(reply.body["data"], Value::Null, "{what}");
    }
    assert_eq!(texts(&app).await, ["Keep me."]);
}

#[tokio::test]
async fn a_rule_with_a_line_break_is_refused() {
    let app = TestApp::spawn().await;
    let reply = app.admin_gql(CREATE, json!({ "text": "one\ntwo" })).await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    assert_eq!(reply.field(), "text");
    assert!(
        reply.message().contains("one line"),
        "the message says what to change: {}",
        reply.message()
    );
    assert_eq!(system_prompt(&app).await, Value::Null);
}

#[tokio::test]
async fn updating_a_rule_replaces_its_text_and_keeps_its_position() {
    let app = TestApp::spawn().await;
    let ids = three_rules(&app).await;
    let reply = app
        .admin_gql(UPDATE, json!({ "id": ids[1], "text": "  Be warm.  " }))
        .await;
    let updated = &reply.data()["updateGlobalRule"];
    assert_eq!(updated["id"], ids[1].as_str());
    assert_eq!(updated["text"], "Be warm.");
    assert_eq!(updated["position"], 1);
    assert_eq!(texts(&app).await, ["Be brief.", "Be warm.", "Sign off."]);
    assert_eq!(system_prompt(&app).await, "Be brief.\nBe warm.\nSign off.");
}

#[tokio::test]
async fn an_invalid_update_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let ids = three_rules(&app).await;
    let before = rules(&app).await;
    for text in [
        String::new(),
        " ".to_owned(),
        "a\nb".to_owned(),
        "x".repeat(2_001),
    ] {
        let reply = app
            .admin_gql(UPDATE, json!({ "id": ids[0], "text": text }))
            .await;
        assert_eq!(reply.code(), "BAD_USER_INPUT");
        assert_eq!(reply.field(), "text");
    }
    assert_eq!(rules(&app).await, before);
}

#[tokio::test]
async fn updating_to_exactly_two_thousand_characters_is_accepted() {
    let app = TestApp::spawn().await;
    let id = app.create_rule("short").await;
    let text = "y".repeat(2_000);
    let reply = app
        .admin_gql(UPDATE, json!({ "id": id, "text": text }))
        .await;
    assert_eq!(reply.data()["updateGlobalRule"]["text"], text.as_str());
}

#[tokio::test]
async fn updated_at_moves_on_update_and_created_at_does_not() {
    let app = TestApp::spawn().await;
    let created = app
        .admin_gql(
            "mutation { createGlobalRule(text: \"a\") { id createdAt updatedAt } }",
            json!({}),
        )
        .await;
    let created = created.data()["createGlobalRule"].clone();
    assert_eq!(created["createdAt"], created["updatedAt"]);
    let updated = app
        .admin_gql(
            "mutation($id: ID!) { updateGlobalRule(id: $id, text: \"b\") { createdAt updatedAt } }",
            json!({ "id": created["id"] }),
        )
        .await;
    let updated = &updated.data()["updateGlobalRule"];
    assert_eq!(updated["createdAt"], created["createdAt"]);
    let parse = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().expect("timestamp")).expect("rfc3339")
    };
    assert!(parse(&updated["updatedAt"]) >= parse(&created["updatedAt"]));
}

#[tokio::test]
async fn deleting_a_rule_removes_it_from_the_list_and_the_system_prompt() {
    let app = TestApp::spawn().await;
    let ids = three_rules(&app).await;
    let reply = app.admin_gql(DELETE, json!({ "id": ids[1] })).await;
    assert_eq!(reply.data()["deleteGlobalRule"], ids[1].as_str());
    assert_eq!(texts(&app).await, ["Be brief.", "Sign off."]);
    assert_eq!(system_prompt(&app).await, "Be brief.\nSign off.");

    let again = app.admin_gql(DELETE, json!({ "id": ids[1] })).await;
    assert_eq!(again.code(), "NOT_FOUND");
}

#[tokio::test]
async fn deleting_every_rule_brings_the_system_prompt_back_to_null() {
    let app = TestApp::spawn().await;
    let ids = three_rules(&app).await;
    for id in &ids {
        app.admin_gql(DELETE, json!({ "id": id })).await.data();
    }
    assert_eq!(rules(&app).await, json!([]));
    assert_eq!(system_prompt(&app).await, Value::Null);
}

#[tokio::test]
async fn a_rule_created_after_a_deletion_goes_last() {
    let app = TestApp::spawn().await;
    let ids = three_rules(&app).await;
    app.admin_gql(DELETE, json!({ "id": ids[2] })).await.data();
    app.admin_gql(DELETE, json!({ "id": ids[0] })).await.data();
    app.create_rule("Last.").await;
    assert_eq!(texts(&app).await, ["Be kind.", "Last."]);
    let positions: Vec<i64> = rules(&app)
        .await
        .as_array()
        .expect("list")
        .iter()
        .map(|r| r["position"].as_i64().expect("position"))
        .collect();
    assert!(positions[0] < positions[1], "{positions:?}");
}

#[tokio::test]
async fn reordering_sets_the_whole_order_and_the_system_prompt_follows() {
    let app = TestApp::spawn().await;
    let ids = three_rules(&app).await;
    let order = [&ids[2], &ids[0], &ids[1]];
    let reply = app.admin_gql(REORDER, json!({ "ids": order })).await;
    let returned = reply.data()["reorderGlobalRules"].clone();
    assert_eq!(
        returned,
        json!([
            { "id": ids[2], "text": "Sign off.", "position": 0 },
            { "id": ids[0], "text": "Be brief.", "position": 1 },
            { "id": ids[1], "text": "Be kind.", "position": 2 },
        ])
    );
    assert_eq!(rules(&app).await, returned);
    assert_eq!(system_prompt(&app).await, "Sign off.\nBe brief.\nBe kind.");
}

#[tokio::test]
async fn reordering_into_the_same_order_is_accepted() {
    let app = TestApp::spawn().await;
    let ids = three_rules(&app).await;
    let reply = app.admin_gql(REORDER, json!({ "ids": ids })).await;
    assert_eq!(reply.data()["reorderGlobalRules"], rules(&app).await);
    assert_eq!(texts(&app).await, ["Be brief.", "Be kind.", "Sign off."]);
}

#[tokio::test]
async fn reordering_no_rules_with_an_empty_list_is_accepted() {
    let app = TestApp::spawn().await;
    let reply = app.admin_gql(REORDER, json!({ "ids": [] })).await;
    assert_eq!(reply.data()["reorderGlobalRules"], json!([]));
}

#[tokio::test]
async fn a_reorder_that_is_not_exactly_the_workspace_rules_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let ids = three_rules(&app).await;
    let before = rules(&app).await;
    let unknown = Uuid::now_v7().to_string();
    let cases = [
        ("empty", vec![]),
        ("missing one", vec![&ids[2], &ids[1]]),
        (
            "extra unknown id",
            vec![&ids[2], &ids[1], &ids[0], &unknown],
        ),
        ("unknown instead of one", vec![&ids[2], &ids[1], &unknown]),
        ("duplicate", vec![&ids[2], &ids[1], &ids[0], &ids[1]]),
        ("duplicate instead of one", vec![&ids[2], &ids[1], &ids[1]]),
    ];
    for (what, order) in cases {
        let reply = app.admin_gql(REORDER, json!({ "ids": order })).await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{what}");
        assert_eq!(reply.field(), "ids", "{what}");
        assert_eq!(reply.body["data"], Value::Null, "{what}");
        assert_eq!(rules(&app).await, before, "{what}");
    }
    assert_eq!(system_prompt(&app).await, "Be brief.\nBe kind.\nSign off.");
}

#[tokio::test]
async fn malformed_rule_ids_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let ids = three_rules(&app).await;
    let before = rules(&app).await;

    let update = app
        .admin_gql(UPDATE, json!({ "id": "nope", "text": "x" }))
        .await;
    assert_eq!(update.code(), "BAD_USER_INPUT");
    assert_eq!(update.field(), "id");

    let delete = app.admin_gql(DELETE, json!({ "id": "nope" })).await;
    assert_eq!(delete.code(), "BAD_USER_INPUT");
    assert_eq!(delete.field(), "id");

    let reorder = app
        .admin_gql(REORDER, json!({ "ids": [ids[0], "nope", ids[2]] }))
        .await;
    assert_eq!(reorder.code(), "BAD_USER_INPUT");
    assert_eq!(reorder.field(), "ids[1]");

    assert_eq!(rules(&app).await, before);
}

#[tokio::test]
async fn unknown_rule_ids_are_not_found() {
    let app = TestApp::spawn().await;
    app.create_rule("Keep me.").await;
    let unknown = Uuid::now_v7().to_string();
    let update = app
        .admin_gql(UPDATE, json!({ "id": unknown, "text": "x" }))
        .await;
    assert_eq!(update.code(), "NOT_FOUND");
    let delete = app.admin_gql(DELETE, json!({ "id": unknown })).await;
    assert_eq!(delete.code(), "NOT_FOUND");
    assert_eq!(texts(&app).await, ["Keep me."]);
}

#[tokio::test]
async fn an_editor_manages_rules() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let created = app.gql(&editor, CREATE, json!({ "text": "a" })).await;
    let id = created.data()["createGlobalRule"]["id"].clone();
    app.gql(&editor, UPDATE, json!({ "id": id, "text": "b" }))
        .await
        .data();
    app.gql(&editor, REORDER, json!({ "ids": [id] }))
        .await
        .data();
    let prompt = app.gql(&editor, "{ systemPrompt }", json!({})).await;
    assert_eq!(prompt.data()["systemPrompt"], "b");
    app.gql(&editor, DELETE, json!({ "id": id })).await.data();
    assert_eq!(rules(&app).await, json!([]));
}

#[tokio::test]
async fn a_reader_can_neither_read_nor_change_rules() {
    let app = TestApp::spawn().await;
    let id = app.create_rule("Secret sauce.").await;
    let reader = app.token(Role::Reader).await;
    let attempts = [
        (RULES, json!({})),
        ("{ systemPrompt }", json!({})),
        (CREATE, json!({ "text": "x" })),
        (UPDATE, json!({ "id": id, "text": "x" })),
        (DELETE, json!({ "id": id })),
        (REORDER, json!({ "ids": [id] })),
    ];
    for (query, variables) in attempts {
        let reply = app.gql(&reader, query, variables).await;
        assert_eq!(reply.code(), "FORBIDDEN", "{query}");
        assert_eq!(reply.body["data"], Value::Null, "{query}");
    }
    assert_eq!(texts(&app).await, ["Secret sauce."]);
}

#[tokio::test]
async fn a_workspace_may_not_have_more_than_five_hundred_rules() {
    let app = TestApp::spawn().await;
    let now = chrono::Utc::now();
    let rows = (0..500).map(|position| global_rule::ActiveModel {
        id: sea_orm::Set(RuleId::generate()),
        workspace_id: sea_orm::Set(app.workspace_id),
        text: sea_orm::Set(format!("rule {position}")),
        position: sea_orm::Set(position),
        created_at: sea_orm::Set(now),
        updated_at: sea_orm::Set(now),
    });
    global_rule::Entity::insert_many(rows)
        .exec(&app.db)
        .await
        .expect("insert rules");
    let reply = app
        .admin_gql(CREATE, json!({ "text": "one too many" }))
        .await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    assert_eq!(reply.field(), "text");
    assert_eq!(texts(&app).await.len(), 500);
}

/// Sends the `(token, variables)` requests of `query` at the same time, on separate tasks (the
/// test must run on a multi-threaded runtime); returns the response bodies.
pub(crate) async fn concurrently(
    app: &TestApp,
    query: &str,
    requests: Vec<(&str, Value)>,
) -> Vec<Value> {
    let mut tasks = tokio::task::JoinSet::new();
    for (token, vars) in requests {
        let (schema, db) = (app.schema.clone(), app.db.clone());
        let (token, query) = (token.to_owned(), query.to_owned());
        tasks.spawn(async move {
            let auth = tuner::auth::authenticate(&db, Some(&token))
                .await
                .expect("authenticate");
            let request = async_graphql::Request::new(query)
                .variables(async_graphql::Variables::from_json(vars));
            let response = tuner::schema::execute(&schema, &db, auth, request).await;
            serde_json::to_value(&response).expect("response json")
        });
    }
    let mut bodies = Vec::new();
    while let Some(body) = tasks.join_next().await {
        bodies.push(body.expect("task"));
    }
    bodies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rules_created_at_the_same_time_get_distinct_positions() {
    let app = TestApp::spawn().await;
    let requests = (0..10)
        .map(|i| (app.admin.as_str(), json!({ "text": format!("rule {i}") })))
        .collect();
    for body in concurrently(&app, CREATE, requests).await {
        assert!(body.get("errors").is_none(), "{body:#}");
    }
    let listed = rules(&app).await;
    let mut positions: Vec<i64> = listed
        .as_array()
        .expect("list")
        .iter()
        .map(|r| r["position"].as_i64().expect("position"))
        .collect();
    assert_eq!(positions.len(), 10);
    positions.dedup();
    assert_eq!(
        positions.len(),
        10,
        "positions must be distinct: {listed:#}"
    );
}
