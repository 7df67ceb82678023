//! Training blocks through the API, with the helpers their tests share.

mod bulk;
mod create;
mod listing;
mod plain_answers;
mod query_plans;
mod update;

use serde_json::{json, Value};

use crate::harness::{Reply, TestApp};

/// Every field of a block, as the tests read it back.
pub(super) const BLOCK: &str =
    "id status tag additionalRules notes exchanges { prompt response } createdAt updatedAt";

pub(super) fn exchanges(pairs: &[(&str, &str)]) -> Value {
    pairs
        .iter()
        .map(|(prompt, response)| json!({ "prompt": prompt, "response": response }))
        .collect()
}

pub(super) async fn create(app: &TestApp, input: Value) -> Reply {
    let query = format!(
        "mutation($input: CreateTrainingBlockInput!) {{ createTrainingBlock(input: $input) {{ {BLOCK} }} }}"
    );
    app.admin_gql(&query, json!({ "input": input })).await
}

/// Creates a block and returns it as the API does.
pub(super) async fn create_ok(app: &TestApp, input: Value) -> Value {
    create(app, input).await.data()["createTrainingBlock"].clone()
}

pub(super) async fn update(app: &TestApp, id: &str, input: Value) -> Reply {
    let query = format!(
        "mutation($id: ID!, $input: UpdateTrainingBlockInput!) {{ updateTrainingBlock(id: $id, input: $input) {{ {BLOCK} }} }}"
    );
    app.admin_gql(&query, json!({ "id": id, "input": input }))
        .await
}

pub(super) async fn read(app: &TestApp, id: &str) -> Reply {
    let query = format!("query($id: ID!) {{ trainingBlock(id: $id) {{ {BLOCK} }} }}");
    app.admin_gql(&query, json!({ "id": id })).await
}

/// Every block of the test workspace with every field: compare two of these to prove that a
/// failed mutation changed nothing.
pub(super) async fn snapshot(app: &TestApp) -> Value {
    let query = format!("{{ trainingBlocks(first: 500) {{ totalCount nodes {{ {BLOCK} }} }} }}");
    app.admin_gql(&query, json!({})).await.data()["trainingBlocks"].clone()
}

/// The ids of the blocks matching `filter`, in listing order.
pub(super) async fn listed(app: &TestApp, filter: Value) -> Vec<String> {
    let reply = app
        .admin_gql(
            "query($filter: TrainingBlockFilter) { trainingBlocks(first: 500, filter: $filter) { totalCount nodes { id } } }",
            json!({ "filter": filter }),
        )
        .await;
    let page = &reply.data()["trainingBlocks"];
    let ids: Vec<String> = ids_of(&page["nodes"]);
    assert_eq!(
        page["totalCount"],
        json!(ids.len()),
        "totalCount of {filter}"
    );
    ids
}

pub(super) fn ids_of(nodes: &Value) -> Vec<String> {
    nodes
        .as_array()
        .expect("a list")
        .iter()
        .map(|node| node["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Runs a bulk mutation (`delete`, `status` or `tag`) as ADMIN.
pub(super) async fn bulk(app: &TestApp, mutation: &str, vars: Value) -> Reply {
    let query = match mutation {
        "delete" => "mutation($ids: [ID!]!) { deleteTrainingBlocks(ids: $ids) }",
        "status" => "mutation($ids: [ID!]!, $status: TrainingStatus!) { setTrainingBlocksStatus(ids: $ids, status: $status) }",
        "tag" => "mutation($ids: [ID!]!, $tag: String) { setTrainingBlocksTag(ids: $ids, tag: $tag) }",
        other => panic!("unknown bulk mutation {other}"),
    };
    app.admin_gql(query, vars).await
}

#[track_caller]
pub(super) fn assert_bad_input(reply: &Reply, field: &str) {
    assert_eq!(reply.code(), "BAD_USER_INPUT", "{:#}", reply.body);
    assert_eq!(reply.field(), field, "{:#}", reply.body);
}

pub(super) fn an_unknown_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
