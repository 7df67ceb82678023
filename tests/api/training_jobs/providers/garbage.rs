//! Answers no client can read, on every dialect: a job created behind a garbled answer is found
//! again and charged once, a garbled status answer changes nothing until a readable one comes,
//! and a deployment started behind a garbled answer is found, not started (and billed) twice.

use serde_json::json;
use tuner_emulator::Dialect;

use super::{charged_once, fixture, Provider, FIREWORKS, NEBIUS, TOGETHER};

/// The path that creates a job on the provider's dialect, and the prefix of its job reads.
fn job_paths(provider: &Provider) -> (&'static str, &'static str) {
    match provider.dialect {
        Dialect::Together => ("/together/v1/fine-tunes", "/together/v1/fine-tunes/"),
        Dialect::Nebius => (
            "/nebius/v1/fine_tuning/jobs",
            "/nebius/v1/fine_tuning/jobs/",
        ),
        Dialect::Fireworks => (
            "/fireworks/v1/accounts/acme/supervisedFineTuningJobs",
            "/fireworks/v1/accounts/acme/supervisedFineTuningJobs/",
        ),
        other => panic!("no job paths for {other:?}"),
    }
}

async fn garbled_answers_lose_nothing_and_charge_once(provider: &Provider) {
    let fixture = fixture(provider, 1_000).await;
    let blocks = tuner::provider::profile_or_default(provider.id)
        .data
        .min_examples;
    let ids = fixture.blocks(blocks, None).await;
    let (create, read) = job_paths(provider);
    fixture.emulator.garble_next("POST", create, 1);
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    assert_ne!(job["status"], "FAILED", "{job}");
    let remote_id = job["providerJobId"].as_str().expect("found again");
    assert_eq!(fixture.emulator.requests("POST", create), 1, "created once");
    let remote = fixture.emulator.jobs_for(provider.dialect);
    assert_eq!(remote.len(), 1);
    charged_once(&fixture, 1_000, blocks as i64).await;

    let job_id = job["id"].as_str().expect("id").to_owned();
    fixture.emulator.advance(3_600);
    fixture.emulator.garble_next("GET", read, 1);
    let query = "mutation($id: ID!) { refreshTrainingJob(id: $id) { status } }";
    let reply = fixture.app.admin_gql(query, json!({ "id": job_id })).await;
    assert!(
        reply.body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("could not read")),
        "{:?}",
        reply.body
    );
    let status = fixture.statuses(&ids).await;
    assert!(status.iter().all(|s| s == "TRAINED"), "{status:?}");

    let done = fixture.refresh(&job_id).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(done["providerJobId"], remote_id);
    charged_once(&fixture, 1_000, blocks as i64).await;
}

#[tokio::test]
async fn garbled_answers_from_together_lose_nothing_and_charge_once() {
    garbled_answers_lose_nothing_and_charge_once(&TOGETHER).await;
}

#[tokio::test]
async fn garbled_answers_from_nebius_lose_nothing_and_charge_once() {
    garbled_answers_lose_nothing_and_charge_once(&NEBIUS).await;
}

#[tokio::test]
async fn garbled_answers_from_fireworks_lose_nothing_and_charge_once() {
    garbled_answers_lose_nothing_and_charge_once(&FIREWORKS).await;
}

/// The path that starts a deployment on the provider's dialect.
fn deploy_path(provider: &Provider) -> &'static str {
    match provider.dialect {
        Dialect::Together => "/together/v1/endpoints",
        Dialect::Nebius => "/nebius/v0/models",
        Dialect::Fireworks => "/fireworks/v1/accounts/acme/deployments",
        other => panic!("no deployment path for {other:?}"),
    }
}

async fn a_deployment_started_behind_a_garbled_answer_is_found_not_started_twice(
    provider: &Provider,
) {
    let fixture = fixture(provider, 1_000).await;
    let blocks = tuner::provider::profile_or_default(provider.id)
        .data
        .min_examples;
    fixture.blocks(blocks, None).await;
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    let job_id = job["id"].as_str().expect("id");
    assert_eq!(fixture.finish(job_id).await["status"], "SUCCEEDED");

    fixture
        .emulator
        .garble_next("POST", deploy_path(provider), 1);
    let query = "mutation($id: ID!) { deployCustomModel(id: $id) { status } }";
    let reply = fixture
        .app
        .admin_gql(query, json!({ "id": fixture.model_id }))
        .await;
    assert_eq!(reply.data()["deployCustomModel"]["status"], "DEPLOYING");
    assert_eq!(fixture.emulator.requests("POST", deploy_path(provider)), 1);
    assert_eq!(fixture.emulator.deployments_for(provider.dialect).len(), 1);

    fixture.emulator.advance(600);
    tuner::deployments::check_all(&fixture.app.context())
        .await
        .expect("check deployments");
    assert_eq!(super::available(&fixture).await.len(), 1, "callable");
}

#[tokio::test]
async fn a_together_endpoint_started_behind_a_garbled_answer_is_found() {
    a_deployment_started_behind_a_garbled_answer_is_found_not_started_twice(&TOGETHER).await;
}

#[tokio::test]
async fn a_nebius_model_registered_behind_a_garbled_answer_is_found() {
    a_deployment_started_behind_a_garbled_answer_is_found_not_started_twice(&NEBIUS).await;
}

#[tokio::test]
async fn a_fireworks_deployment_made_behind_a_garbled_answer_is_found() {
    a_deployment_started_behind_a_garbled_answer_is_found_not_started_twice(&FIREWORKS).await;
}

#[tokio::test]
async fn a_job_that_cannot_be_looked_up_after_a_garbled_answer_is_left_for_repair_not_failed() {
    let fixture = fixture(&TOGETHER, 1_000).await;
    fixture.blocks(2, None).await;
    let (create, _) = job_paths(&TOGETHER);
    fixture.emulator.garble_next("POST", create, 1);
    fixture.emulator.fail_next("GET", create, 503, 20, None);
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    assert_eq!(job["status"], "SUBMITTING", "{job}");
    assert_eq!(fixture.emulator.jobs_for(Dialect::Together).len(), 1);

    fixture.emulator.clear_faults();
    tuner::training_jobs::reconcile::reconcile_submissions(&fixture.app.context())
        .await
        .expect("reconcile");
    let job_id = job["id"].as_str().expect("id");
    let repaired = fixture.refresh(job_id).await;
    assert_ne!(repaired["status"], "FAILED", "{repaired}");
    assert!(repaired["providerJobId"].is_string(), "{repaired}");
    charged_once(&fixture, 1_000, 2).await;
}
