//! Trained is not callable: a model trained on Together or Nebius is called only once deployed,
//! switches to a new deployment in one step, and leaves `availableModels` when the provider
//! removes its deployment.

use serde_json::{json, Value};
use tuner::auth::Role;

use super::{answering_model, available, fixture, NEBIUS, TOGETHER};
use crate::harness::http_options;
use crate::training_jobs::Fixture;

const MODEL: &str = "query($id: ID!) { customModel(id: $id) { status fineTunedModel servingModel
    deployment { id state serving cost } } }";

async fn model(fixture: &Fixture) -> Value {
    let reply = fixture
        .app
        .admin_gql(MODEL, json!({ "id": fixture.model_id }))
        .await;
    reply.data()["customModel"].clone()
}

async fn deploy(fixture: &Fixture) -> Value {
    let query = "mutation($id: ID!) { deployCustomModel(id: $id) { status servingModel deployment { state serving cost } } }";
    let reply = fixture
        .app
        .admin_gql(query, json!({ "id": fixture.model_id }))
        .await;
    reply.data()["deployCustomModel"].clone()
}

/// Trains the fixture's model on its blocks with `input` and finishes the job.
async fn train(fixture: &Fixture, input: Value) {
    let reply = fixture.run(input).await;
    let job_id = reply.data()["runTrainingJob"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(fixture.finish(&job_id).await["status"], "SUCCEEDED");
}

/// One round of the poller's deployment checks, after the emulator's deployments had time.
async fn deployments_checked(fixture: &Fixture) {
    fixture.emulator.advance(60);
    tuner::deployments::check_all(&fixture.app.context())
        .await
        .expect("check deployments");
}

#[tokio::test]
async fn a_together_model_is_called_once_its_endpoint_is_up_and_not_after_the_provider_stops_it() {
    let fixture = fixture(&TOGETHER, 1_000).await;
    fixture.blocks(3, None).await;
    train(&fixture, json!({})).await;
    assert_eq!(model(&fixture).await["status"], "TRAINED");

    let deploying = deploy(&fixture).await;
    assert_eq!(deploying["status"], "DEPLOYING");
    assert_eq!(deploying["deployment"]["serving"], false);
    assert!(deploying["deployment"]["cost"]
        .as_str()
        .unwrap_or_default()
        .contains("per minute"));
    assert_eq!(
        available(&fixture).await,
        Vec::<Value>::new(),
        "not callable while it starts"
    );

    deployments_checked(&fixture).await;
    let ready = model(&fixture).await;
    assert_eq!(ready["status"], "READY");
    assert_eq!(ready["deployment"]["state"], "STARTED");
    let serving = ready["servingModel"]
        .as_str()
        .expect("serving model")
        .to_owned();
    let listed = available(&fixture).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["providerModel"], serving.as_str());

    // Bots call it through tuner, which sends the endpoint's name to Together.
    let base = fixture.app.serve(http_options()).await;
    let reader = fixture.app.token(Role::Reader).await;
    assert_eq!(answering_model(&base, &reader).await, serving);

    // Together stops idle endpoints: the model is no longer callable until deployed again.
    assert_eq!(fixture.emulator.undeploy_idle(0).len(), 1);
    deployments_checked(&fixture).await;
    let stopped = model(&fixture).await;
    assert_eq!(stopped["status"], "TRAINED");
    assert_eq!(stopped["servingModel"], Value::Null);
    assert!(stopped["deployment"]["state"]
        .as_str()
        .unwrap_or_default()
        .contains("deploy again"));
    assert_eq!(available(&fixture).await, Vec::<Value>::new());
}

#[tokio::test]
async fn a_newer_model_replaces_the_served_one_only_once_its_deployment_is_up() {
    let fixture = fixture(&TOGETHER, 1_000).await;
    fixture.blocks(3, None).await;
    train(&fixture, json!({})).await;
    deploy(&fixture).await;
    deployments_checked(&fixture).await;
    let first = model(&fixture).await["servingModel"].clone();
    assert!(first.is_string());

    fixture.blocks(3, None).await;
    train(&fixture, json!({ "fromBaseModel": true })).await;
    let trained = model(&fixture).await;
    assert_eq!(trained["status"], "TRAINED");
    assert_eq!(
        available(&fixture).await[0]["providerModel"],
        first,
        "the old one still answers"
    );

    assert_eq!(deploy(&fixture).await["status"], "DEPLOYING");
    assert_eq!(
        available(&fixture).await[0]["providerModel"],
        first,
        "still, while it starts"
    );
    deployments_checked(&fixture).await;
    let switched = model(&fixture).await;
    assert_eq!(switched["status"], "READY");
    assert_ne!(switched["servingModel"], first);
    assert_eq!(
        available(&fixture).await[0]["providerModel"],
        switched["servingModel"]
    );
    let endpoints = fixture.emulator.undeploy_idle(0);
    assert_eq!(
        endpoints.len(),
        1,
        "the replaced endpoint was removed: {endpoints:?}"
    );
}

#[tokio::test]
async fn a_nebius_job_asked_to_deploy_registers_its_checkpoint_and_can_be_undeployed() {
    let fixture = fixture(&NEBIUS, 1_000).await;
    fixture.blocks(10, None).await;
    train(&fixture, json!({ "deploy": true })).await;
    let registering = model(&fixture).await;
    assert_eq!(registering["status"], "DEPLOYING");
    assert_eq!(registering["deployment"]["state"], "validating");

    deployments_checked(&fixture).await;
    let ready = model(&fixture).await;
    assert_eq!(
        (
            ready["status"].as_str(),
            ready["deployment"]["state"].as_str()
        ),
        (Some("READY"), Some("active"))
    );
    assert_eq!(
        available(&fixture).await[0]["providerModel"],
        ready["servingModel"]
    );

    let query = "mutation($id: ID!) { undeployCustomModel(id: $id) { status servingModel } }";
    let reply = fixture
        .app
        .admin_gql(query, json!({ "id": fixture.model_id }))
        .await;
    let undeployed = reply.data()["undeployCustomModel"].clone();
    assert_eq!(
        (undeployed["status"].as_str(), &undeployed["servingModel"]),
        (Some("TRAINED"), &Value::Null)
    );
    assert_eq!(available(&fixture).await, Vec::<Value>::new());
}

#[tokio::test]
async fn there_is_nothing_to_deploy_before_training_or_on_openai() {
    let together = fixture(&TOGETHER, 1_000).await;
    let query = "mutation($id: ID!) { deployCustomModel(id: $id) { status } }";
    let reply = together
        .app
        .admin_gql(query, json!({ "id": together.model_id }))
        .await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    assert!(
        reply.message().contains("run a training job first"),
        "{}",
        reply.message()
    );

    let openai = Fixture::new(1_000).await;
    openai.blocks(10, None).await;
    train(&openai, json!({})).await;
    let reply = openai
        .app
        .admin_gql(query, json!({ "id": openai.model_id }))
        .await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    assert!(
        reply.message().contains("nothing to deploy"),
        "{}",
        reply.message()
    );
    let reader = openai.app.token(Role::Reader).await;
    let reply = openai
        .app
        .gql(&reader, query, json!({ "id": openai.model_id }))
        .await;
    assert_eq!(reply.code(), "FORBIDDEN");
}

const DEPLOY_WITH: &str = "mutation($id: ID!, $input: DeploymentInput) {
    deployCustomModel(id: $id, input: $input) { status deployment { id } } }";

/// The Together endpoint `id` as the emulator serves it.
async fn together_endpoint(fixture: &Fixture, id: &str) -> Value {
    let url = format!(
        "{}/endpoints/{id}",
        fixture.emulator.base_url_for(TOGETHER.dialect)
    );
    reqwest::Client::new()
        .get(url)
        .bearer_auth(crate::training_jobs::API_KEY)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn a_together_endpoint_gets_the_hardware_replicas_and_idle_window_asked_for() {
    let fixture = fixture(&TOGETHER, 1_000).await;
    fixture.blocks(3, None).await;
    train(&fixture, json!({})).await;
    let input = json!({ "hardware": "2x_nvidia_a100_80gb_sxm", "minReplicas": 1,
        "maxReplicas": 2, "idleMinutes": 15 });
    let reply = fixture
        .app
        .admin_gql(
            DEPLOY_WITH,
            json!({ "id": fixture.model_id, "input": input }),
        )
        .await;
    let deployed = reply.data()["deployCustomModel"].clone();
    assert_eq!(deployed["status"], "DEPLOYING");
    let endpoint_id = deployed["deployment"]["id"].as_str().expect("endpoint id");
    let endpoint = together_endpoint(&fixture, endpoint_id).await;
    assert_eq!(endpoint["hardware"], "2x_nvidia_a100_80gb_sxm");
    assert_eq!(
        endpoint["autoscaling"],
        json!({ "min_replicas": 1, "max_replicas": 2 })
    );
    assert_eq!(endpoint["inactive_timeout"], 15);

    let again = json!({ "hardware": "1x_nvidia_h100_80gb_sxm" });
    let reply = fixture
        .app
        .admin_gql(
            DEPLOY_WITH,
            json!({ "id": fixture.model_id, "input": again }),
        )
        .await;
    assert_eq!(
        reply.code(),
        "CONFLICT",
        "other choices need an undeploy first"
    );
    assert_eq!(fixture.emulator.deployments_for(TOGETHER.dialect).len(), 1);
}

#[tokio::test]
async fn deployment_choices_are_refused_where_the_provider_runs_the_hardware() {
    let fixture = fixture(&NEBIUS, 1_000).await;
    fixture.blocks(10, None).await;
    train(&fixture, json!({})).await;
    let input = json!({ "hardware": "1x_nvidia_h100_80gb_sxm" });
    let reply = fixture
        .app
        .admin_gql(
            DEPLOY_WITH,
            json!({ "id": fixture.model_id, "input": input }),
        )
        .await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    assert!(reply.message().contains("nebius"), "{}", reply.message());
    assert_eq!(
        model(&fixture).await["status"],
        "TRAINED",
        "nothing started"
    );
}

#[tokio::test]
async fn a_job_that_deploys_on_success_keeps_the_deployment_choices_it_was_given() {
    let fixture = fixture(&TOGETHER, 1_000).await;
    fixture.blocks(3, None).await;
    let refused = fixture
        .run(json!({ "deployment": { "idleMinutes": 20 } }))
        .await;
    assert_eq!(refused.code(), "BAD_USER_INPUT");
    assert_eq!(refused.field(), "deployment");

    let choices = json!({ "hardware": "1x_nvidia_l40s_48gb", "idleMinutes": 20 });
    train(&fixture, json!({ "deploy": true, "deployment": choices })).await;
    let deploying = model(&fixture).await;
    assert_eq!(deploying["status"], "DEPLOYING");
    let endpoint_id = deploying["deployment"]["id"].as_str().expect("endpoint id");
    let endpoint = together_endpoint(&fixture, endpoint_id).await;
    assert_eq!(endpoint["hardware"], "1x_nvidia_l40s_48gb");
    assert_eq!(endpoint["inactive_timeout"], 20);
}
