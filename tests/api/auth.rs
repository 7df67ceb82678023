//! Authentication and roles: the viewer, the role matrix, and API token management.

use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{json, Value};
use tuner::auth::{hash_secret, Role};
use tuner::entities::workspace;
use tuner::workspaces::tokens;
use uuid::Uuid;

use crate::global_rules::concurrently;
use crate::harness::{Reply, TestApp};

const VIEWER: &str = "{ viewer { workspace { id name credits } role } }";
const TOKENS: &str = "{ apiTokens { id name role prefix createdAt lastUsedAt } }";
const CREATE_TOKEN: &str = "mutation($name: String!, $role: Role!) {
    createApiToken(name: $name, role: $role) { secret token { id name role prefix lastUsedAt } }
}";
const REVOKE: &str = "mutation($id: ID!) { revokeApiToken(id: $id) }";

/// Everything of the test workspace an operation could change, read as its ADMIN.
async fn state(app: &TestApp) -> Value {
    let query = "{
        globalRules { id text position }
        trainingBlocks { totalCount nodes { id status tag exchanges { prompt response } } }
        customModels { id name description provider baseModel }
        apiTokens { id name role }
    }";
    app.admin_gql(query, json!({})).await.data().clone()
}

async fn api_tokens(app: &TestApp) -> Vec<Value> {
    let reply = app.admin_gql(TOKENS, json!({})).await;
    reply.data()["apiTokens"].as_array().expect("list").clone()
}

async fn create_token(app: &TestApp, name: &str, role: &str) -> (String, String) {
    let reply = app
        .admin_gql(CREATE_TOKEN, json!({ "name": name, "role": role }))
        .await;
    let created = &reply.data()["createApiToken"];
    (
        created["token"]["id"].as_str().expect("id").to_owned(),
        created["secret"].as_str().expect("secret").to_owned(),
    )
}

async fn viewer_role(app: &TestApp, token: &str) -> Reply {
    app.gql(token, "{ viewer { role } }", json!({})).await
}

#[tokio::test]
async fn the_viewer_shows_the_token_workspace_and_role() {
    let app = TestApp::spawn().await;
    let mut ws: workspace::ActiveModel = workspace::Entity::find_by_id(app.workspace_id)
        .one(&app.db)
        .await
        .expect("select")
        .expect("workspace")
        .into();
    ws.credits = Set(1_250);
    ws.update(&app.db).await.expect("update");

    for (role, name) in [(Role::Editor, "EDITOR"), (Role::Admin, "ADMIN")] {
        let token = app.token(role).await;
        let reply = app.gql(&token, VIEWER, json!({})).await;
        assert_eq!(
            reply.data()["viewer"],
            json!({
                "workspace": {
                    "id": app.workspace_id.to_string(),
                    "name": "test",
                    "credits": 1_250,
                },
                "role": name,
            })
        );
    }
}

#[tokio::test]
async fn a_reader_sees_its_workspace_but_not_its_credits() {
    let app = TestApp::spawn().await;
    let reader = app.token(Role::Reader).await;
    let reply = app
        .gql(
            &reader,
            "{ viewer { workspace { id name } role } }",
            json!({}),
        )
        .await;
    assert_eq!(reply.data()["viewer"]["workspace"]["name"], "test");
    assert_eq!(reply.data()["viewer"]["role"], "READER");
    let reply = app.gql(&reader, VIEWER, json!({})).await;
    assert_eq!(reply.code(), "FORBIDDEN");
}

#[tokio::test]
async fn missing_unknown_and_malformed_tokens_are_unauthenticated_and_change_nothing() {
    let app = TestApp::spawn().await;
    let before = state(&app).await;
    let long = format!("tnr_{}", "a".repeat(200));
    let operations = [
        (VIEWER, json!({})),
        ("{ customModels { id } }", json!({})),
        ("{ globalRules { id } }", json!({})),
        ("{ apiTokens { id } }", json!({})),
        (
            "mutation { createGlobalRule(text: \"sneaky\") { id } }",
            json!({}),
        ),
        (
            "mutation { createCustomModel(input: {name: \"sneaky\"}) { id } }",
            json!({}),
        ),
        (CREATE_TOKEN, json!({ "name": "sneaky", "role": "ADMIN" })),
    ];
    for token in ["", "garbage", "tnr_not-a-real-token", long.as_str()] {
        for (query, variables) in &operations {
            let reply = app.gql(token, query, variables.clone()).await;
            assert_eq!(reply.code(), "UNAUTHENTICATED", "{token:?} {query}");
            assert_eq!(reply.body["data"], Value::Null, "{token:?} {query}");
        }
    }
    assert_eq!(state(&app).await, before);
}

/// One operation of the role matrix and the lowest role allowed to run it.
struct Operation {
    name: &'static str,
    lowest: Role,
    query: &'static str,
    variables: Value,
}

fn op(name: &'static str, lowest: Role, query: &'static str, variables: Value) -> Operation {
    Operation {
        name,
        lowest,
        query,
        variables,
    }
}

/// The token of the role just below `role`; for READER, no token at all.
async fn token_below(app: &TestApp, role: Role) -> (String, &'static str) {
    match role {
        Role::Reader => (String::new(), "UNAUTHENTICATED"),
        Role::Editor => (app.token(Role::Reader).await, "FORBIDDEN"),
        Role::Admin => (app.token(Role::Editor).await, "FORBIDDEN"),
    }
}

fn role_matrix(rule: &str, block: &str, model: &str, victim: &str) -> Vec<Operation> {
    use Role::{Admin, Editor, Reader};
    vec![
        op("viewer", Reader, "{ viewer { role } }", json!({})),
        op("customModels", Reader, "{ customModels { id } }", json!({})),
        op(
            "customModel",
            Reader,
            "query($id: ID!) { customModel(id: $id) { id } }",
            json!({ "id": model }),
        ),
        op("globalRules", Editor, "{ globalRules { id } }", json!({})),
        op("systemPrompt", Editor, "{ systemPrompt }", json!({})),
        op(
            "updateGlobalRule",
            Editor,
            "mutation($id: ID!) { updateGlobalRule(id: $id, text: \"changed\") { id } }",
            json!({ "id": rule }),
        ),
        op(
            "reorderGlobalRules",
            Editor,
            "mutation($ids: [ID!]!) { reorderGlobalRules(ids: $ids) { id } }",
            json!({ "ids": [rule] }),
        ),
        op(
            "createGlobalRule",
            Editor,
            "mutation { createGlobalRule(text: \"new\") { id } }",
            json!({}),
        ),
        op(
            "deleteGlobalRule",
            Editor,
            "mutation($id: ID!) { deleteGlobalRule(id: $id) }",
            json!({ "id": rule }),
        ),
        op(
            "trainingBlocks",
            Editor,
            "{ trainingBlocks { totalCount } }",
            json!({}),
        ),
        op(
            "trainingBlock",
            Editor,
            "query($id: ID!) { trainingBlock(id: $id) { id } }",
            json!({ "id": block }),
        ),
        op(
            "trainingTags",
            Editor,
            "{ trainingTags { tag } }",
            json!({}),
        ),
        op(
            "createTrainingBlock",
            Editor,
            "mutation {
                createTrainingBlock(input: {exchanges: [{prompt: \"p\", response: \"r\"}]}) { id }
            }",
            json!({}),
        ),
        op(
            "updateTrainingBlock",
            Editor,
            "mutation($id: ID!) { updateTrainingBlock(id: $id, input: {notes: \"n\"}) { id } }",
            json!({ "id": block }),
        ),
        op(
            "setTrainingBlocksStatus",
            Editor,
            "mutation($ids: [ID!]!) { setTrainingBlocksStatus(ids: $ids, status: TRAINED) }",
            json!({ "ids": [block] }),
        ),
        op(
            "setTrainingBlocksTag",
            Editor,
            "mutation($ids: [ID!]!) { setTrainingBlocksTag(ids: $ids, tag: \"new-tag\") }",
            json!({ "ids": [block] }),
        ),
        op(
            "deleteTrainingBlocks",
            Editor,
            "mutation($ids: [ID!]!) { deleteTrainingBlocks(ids: $ids) }",
            json!({ "ids": [block] }),
        ),
        op(
            "createCustomModel",
            Editor,
            "mutation { createCustomModel(input: {name: \"new\"}) { id } }",
            json!({}),
        ),
        op(
            "updateCustomModel",
            Editor,
            "mutation($id: ID!) { updateCustomModel(id: $id, input: {description: \"d\"}) { id } }",
            json!({ "id": model }),
        ),
        op(
            "deleteCustomModel",
            Editor,
            "mutation($id: ID!) { deleteCustomModel(id: $id) }",
            json!({ "id": model }),
        ),
        op("apiTokens", Admin, "{ apiTokens { id } }", json!({})),
        op(
            "createApiToken",
            Admin,
            "mutation { createApiToken(name: \"new\", role: READER) { secret } }",
            json!({}),
        ),
        op(
            "revokeApiToken",
            Admin,
            "mutation($id: ID!) { revokeApiToken(id: $id) }",
            json!({ "id": victim }),
        ),
    ]
}

#[tokio::test]
async fn each_operation_needs_its_role_and_the_role_below_is_refused_without_effect() {
    let app = TestApp::spawn().await;
    let rule = app.create_rule("Be brief.").await;
    let block = app.create_block(&[("hi", "hello")], Some("old-tag")).await;
    let model = app.create_model("bot").await;
    let (victim, _) = tokens::create(&app.db, app.workspace_id, "victim", Role::Reader)
        .await
        .expect("token");
    let victim = victim.id.to_string();

    for operation in role_matrix(&rule, &block, &model, &victim) {
        let name = operation.name;
        let (below, code) = token_below(&app, operation.lowest).await;
        let before = state(&app).await;
        let refused = app
            .gql(&below, operation.query, operation.variables.clone())
            .await;
        assert_eq!(refused.code(), code, "{name} below its role");
        assert_eq!(refused.body["data"], Value::Null, "{name} below its role");
        let after = state(&app).await;
        // Creating the `below` token itself is the only change allowed.
        assert_eq!(after["globalRules"], before["globalRules"], "{name}");
        assert_eq!(after["trainingBlocks"], before["trainingBlocks"], "{name}");
        assert_eq!(after["customModels"], before["customModels"], "{name}");
        assert_eq!(after["apiTokens"], before["apiTokens"], "{name}");

        let allowed = app.token(operation.lowest).await;
        let reply = app
            .gql(&allowed, operation.query, operation.variables.clone())
            .await;
        assert!(
            reply.body.get("errors").is_none(),
            "{name} with its lowest role: {:#}",
            reply.body
        );
    }
    // The allowed runs did take effect.
    let end = state(&app).await;
    assert!(end["customModels"]
        .as_array()
        .expect("list")
        .iter()
        .all(|m| m["id"] != model.as_str()));
    assert!(end["apiTokens"]
        .as_array()
        .expect("list")
        .iter()
        .all(|t| t["id"] != victim.as_str()));
}

#[tokio::test]
async fn a_created_token_shows_its_secret_once_and_works_at_once_with_its_role() {
    let app = TestApp::spawn().await;
    for role in ["READER", "EDITOR", "ADMIN"] {
        let reply = app
            .admin_gql(
                CREATE_TOKEN,
                json!({ "name": format!("  {role} bot  "), "role": role }),
            )
            .await;
        let created = &reply.data()["createApiToken"];
        let secret = created["secret"].as_str().expect("secret");
        assert!(secret.starts_with("tnr_"), "{secret}");
        let prefix = created["token"]["prefix"].as_str().expect("prefix");
        assert!(secret.starts_with(prefix) && prefix.len() < secret.len());
        assert_eq!(created["token"]["name"], format!("{role} bot"));
        assert_eq!(created["token"]["role"], role);
        assert_eq!(created["token"]["lastUsedAt"], Value::Null);

        let viewer = viewer_role(&app, secret).await;
        assert_eq!(viewer.data()["viewer"]["role"], role);
    }
}

#[tokio::test]
async fn a_new_reader_token_reads_models_but_not_rules() {
    let app = TestApp::spawn().await;
    app.create_model("bot").await;
    let (_, reader) = create_token(&app, "bot platform", "READER").await;
    let models = app
        .gql(&reader, "{ customModels { name } }", json!({}))
        .await;
    assert_eq!(models.data()["customModels"], json!([{ "name": "bot" }]));
    let rules = app.gql(&reader, "{ globalRules { id } }", json!({})).await;
    assert_eq!(rules.code(), "FORBIDDEN");
}

#[tokio::test]
async fn a_new_editor_token_can_edit_but_not_manage_tokens() {
    let app = TestApp::spawn().await;
    let (_, editor) = create_token(&app, "admin panel", "EDITOR").await;
    let created = app
        .gql(
            &editor,
            "mutation { createGlobalRule(text: \"Be brief.\") { text } }",
            json!({}),
        )
        .await;
    assert_eq!(created.data()["createGlobalRule"]["text"], "Be brief.");
    let before = api_tokens(&app).await.len();
    let escalate = app
        .gql(
            &editor,
            CREATE_TOKEN,
            json!({ "name": "mine", "role": "ADMIN" }),
        )
        .await;
    assert_eq!(escalate.code(), "FORBIDDEN");
    assert_eq!(api_tokens(&app).await.len(), before);
}

#[tokio::test]
async fn an_invalid_token_name_is_refused_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let before = api_tokens(&app).await;
    for name in [
        String::new(),
        "   ".to_owned(),
        "a\nb".to_owned(),
        "n".repeat(101),
    ] {
        let reply = app
            .admin_gql(CREATE_TOKEN, json!({ "name": name, "role": "READER" }))
            .await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{name:?}");
        assert_eq!(reply.field(), "name", "{name:?}");
    }
    let unknown_role = app
        .admin_gql(CREATE_TOKEN, json!({ "name": "x", "role": "OWNER" }))
        .await;
    assert_eq!(unknown_role.code(), "BAD_USER_INPUT");
    assert_eq!(api_tokens(&app).await, before);
}

#[tokio::test]
async fn api_tokens_never_expose_secrets() {
    let app = TestApp::spawn().await;
    let (id, secret) = create_token(&app, "bot platform", "READER").await;
    viewer_role(&app, &secret).await.data();
    let query = "{ apiTokens { id name role prefix createdAt lastUsedAt } }";
    let reply = app.admin_gql(query, json!({})).await;
    let listed = reply.data()["apiTokens"].as_array().expect("list");
    assert!(listed.iter().any(|t| t["id"] == id.as_str()));
    let body = reply.body.to_string();
    for (what, needle) in [
        ("our secret", secret.clone()),
        ("our secret's hash", hash_secret(&secret)),
        ("the admin secret", app.admin.clone()),
        ("the admin secret's hash", hash_secret(&app.admin)),
    ] {
        assert!(!body.contains(&needle), "{what} leaked: {body}");
    }
}

#[tokio::test]
async fn api_tokens_are_listed_oldest_first_with_their_names_and_roles() {
    let app = TestApp::spawn().await;
    let (reader, _) = create_token(&app, "bot platform", "READER").await;
    let (editor, _) = create_token(&app, "admin panel", "EDITOR").await;
    let listed = api_tokens(&app).await;
    let summary: Vec<Value> = listed
        .iter()
        .map(|t| json!([t["name"], t["role"]]))
        .collect();
    assert_eq!(
        summary,
        [
            json!(["admin", "ADMIN"]),
            json!(["bot platform", "READER"]),
            json!(["admin panel", "EDITOR"]),
        ]
    );
    assert_eq!(listed[1]["id"], reader.as_str());
    assert_eq!(listed[2]["id"], editor.as_str());
    for token in &listed {
        let prefix = token["prefix"].as_str().expect("prefix");
        assert!(prefix.starts_with("tnr_") && prefix.len() > 4, "{prefix}");
    }
}

#[tokio::test]
async fn last_used_at_is_null_until_the_token_is_used() {
    let app = TestApp::spawn().await;
    let (id, secret) = create_token(&app, "bot platform", "READER").await;
    let find = |tokens: Vec<Value>| {
        tokens
            .into_iter()
            .find(|t| t["id"] == id.as_str())
            .expect("listed")
    };
    assert_eq!(find(api_tokens(&app).await)["lastUsedAt"], Value::Null);
    viewer_role(&app, &secret).await.data();
    let used = find(api_tokens(&app).await);
    let at = used["lastUsedAt"].as_str().expect("lastUsedAt is set");
    let at = chrono::DateTime::parse_from_rfc3339(at).expect("rfc3339");
    let created =
        chrono::DateTime::parse_from_rfc3339(used["createdAt"].as_str().expect("createdAt"))
            .expect("rfc3339");
    assert!(at >= created, "{used}");
}

#[tokio::test]
async fn a_revoked_token_stops_working_at_once() {
    let app = TestApp::spawn().await;
    let (id, secret) = create_token(&app, "bot platform", "EDITOR").await;
    viewer_role(&app, &secret).await.data();
    let reply = app.admin_gql(REVOKE, json!({ "id": id })).await;
    assert_eq!(reply.data()["revokeApiToken"], id.as_str());

    let after = viewer_role(&app, &secret).await;
    assert_eq!(after.code(), "UNAUTHENTICATED");
    let write = app
        .gql(
            &secret,
            "mutation { createGlobalRule(text: \"x\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(write.code(), "UNAUTHENTICATED");
    assert!(api_tokens(&app)
        .await
        .iter()
        .all(|t| t["id"] != id.as_str()));
    let again = app.admin_gql(REVOKE, json!({ "id": id })).await;
    assert_eq!(again.code(), "NOT_FOUND");
}

#[tokio::test]
async fn the_last_admin_token_cannot_be_revoked() {
    let app = TestApp::spawn().await;
    create_token(&app, "reader", "READER").await;
    let before = api_tokens(&app).await;
    let admin_id = before[0]["id"].as_str().expect("id").to_owned();
    let reply = app.admin_gql(REVOKE, json!({ "id": admin_id })).await;
    assert_eq!(reply.code(), "CONFLICT");
    assert_eq!(reply.body["data"], Value::Null);
    assert_eq!(
        viewer_role(&app, &app.admin).await.data()["viewer"]["role"],
        "ADMIN"
    );
    let ids =
        |tokens: Vec<Value>| -> Vec<Value> { tokens.iter().map(|t| t["id"].clone()).collect() };
    assert_eq!(ids(api_tokens(&app).await), ids(before));
}

#[tokio::test]
async fn an_admin_token_can_be_revoked_while_another_remains() {
    let app = TestApp::spawn().await;
    let first_admin = api_tokens(&app).await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (second_admin, second) = create_token(&app, "second admin", "ADMIN").await;

    // An admin may revoke its own token; the next request with it is refused.
    let own = app.admin_gql(REVOKE, json!({ "id": first_admin })).await;
    assert_eq!(own.data()["revokeApiToken"], first_admin.as_str());
    assert_eq!(
        viewer_role(&app, &app.admin).await.code(),
        "UNAUTHENTICATED"
    );

    // Now the second is the last ADMIN token.
    let last = app
        .gql(&second, REVOKE, json!({ "id": second_admin }))
        .await;
    assert_eq!(last.code(), "CONFLICT");
    assert_eq!(
        viewer_role(&app, &second).await.data()["viewer"]["role"],
        "ADMIN"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_admins_revoking_each_other_at_once_leave_one_admin() {
    let app = TestApp::spawn().await;
    let first_admin = api_tokens(&app).await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (second_admin, second) = create_token(&app, "second admin", "ADMIN").await;
    let requests = vec![
        (app.admin.as_str(), json!({ "id": second_admin })),
        (second.as_str(), json!({ "id": first_admin })),
    ];
    let bodies = concurrently(&app, REVOKE, requests).await;
    let revoked = bodies.iter().filter(|b| b.get("errors").is_none()).count();
    assert_eq!(revoked, 1, "{bodies:#?}");
    let admins = api_tokens_with(&app, &[&app.admin, &second]).await;
    assert_eq!(admins, 1, "exactly one ADMIN token must remain");
}

/// How many ADMIN tokens the workspace has, asked with whichever of `candidates` still works.
async fn api_tokens_with(app: &TestApp, candidates: &[&String]) -> usize {
    for token in candidates {
        let reply = app.gql(token, "{ apiTokens { role } }", json!({})).await;
        if reply.body.get("errors").is_none() {
            return reply.data()["apiTokens"]
                .as_array()
                .expect("list")
                .iter()
                .filter(|t| t["role"] == "ADMIN")
                .count();
        }
    }
    0
}

#[tokio::test]
async fn revoking_a_malformed_or_unknown_id_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    create_token(&app, "reader", "READER").await;
    let before = api_tokens(&app).await.len();
    let malformed = app.admin_gql(REVOKE, json!({ "id": "nope" })).await;
    assert_eq!(malformed.code(), "BAD_USER_INPUT");
    assert_eq!(malformed.field(), "id");
    let unknown = app
        .admin_gql(REVOKE, json!({ "id": Uuid::now_v7().to_string() }))
        .await;
    assert_eq!(unknown.code(), "NOT_FOUND");
    assert_eq!(api_tokens(&app).await.len(), before);
}
