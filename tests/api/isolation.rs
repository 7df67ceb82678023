//! Workspace isolation: every read and write is confined to the token's workspace, and another
//! workspace's id behaves exactly like an id that does not exist.

use serde_json::{json, Value};
use uuid::Uuid;

use crate::harness::{Reply, TestApp};

/// Everything a workspace holds, as its own ADMIN sees it.
const STATE: &str = "{
    globalRules { id text position updatedAt }
    systemPrompt
    trainingBlocks {
        totalCount
        nodes { id status tag additionalRules notes updatedAt exchanges { prompt response } }
    }
    trainingTags { tag count }
    customModels { id name description provider baseModel status updatedAt }
    apiTokens { id name role }
}";

/// Two workspaces, each with a rule, a tagged block, a model and a spare READER token.
struct Tenants {
    app: TestApp,
    /// ADMIN token of the second workspace ("other").
    other: String,
    ours: Ids,
    theirs: Ids,
}

#[derive(Clone)]
struct Ids {
    rule: String,
    block: String,
    model: String,
    /// A READER token that is not the workspace's last ADMIN, so revoking it could succeed.
    token: String,
    /// The workspace's only ADMIN token.
    admin_token: String,
}

fn id_of(reply: &Reply, path: &[&str]) -> String {
    let mut value = reply.data();
    for key in path {
        value = &value[*key];
    }
    value.as_str().expect("id").to_owned()
}

async fn populate(app: &TestApp, token: &str, prefix: &str) -> Ids {
    let rule = app
        .gql(
            token,
            "mutation($t: String!) { createGlobalRule(text: $t) { id } }",
            json!({ "t": format!("{prefix} rule") }),
        )
        .await;
    let block = app
        .gql(
            token,
            "mutation($input: CreateTrainingBlockInput!) {
                createTrainingBlock(input: $input) { id }
            }",
            json!({ "input": {
                "tag": format!("{prefix}-tag"),
                "exchanges": [{
                    "prompt": format!("{prefix} prompt"),
                    "response": format!("{prefix} response"),
                }],
            } }),
        )
        .await;
    let model = app
        .gql(
            token,
            "mutation($n: String!) { createCustomModel(input: {name: $n}) { id } }",
            json!({ "n": format!("{prefix} model") }),
        )
        .await;
    let reader = app
        .gql(
            token,
            "mutation { createApiToken(name: \"reader\", role: READER) { token { id } } }",
            json!({}),
        )
        .await;
    let tokens = app.gql(token, "{ apiTokens { id role } }", json!({})).await;
    let admin_token = tokens.data()["apiTokens"]
        .as_array()
        .expect("list")
        .iter()
        .find(|t| t["role"] == "ADMIN")
        .expect("admin")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    Ids {
        rule: id_of(&rule, &["createGlobalRule", "id"]),
        block: id_of(&block, &["createTrainingBlock", "id"]),
        model: id_of(&model, &["createCustomModel", "id"]),
        token: id_of(&reader, &["createApiToken", "token", "id"]),
        admin_token,
    }
}

async fn tenants() -> Tenants {
    let app = TestApp::spawn().await;
    let other = app.other_workspace("other").await;
    let ours = populate(&app, &app.admin.clone(), "ours").await;
    let theirs = populate(&app, &other, "theirs").await;
    Tenants {
        app,
        other,
        ours,
        theirs,
    }
}

impl Tenants {
    async fn state_of(&self, token: &str) -> Value {
        self.app.gql(token, STATE, json!({})).await.data().clone()
    }

    /// Both workspaces' states.
    async fn snapshot(&self) -> (Value, Value) {
        (
            self.state_of(&self.app.admin).await,
            self.state_of(&self.other).await,
        )
    }
}

/// An operation taking ids, with the variables to send for a given id.
struct IdOperation {
    name: &'static str,
    query: &'static str,
    variables: fn(&str) -> Value,
    /// Which of a workspace's ids the operation takes.
    pick: fn(&Ids) -> &String,
}

fn op(
    name: &'static str,
    query: &'static str,
    variables: fn(&str) -> Value,
    pick: fn(&Ids) -> &String,
) -> IdOperation {
    IdOperation {
        name,
        query,
        variables,
        pick,
    }
}

fn one(id: &str) -> Value {
    json!({ "id": id })
}

fn many(id: &str) -> Value {
    json!({ "ids": [id] })
}

const UPDATE_RULE: &str =
    "mutation($id: ID!) { updateGlobalRule(id: $id, text: \"hijacked\") { id } }";
const DELETE_RULE: &str = "mutation($id: ID!) { deleteGlobalRule(id: $id) }";
const BLOCK: &str = "query($id: ID!) { trainingBlock(id: $id) { id notes } }";
const UPDATE_BLOCK: &str = "mutation($id: ID!) {
    updateTrainingBlock(id: $id, input: {notes: \"hijacked\", tag: \"hijacked\"}) { id }
}";
const DELETE_BLOCKS: &str = "mutation($ids: [ID!]!) { deleteTrainingBlocks(ids: $ids) }";
const SET_STATUS: &str =
    "mutation($ids: [ID!]!) { setTrainingBlocksStatus(ids: $ids, status: TRAINED) }";
const SET_TAG: &str =
    "mutation($ids: [ID!]!) { setTrainingBlocksTag(ids: $ids, tag: \"hijacked\") }";
const MODEL: &str = "query($id: ID!) { customModel(id: $id) { id name } }";
const UPDATE_MODEL: &str =
    "mutation($id: ID!) { updateCustomModel(id: $id, input: {name: \"hijacked\"}) { id } }";
const DELETE_MODEL: &str = "mutation($id: ID!) { deleteCustomModel(id: $id) }";
const REVOKE: &str = "mutation($id: ID!) { revokeApiToken(id: $id) }";

fn id_operations() -> Vec<IdOperation> {
    vec![
        op("updateGlobalRule", UPDATE_RULE, one, |ids| &ids.rule),
        op("deleteGlobalRule", DELETE_RULE, one, |ids| &ids.rule),
        op("trainingBlock", BLOCK, one, |ids| &ids.block),
        op("updateTrainingBlock", UPDATE_BLOCK, one, |ids| &ids.block),
        op("deleteTrainingBlocks", DELETE_BLOCKS, many, |ids| {
            &ids.block
        }),
        op("setTrainingBlocksStatus", SET_STATUS, many, |ids| {
            &ids.block
        }),
        op("setTrainingBlocksTag", SET_TAG, many, |ids| &ids.block),
        op("customModel", MODEL, one, |ids| &ids.model),
        op("updateCustomModel", UPDATE_MODEL, one, |ids| &ids.model),
        op("deleteCustomModel", DELETE_MODEL, one, |ids| &ids.model),
        op("revokeApiToken", REVOKE, one, |ids| &ids.token),
        op("revokeApiToken of the last ADMIN", REVOKE, one, |ids| {
            &ids.admin_token
        }),
    ]
}

#[tokio::test]
async fn another_workspace_id_behaves_like_an_unknown_id_in_every_operation() {
    let t = tenants().await;
    let before = t.snapshot().await;
    for operation in id_operations() {
        let name = operation.name;
        let foreign_id = (operation.pick)(&t.theirs);
        let unknown_id = Uuid::now_v7().to_string();
        let foreign = t
            .app
            .admin_gql(operation.query, (operation.variables)(foreign_id))
            .await;
        let unknown = t
            .app
            .admin_gql(operation.query, (operation.variables)(&unknown_id))
            .await;
        assert_eq!(unknown.code(), "NOT_FOUND", "{name} with an unknown id");
        assert_eq!(foreign.code(), unknown.code(), "{name} with a foreign id");
        assert_eq!(foreign.field(), unknown.field(), "{name}");
        assert_eq!(
            foreign.message().replace(foreign_id.as_str(), "<id>"),
            unknown.message().replace(&unknown_id, "<id>"),
            "{name}: the message must not tell a foreign id from an unknown one"
        );
        assert_eq!(foreign.body["data"], Value::Null, "{name}");
        assert_eq!(
            foreign.body["errors"].as_array().map(Vec::len),
            Some(1),
            "{name}"
        );
        assert_eq!(t.snapshot().await, before, "{name} changed something");
    }
}

#[tokio::test]
async fn the_other_workspace_cannot_reach_ours_either() {
    let t = tenants().await;
    let before = t.snapshot().await;
    for operation in id_operations() {
        let reply = t
            .app
            .gql(
                &t.other,
                operation.query,
                (operation.variables)((operation.pick)(&t.ours)),
            )
            .await;
        assert_eq!(reply.code(), "NOT_FOUND", "{}", operation.name);
    }
    assert_eq!(t.snapshot().await, before);
}

#[tokio::test]
async fn a_bulk_change_naming_one_foreign_block_changes_no_block_at_all() {
    let t = tenants().await;
    let before = t.snapshot().await;
    let ids = json!([t.ours.block, t.theirs.block]);
    let operations = [
        ("deleteTrainingBlocks", DELETE_BLOCKS),
        ("setTrainingBlocksStatus", SET_STATUS),
        ("setTrainingBlocksTag", SET_TAG),
    ];
    for (name, query) in operations {
        let reply = t.app.admin_gql(query, json!({ "ids": ids })).await;
        assert_eq!(reply.code(), "NOT_FOUND", "{name}");
        assert_eq!(t.snapshot().await, before, "{name} changed something");
    }
}

#[tokio::test]
async fn reordering_with_another_workspace_rule_is_refused_like_an_unknown_id() {
    let t = tenants().await;
    let second = t.app.create_rule("ours second").await;
    let before = t.snapshot().await;
    let unknown = Uuid::now_v7().to_string();
    let query = "mutation($ids: [ID!]!) { reorderGlobalRules(ids: $ids) { id } }";
    let orders = [
        ("foreign added", json!([second, t.ours.rule, t.theirs.rule])),
        ("unknown added", json!([second, t.ours.rule, unknown])),
        ("foreign instead of ours", json!([second, t.theirs.rule])),
        ("unknown instead of ours", json!([second, unknown])),
    ];
    for (what, ids) in orders {
        let reply = t.app.admin_gql(query, json!({ "ids": ids })).await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{what}");
        assert_eq!(reply.field(), "ids", "{what}");
        assert_eq!(t.snapshot().await, before, "{what} changed something");
    }
    // Their own rule list is theirs to reorder; ours plays no part in it.
    let theirs = t
        .app
        .gql(&t.other, query, json!({ "ids": [t.theirs.rule] }))
        .await;
    assert_eq!(
        theirs.data()["reorderGlobalRules"],
        json!([{ "id": t.theirs.rule }])
    );
}

#[tokio::test]
async fn lists_show_only_the_callers_workspace() {
    let t = tenants().await;
    let (ours, theirs) = t.snapshot().await;

    assert_eq!(
        ours["globalRules"]
            .as_array()
            .expect("list")
            .iter()
            .map(|r| r["id"].clone())
            .collect::<Vec<_>>(),
        [json!(t.ours.rule)]
    );
    assert_eq!(ours["systemPrompt"], "ours rule");
    assert_eq!(theirs["systemPrompt"], "theirs rule");

    assert_eq!(ours["trainingBlocks"]["totalCount"], 1);
    assert_eq!(
        ours["trainingBlocks"]["nodes"][0]["id"],
        t.ours.block.as_str()
    );
    assert_eq!(theirs["trainingBlocks"]["totalCount"], 1);
    assert_eq!(
        theirs["trainingBlocks"]["nodes"][0]["id"],
        t.theirs.block.as_str()
    );

    assert_eq!(
        ours["trainingTags"],
        json!([{ "tag": "ours-tag", "count": 1 }])
    );
    assert_eq!(
        theirs["trainingTags"],
        json!([{ "tag": "theirs-tag", "count": 1 }])
    );

    let model_ids = |state: &Value| -> Vec<Value> {
        state["customModels"]
            .as_array()
            .expect("list")
            .iter()
            .map(|m| m["id"].clone())
            .collect()
    };
    assert_eq!(model_ids(&ours), [json!(t.ours.model)]);
    assert_eq!(model_ids(&theirs), [json!(t.theirs.model)]);

    let token_ids = |state: &Value| -> Vec<Value> {
        state["apiTokens"]
            .as_array()
            .expect("list")
            .iter()
            .map(|t| t["id"].clone())
            .collect()
    };
    assert_eq!(
        token_ids(&ours),
        [json!(t.ours.admin_token), json!(t.ours.token)]
    );
    assert_eq!(
        token_ids(&theirs),
        [json!(t.theirs.admin_token), json!(t.theirs.token)]
    );
}

#[tokio::test]
async fn a_search_finds_only_the_callers_blocks() {
    let t = tenants().await;
    let query =
        "query($s: String!) { trainingBlocks(filter: {search: $s}) { totalCount nodes { id } } }";
    let ours = t.app.admin_gql(query, json!({ "s": "prompt" })).await;
    assert_eq!(
        ours.data()["trainingBlocks"],
        json!({ "totalCount": 1, "nodes": [{ "id": t.ours.block }] })
    );
    let by_their_text = t.app.admin_gql(query, json!({ "s": "theirs" })).await;
    assert_eq!(
        by_their_text.data()["trainingBlocks"],
        json!({ "totalCount": 0, "nodes": [] })
    );
    let by_their_tag = t
        .app
        .admin_gql(
            "{ trainingBlocks(filter: {tag: \"theirs-tag\"}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(by_their_tag.data()["trainingBlocks"]["totalCount"], 0);
}

#[tokio::test]
async fn each_viewer_sees_its_own_workspace() {
    let t = tenants().await;
    let query = "{ viewer { workspace { id name } role } }";
    let ours = t.app.admin_gql(query, json!({})).await;
    let theirs = t.app.gql(&t.other, query, json!({})).await;
    assert_eq!(
        ours.data()["viewer"]["workspace"]["id"],
        t.app.workspace_id.to_string()
    );
    assert_eq!(ours.data()["viewer"]["workspace"]["name"], "test");
    assert_eq!(theirs.data()["viewer"]["workspace"]["name"], "other");
    assert_ne!(
        theirs.data()["viewer"]["workspace"]["id"],
        ours.data()["viewer"]["workspace"]["id"]
    );
}

#[tokio::test]
async fn writes_land_only_in_the_callers_workspace() {
    let t = tenants().await;
    let (_, theirs_before) = t.snapshot().await;
    t.app.create_rule("ours second").await;
    t.app.create_block(&[("p", "r")], Some("ours-tag")).await;
    t.app.create_model("ours second model").await;
    t.app
        .admin_gql(
            "mutation { createApiToken(name: \"x\", role: EDITOR) { secret } }",
            json!({}),
        )
        .await
        .data();
    let (ours, theirs) = t.snapshot().await;
    assert_eq!(theirs, theirs_before);
    assert_eq!(ours["systemPrompt"], "ours rule\nours second");
    assert_eq!(ours["trainingBlocks"]["totalCount"], 2);
    assert_eq!(
        ours["trainingTags"],
        json!([{ "tag": "ours-tag", "count": 2 }])
    );
    assert_eq!(ours["customModels"].as_array().expect("list").len(), 2);
    assert_eq!(ours["apiTokens"].as_array().expect("list").len(), 3);
}

#[tokio::test]
async fn a_model_may_take_a_name_used_in_another_workspace_on_rename() {
    let t = tenants().await;
    let reply = t
        .app
        .admin_gql(
            "mutation($id: ID!) {
                updateCustomModel(id: $id, input: {name: \"theirs model\"}) { name }
            }",
            json!({ "id": t.ours.model }),
        )
        .await;
    assert_eq!(reply.data()["updateCustomModel"]["name"], "theirs model");
    let theirs = t
        .app
        .gql(&t.other, "{ customModels { id name } }", json!({}))
        .await;
    assert_eq!(
        theirs.data()["customModels"],
        json!([{ "id": t.theirs.model, "name": "theirs model" }])
    );
}

#[tokio::test]
async fn a_foreign_token_keeps_working_after_a_refused_revoke() {
    let t = tenants().await;
    let reader = t
        .app
        .gql(
            &t.other,
            "mutation { createApiToken(name: \"bot\", role: READER) { secret token { id } } }",
            json!({}),
        )
        .await;
    let secret = reader.data()["createApiToken"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let id = id_of(&reader, &["createApiToken", "token", "id"]);
    let refused = t.app.admin_gql(REVOKE, json!({ "id": id })).await;
    assert_eq!(refused.code(), "NOT_FOUND");
    let still = t.app.gql(&secret, "{ viewer { role } }", json!({})).await;
    assert_eq!(still.data()["viewer"]["role"], "READER");
}
