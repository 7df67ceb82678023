//! Custom models: named fine-tuning targets, unique by name within a workspace.

use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{json, Value};
use tuner::auth::Role;
use tuner::entities::custom_model::{self, ModelStatus};
use uuid::Uuid;

use crate::global_rules::concurrently;
use crate::harness::TestApp;
use tuner::ids::{ModelId, TypedId};

const FIELDS: &str =
    "id name description provider baseModel status fineTunedModel createdAt updatedAt";

fn create_query() -> String {
    format!(
        "mutation($input: CreateCustomModelInput!) {{
            createCustomModel(input: $input) {{ {FIELDS} }}
        }}"
    )
}

fn update_query() -> String {
    format!(
        "mutation($id: ID!, $input: UpdateCustomModelInput!) {{
            updateCustomModel(id: $id, input: $input) {{ {FIELDS} }}
        }}"
    )
}

const DELETE: &str = "mutation($id: ID!) { deleteCustomModel(id: $id) }";

async fn create(app: &TestApp, input: Value) -> crate::harness::Reply {
    app.admin_gql(&create_query(), json!({ "input": input }))
        .await
}

async fn update(app: &TestApp, id: &str, input: Value) -> crate::harness::Reply {
    app.admin_gql(&update_query(), json!({ "id": id, "input": input }))
        .await
}

/// Every model of the workspace as `customModels` lists them.
async fn models(app: &TestApp) -> Value {
    let query = format!("{{ customModels {{ {FIELDS} }} }}");
    app.admin_gql(&query, json!({})).await.data()["customModels"].clone()
}

async fn model(app: &TestApp, id: &str) -> crate::harness::Reply {
    let query = format!("query($id: ID!) {{ customModel(id: $id) {{ {FIELDS} }} }}");
    app.admin_gql(&query, json!({ "id": id })).await
}

/// Marks a model as trained, as a successful training job would.
async fn mark_trained(app: &TestApp, id: &str) {
    let id = ModelId::parse("id", id).expect("id");
    let found = custom_model::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("select")
        .expect("model");
    let mut model: custom_model::ActiveModel = found.into();
    model.status = Set(ModelStatus::Ready);
    model.fine_tuned_model = Set(Some("ft:gpt-4o-mini-2024-07-18:acme::abc123".into()));
    model.update(&app.db).await.expect("update");
}

#[tokio::test]
async fn a_new_model_gets_the_default_provider_and_base_model_and_is_not_trained() {
    let app = TestApp::spawn().await;
    let reply = create(&app, json!({ "name": "Support bot" })).await;
    let created = &reply.data()["createCustomModel"];
    assert_eq!(created["name"], "Support bot");
    assert_eq!(created["description"], Value::Null);
    assert_eq!(created["provider"], "openai");
    assert_eq!(created["baseModel"], "gpt-4o-mini-2024-07-18");
    assert_eq!(created["status"], "NOT_TRAINED");
    assert_eq!(created["fineTunedModel"], Value::Null);
    assert_eq!(created["createdAt"], created["updatedAt"]);
    assert!(Uuid::parse_str(created["id"].as_str().expect("id")).is_ok());
}

#[tokio::test]
async fn a_model_is_created_with_everything_given_and_can_be_read_back() {
    let app = TestApp::spawn().await;
    let reply = create(
        &app,
        json!({
            "name": "  Sales bot  ",
            "description": "  Answers pricing questions.  ",
            "provider": "azure-openai",
            "baseModel": "gpt-4.1-mini-2025-04-14",
        }),
    )
    .await;
    let created = reply.data()["createCustomModel"].clone();
    assert_eq!(created["name"], "Sales bot");
    assert_eq!(created["description"], "Answers pricing questions.");
    assert_eq!(created["provider"], "azure-openai");
    assert_eq!(created["baseModel"], "gpt-4.1-mini-2025-04-14");

    let id = created["id"].as_str().expect("id");
    assert_eq!(model(&app, id).await.data()["customModel"], created);
    assert_eq!(models(&app).await, json!([created]));
}

#[tokio::test]
async fn models_are_listed_oldest_first() {
    let app = TestApp::spawn().await;
    let a = app.create_model("zeta").await;
    let b = app.create_model("alpha").await;
    let c = app.create_model("mid").await;
    let ids: Vec<Value> = models(&app)
        .await
        .as_array()
        .expect("list")
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(ids, [json!(a), json!(b), json!(c)]);
}

#[tokio::test]
async fn a_duplicate_name_is_a_conflict_and_nothing_is_created() {
    let app = TestApp::spawn().await;
    app.create_model("Support bot").await;
    let before = models(&app).await;
    for name in ["Support bot", "  Support bot "] {
        let reply = create(&app, json!({ "name": name, "description": "second" })).await;
        assert_eq!(reply.code(), "CONFLICT", "{name:?}");
        assert_eq!(reply.field(), "name", "{name:?}");
        assert_eq!(reply.body["data"], Value::Null);
    }
    assert_eq!(models(&app).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_simultaneous_creations_with_one_name_exactly_one_succeeds() {
    let app = TestApp::spawn().await;
    let requests = (0..6)
        .map(|i| {
            let input = json!({ "name": "Support bot", "description": format!("try {i}") });
            (app.admin.as_str(), json!({ "input": input }))
        })
        .collect();
    let bodies = concurrently(&app, &create_query(), requests).await;
    let created = bodies.iter().filter(|b| b.get("errors").is_none()).count();
    assert_eq!(created, 1, "{bodies:#?}");
    for body in bodies.iter().filter(|b| b.get("errors").is_some()) {
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "CONFLICT",
            "{body:#}"
        );
        assert_eq!(body["errors"][0]["extensions"]["field"], "name", "{body:#}");
    }
    assert_eq!(models(&app).await.as_array().expect("list").len(), 1);
}

#[tokio::test]
async fn renaming_to_a_taken_name_is_a_conflict_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.create_model("Support bot").await;
    let other = app.create_model("Sales bot").await;
    let before = models(&app).await;
    let reply = update(
        &app,
        &other,
        json!({ "name": "Support bot", "description": "changed" }),
    )
    .await;
    assert_eq!(reply.code(), "CONFLICT");
    assert_eq!(reply.field(), "name");
    assert_eq!(models(&app).await, before);
}

#[tokio::test]
async fn renaming_a_model_to_its_own_name_is_fine() {
    let app = TestApp::spawn().await;
    let id = app.create_model("Support bot").await;
    let reply = update(&app, &id, json!({ "name": "Support bot" })).await;
    assert_eq!(reply.data()["updateCustomModel"]["name"], "Support bot");
}

#[tokio::test]
async fn a_deleted_model_frees_its_name() {
    let app = TestApp::spawn().await;
    let id = app.create_model("Support bot").await;
    let reply = app.admin_gql(DELETE, json!({ "id": id })).await;
    assert_eq!(reply.data()["deleteCustomModel"], id.as_str());
    let again = create(&app, json!({ "name": "Support bot" })).await;
    assert_ne!(again.data()["createCustomModel"]["id"], id.as_str());
}

#[tokio::test]
async fn the_same_name_may_exist_in_two_workspaces() {
    let app = TestApp::spawn().await;
    app.create_model("Support bot").await;
    let other = app.other_workspace("other").await;
    let reply = app
        .gql(
            &other,
            "mutation { createCustomModel(input: {name: \"Support bot\"}) { name } }",
            json!({}),
        )
        .await;
    assert_eq!(reply.data()["createCustomModel"]["name"], "Support bot");
    let theirs = app
        .gql(&other, "{ customModels { name } }", json!({}))
        .await;
    assert_eq!(
        theirs.data()["customModels"],
        json!([{ "name": "Support bot" }])
    );
    assert_eq!(models(&app).await.as_array().expect("list").len(), 1);
}

#[tokio::test]
async fn an_update_changes_only_the_given_fields() {
    let app = TestApp::spawn().await;
    let created = create(
        &app,
        json!({ "name": "Support bot", "description": "Helps customers." }),
    )
    .await;
    let created = created.data()["createCustomModel"].clone();
    let id = created["id"].as_str().expect("id");

    let renamed = update(&app, id, json!({ "name": "Helpdesk bot" })).await;
    let renamed = renamed.data()["updateCustomModel"].clone();
    assert_eq!(renamed["name"], "Helpdesk bot");
    assert_eq!(renamed["description"], "Helps customers.");
    assert_eq!(renamed["provider"], created["provider"]);
    assert_eq!(renamed["baseModel"], created["baseModel"]);
    assert_eq!(renamed["createdAt"], created["createdAt"]);

    let retargeted = update(
        &app,
        id,
        json!({ "provider": "azure-openai", "baseModel": "gpt-4.1-2025-04-14" }),
    )
    .await;
    let retargeted = &retargeted.data()["updateCustomModel"];
    assert_eq!(retargeted["name"], "Helpdesk bot");
    assert_eq!(retargeted["provider"], "azure-openai");
    assert_eq!(retargeted["baseModel"], "gpt-4.1-2025-04-14");
    assert_eq!(retargeted["description"], "Helps customers.");

    assert_eq!(model(&app, id).await.data()["customModel"], *retargeted);
}

#[tokio::test]
async fn a_null_description_clears_it_and_an_omitted_one_is_kept() {
    let app = TestApp::spawn().await;
    let created = create(&app, json!({ "name": "bot", "description": "Keep me." })).await;
    let id = created.data()["createCustomModel"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let kept = update(&app, &id, json!({ "name": "bot 2" })).await;
    assert_eq!(kept.data()["updateCustomModel"]["description"], "Keep me.");

    let cleared = update(&app, &id, json!({ "description": null })).await;
    assert_eq!(
        cleared.data()["updateCustomModel"]["description"],
        Value::Null
    );
    assert_eq!(
        model(&app, &id).await.data()["customModel"]["description"],
        Value::Null
    );

    let blank = update(&app, &id, json!({ "description": "Again." })).await;
    assert_eq!(blank.data()["updateCustomModel"]["description"], "Again.");
    let blank = update(&app, &id, json!({ "description": "   " })).await;
    assert_eq!(
        blank.data()["updateCustomModel"]["description"],
        Value::Null
    );
}

#[tokio::test]
async fn updated_at_moves_forward_on_update() {
    let app = TestApp::spawn().await;
    let created = create(&app, json!({ "name": "bot" })).await;
    let created = created.data()["createCustomModel"].clone();
    let updated = update(
        &app,
        created["id"].as_str().expect("id"),
        json!({ "description": "x" }),
    )
    .await;
    let updated = &updated.data()["updateCustomModel"];
    let at = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().expect("timestamp")).expect("rfc3339")
    };
    assert_eq!(updated["createdAt"], created["createdAt"]);
    assert!(at(&updated["updatedAt"]) >= at(&created["updatedAt"]));
}

#[tokio::test]
async fn invalid_new_models_are_refused_naming_the_field_and_nothing_is_created() {
    let app = TestApp::spawn().await;
    let cases = [
        ("name", json!({ "name": "" })),
        ("name", json!({ "name": "   " })),
        ("name", json!({ "name": "two\nlines" })),
        ("name", json!({ "name": "x".repeat(101) })),
        (
            "description",
            json!({ "name": "ok", "description": "d".repeat(10_001) }),
        ),
        ("provider", json!({ "name": "ok", "provider": "Open AI" })),
        ("provider", json!({ "name": "ok", "provider": "" })),
        (
            "provider",
            json!({ "name": "ok", "provider": "p".repeat(33) }),
        ),
        ("baseModel", json!({ "name": "ok", "baseModel": "gpt 4o" })),
        ("baseModel", json!({ "name": "ok", "baseModel": "" })),
        (
            "baseModel",
            json!({ "name": "ok", "baseModel": "m".repeat(129) }),
        ),
    ];
    for (field, input) in cases {
        let reply = create(&app, input.clone()).await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{input}");
        assert_eq!(reply.field(), field, "{input}");
    }
    assert_eq!(models(&app).await, json!([]));
}

#[tokio::test]
async fn limits_are_inclusive() {
    let app = TestApp::spawn().await;
    let name = "é".repeat(100);
    let reply = create(
        &app,
        json!({
            "name": name,
            "description": "d".repeat(10_000),
            "provider": "p".repeat(32),
            "baseModel": "m".repeat(128),
        }),
    )
    .await;
    assert_eq!(reply.data()["createCustomModel"]["name"], name.as_str());
}

#[tokio::test]
async fn an_invalid_update_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let id = app.create_model("bot").await;
    let before = models(&app).await;
    let cases = [
        ("name", json!({ "name": " ", "description": "changed" })),
        ("name", json!({ "name": "x".repeat(101) })),
        (
            "description",
            json!({ "name": "renamed", "description": "d".repeat(10_001) }),
        ),
        (
            "provider",
            json!({ "name": "renamed", "provider": "OPENAI" }),
        ),
        (
            "baseModel",
            json!({ "name": "renamed", "baseModel": "a b" }),
        ),
    ];
    for (field, input) in cases {
        let reply = update(&app, &id, input.clone()).await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{input}");
        assert_eq!(reply.field(), field, "{input}");
    }
    assert_eq!(models(&app).await, before);
}

#[tokio::test]
async fn a_trained_model_cannot_change_its_provider_or_base_model() {
    let app = TestApp::spawn().await;
    let id = app.create_model("bot").await;
    mark_trained(&app, &id).await;
    let before = models(&app).await;
    assert_eq!(before[0]["status"], "READY");
    assert_eq!(
        before[0]["fineTunedModel"],
        "ft:gpt-4o-mini-2024-07-18:acme::abc123"
    );
    for input in [
        json!({ "provider": "azure-openai" }),
        json!({ "baseModel": "gpt-4.1-2025-04-14", "name": "renamed" }),
    ] {
        let reply = update(&app, &id, input.clone()).await;
        assert_eq!(reply.code(), "CONFLICT", "{input}");
    }
    assert_eq!(models(&app).await, before);

    let renamed = update(&app, &id, json!({ "name": "renamed" })).await;
    assert_eq!(renamed.data()["updateCustomModel"]["name"], "renamed");
    assert_eq!(renamed.data()["updateCustomModel"]["status"], "READY");
}

#[tokio::test]
async fn deleting_a_model_removes_it() {
    let app = TestApp::spawn().await;
    let keep = app.create_model("keep").await;
    let gone = app.create_model("gone").await;
    let reply = app.admin_gql(DELETE, json!({ "id": gone })).await;
    assert_eq!(reply.data()["deleteCustomModel"], gone.as_str());
    let listed = models(&app).await;
    assert_eq!(listed.as_array().expect("list").len(), 1);
    assert_eq!(listed[0]["id"], keep.as_str());
    assert_eq!(model(&app, &gone).await.code(), "NOT_FOUND");
    let again = app.admin_gql(DELETE, json!({ "id": gone })).await;
    assert_eq!(again.code(), "NOT_FOUND");
}

#[tokio::test]
async fn unknown_model_ids_are_not_found_and_change_nothing() {
    let app = TestApp::spawn().await;
    app.create_model("bot").await;
    let before = models(&app).await;
    let unknown = Uuid::now_v7().to_string();
    assert_eq!(model(&app, &unknown).await.code(), "NOT_FOUND");
    let updated = update(&app, &unknown, json!({ "name": "x" })).await;
    assert_eq!(updated.code(), "NOT_FOUND");
    let deleted = app.admin_gql(DELETE, json!({ "id": unknown })).await;
    assert_eq!(deleted.code(), "NOT_FOUND");
    assert_eq!(models(&app).await, before);
}

#[tokio::test]
async fn malformed_model_ids_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    app.create_model("bot").await;
    let before = models(&app).await;
    let read = model(&app, "nope").await;
    assert_eq!(read.code(), "BAD_USER_INPUT");
    assert_eq!(read.field(), "id");
    let updated = update(&app, "nope", json!({ "name": "x" })).await;
    assert_eq!(updated.code(), "BAD_USER_INPUT");
    assert_eq!(updated.field(), "id");
    let deleted = app.admin_gql(DELETE, json!({ "id": "nope" })).await;
    assert_eq!(deleted.code(), "BAD_USER_INPUT");
    assert_eq!(deleted.field(), "id");
    assert_eq!(models(&app).await, before);
}

#[tokio::test]
async fn a_reader_reads_models_but_cannot_change_them() {
    let app = TestApp::spawn().await;
    let id = app.create_model("bot").await;
    let before = models(&app).await;
    let reader = app.token(Role::Reader).await;

    let list = app
        .gql(&reader, "{ customModels { id name } }", json!({}))
        .await;
    assert_eq!(
        list.data()["customModels"],
        json!([{ "id": id, "name": "bot" }])
    );
    let one = app
        .gql(
            &reader,
            "query($id: ID!) { customModel(id: $id) { name status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        one.data()["customModel"],
        json!({ "name": "bot", "status": "NOT_TRAINED" })
    );

    let attempts = [
        (create_query(), json!({ "input": { "name": "new" } })),
        (
            update_query(),
            json!({ "id": id, "input": { "name": "renamed" } }),
        ),
        (DELETE.to_owned(), json!({ "id": id })),
    ];
    for (query, variables) in attempts {
        let reply = app.gql(&reader, &query, variables).await;
        assert_eq!(reply.code(), "FORBIDDEN", "{query}");
    }
    assert_eq!(models(&app).await, before);
}

#[tokio::test]
async fn an_editor_manages_models() {
    let app = TestApp::spawn().await;
    let editor = app.token(Role::Editor).await;
    let created = app
        .gql(
            &editor,
            &create_query(),
            json!({ "input": { "name": "bot" } }),
        )
        .await;
    let id = created.data()["createCustomModel"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let updated = app
        .gql(
            &editor,
            &update_query(),
            json!({ "id": id, "input": { "description": "d" } }),
        )
        .await;
    assert_eq!(updated.data()["updateCustomModel"]["description"], "d");
    app.gql(&editor, DELETE, json!({ "id": id })).await.data();
    assert_eq!(models(&app).await, json!([]));
}
