//! `CustomModel.trainingJobs`: a model's jobs as a Relay connection, newest first.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{json, Value};
use tuner::auth::Role;
use tuner::entities::training_job::{self, JobHyperparameters, JobStatus};
use tuner::ids::{JobId, ModelId, TypedId, WorkspaceId};

use crate::harness::TestApp;

/// Stores an ended job of the model, as a finished run leaves it.
async fn stored_job(app: &TestApp, workspace_id: WorkspaceId, model_id: ModelId) -> JobId {
    let now = Utc::now();
    let job = training_job::ActiveModel {
        id: Set(JobId::generate()),
        workspace_id: Set(workspace_id),
        model_id: Set(model_id),
        status: Set(JobStatus::Failed),
        provider: Set("openai".to_owned()),
        base_model: Set("gpt-4o-mini-2024-07-18".to_owned()),
        root_model: Set(None),
        hyperparameters: Set(JobHyperparameters::default()),
        suffix: Set(None),
        system_prompt: Set(None),
        block_count: Set(10),
        token_count: Set(100),
        charge_credits: Set(10),
        file_sha256: Set("0".repeat(64)),
        file_bytes: Set(1_000),
        provider_file_id: Set(None),
        provider_job_id: Set(None),
        fine_tuned_model: Set(None),
        trained_tokens: Set(None),
        error_code: Set(None),
        error_message: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        submitted_at: Set(None),
        finished_at: Set(Some(now)),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        deploy_on_success: Set(false),
        deployment_options: Set(None),
    };
    job.insert(&app.db).await.expect("job").id
}

const PAGE: &str = "query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
    customModel(id: $id) {
        trainingJobs(first: $first, after: $after, last: $last, before: $before) {
            edges { cursor node { id } }
            nodes { id }
            pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
            totalCount
        }
    }
}";

async fn page(app: &TestApp, model: &str, args: Value) -> Value {
    let mut variables = args;
    variables["id"] = json!(model);
    let reply = app.admin_gql(PAGE, variables).await;
    reply.data()["customModel"]["trainingJobs"].clone()
}

fn ids(page: &Value) -> Vec<String> {
    let nodes = page["nodes"].as_array().expect("nodes");
    nodes
        .iter()
        .map(|n| n["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn a_models_jobs_page_newest_first_and_leave_other_models_out() {
    let app = TestApp::spawn().await;
    let model = app.create_model("support").await;
    let other = app.create_model("sales").await;
    let model_id = ModelId::parse("id", &model).expect("id");
    let mut jobs = Vec::new();
    for _ in 0..5 {
        jobs.push(
            stored_job(&app, app.workspace_id, model_id)
                .await
                .to_string(),
        );
    }
    stored_job(
        &app,
        app.workspace_id,
        ModelId::parse("id", &other).expect("id"),
    )
    .await;
    let newest_first: Vec<String> = jobs.iter().rev().cloned().collect();

    let first = page(&app, &model, json!({ "first": 2 })).await;
    assert_eq!(ids(&first), newest_first[..2]);
    assert_eq!(first["totalCount"], 5);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["pageInfo"]["hasPreviousPage"], false);
    assert_eq!(first["edges"][1]["cursor"], first["pageInfo"]["endCursor"]);

    let after = first["pageInfo"]["endCursor"].clone();
    let second = page(&app, &model, json!({ "first": 2, "after": after })).await;
    assert_eq!(ids(&second), newest_first[2..4]);
    assert_eq!(second["pageInfo"]["hasPreviousPage"], true);
    let after = second["pageInfo"]["endCursor"].clone();
    let third = page(&app, &model, json!({ "first": 2, "after": after })).await;
    assert_eq!(ids(&third), newest_first[4..]);
    assert_eq!(third["pageInfo"]["hasNextPage"], false);

    let oldest = page(&app, &model, json!({ "last": 2 })).await;
    assert_eq!(
        ids(&oldest),
        newest_first[3..],
        "last counts from the oldest end"
    );
    let before = oldest["pageInfo"]["startCursor"].clone();
    let newer = page(&app, &model, json!({ "last": 2, "before": before })).await;
    assert_eq!(ids(&newer), newest_first[1..3]);
    assert_eq!(newer["pageInfo"]["hasNextPage"], true);
    assert_eq!(newer["pageInfo"]["hasPreviousPage"], true);
}

#[tokio::test]
async fn a_reader_may_not_page_a_models_jobs() {
    let app = TestApp::spawn().await;
    let model = app.create_model("support").await;
    let reader = app.token(Role::Reader).await;
    let reply = app
        .gql(&reader, PAGE, json!({ "id": model, "first": 1 }))
        .await;
    assert_eq!(reply.code(), "FORBIDDEN");
}
