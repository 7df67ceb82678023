//! The Fireworks adapter against a scripted fake: state mapping, wire parsing, the account in
//! every path, datasets, lookup by dataset, cancel by delete, deployments and error bodies.

use std::io::Write;

use serde_json::json;

use super::fake::{FakeProvider, Reply};
use super::{create_request, fast_settings};
use crate::provider::fireworks_wire::{
    create_deployment_body, dataset_id, deployment_of, job_status, resource_id,
};
use crate::provider::{
    DeployRequest, DeploymentOptions, DeploymentState, Hyperparameters, JobMarker, ProviderError,
    ProviderJobStatus, Serving,
};

const DATASET: &str = "accounts/acme/datasets/tuner-0190";

fn fireworks_job(id: &str, state: &str, dataset: &str, created: &str) -> serde_json::Value {
    json!({"name": format!("accounts/acme/supervisedFineTuningJobs/{id}"), "state": state,
        "status": {"code": "OK", "message": ""}, "dataset": dataset,
        "baseModel": "accounts/fireworks/models/llama-v3p1-8b-instruct",
        "outputModel": format!("accounts/acme/models/{id}-out"),
        "createTime": created, "updateTime": "2026-03-01T10:05:00Z",
        "epochs": 2, "learningRate": 0.0001, "loraRank": 8,
        "jobProgress": {"percent": 40, "epoch": 0}})
}

#[test]
fn fireworks_states_map_onto_tuners_and_unknown_ones_are_kept() {
    let cases = [
        ("JOB_STATE_CREATING", ProviderJobStatus::ValidatingFiles),
        ("JOB_STATE_VALIDATING", ProviderJobStatus::ValidatingFiles),
        ("JOB_STATE_PENDING", ProviderJobStatus::Queued),
        ("JOB_STATE_RUNNING", ProviderJobStatus::Running),
        ("JOB_STATE_WRITING_RESULTS", ProviderJobStatus::Running),
        ("JOB_STATE_PAUSED", ProviderJobStatus::Paused),
        ("JOB_STATE_COMPLETED", ProviderJobStatus::Succeeded),
        ("JOB_STATE_EARLY_STOPPED", ProviderJobStatus::Succeeded),
        ("JOB_STATE_FAILED", ProviderJobStatus::Failed),
        ("JOB_STATE_EXPIRED", ProviderJobStatus::Failed),
        ("JOB_STATE_CANCELLED", ProviderJobStatus::Cancelled),
        (
            "JOB_STATE_RESHARDING",
            ProviderJobStatus::Other("JOB_STATE_RESHARDING".into()),
        ),
    ];
    for (text, status) in cases {
        assert_eq!(job_status(text), status, "{text}");
    }
}

#[test]
fn resource_ids_are_lower_case_start_with_a_letter_and_fit() {
    assert_eq!(
        dataset_id("tuner-0190ABCD-1234.jsonl"),
        "tuner-0190abcd-1234"
    );
    assert_eq!(resource_id("2 Support Bot!"), "t-2-support-bot");
    assert_eq!(resource_id(&"x".repeat(100)).len(), 63);
    assert!(!resource_id(&format!("{}-y", "a".repeat(62))).ends_with('-'));
}

#[test]
fn deployments_map_their_states_and_give_the_model_string_bots_call() {
    let answer = |state: &str| {
        json!({"name": "accounts/acme/deployments/support-dep", "state": state,
            "baseModel": "accounts/acme/models/support", "replicaCount": 0})
    };
    let ready = deployment_of(&answer("READY")).expect("deployment");
    assert_eq!(ready.id, "support-dep");
    assert_eq!(ready.state, DeploymentState::Ready);
    assert_eq!(
        ready.model,
        "accounts/acme/models/support#accounts/acme/deployments/support-dep"
    );
    for (state, expected) in [
        ("CREATING", DeploymentState::Pending),
        ("UPDATING", DeploymentState::Pending),
        ("DELETING", DeploymentState::Down),
        ("FAILED", DeploymentState::Down),
        ("SOMETHING_NEW", DeploymentState::Pending),
    ] {
        let deployment = deployment_of(&answer(state)).expect("deployment");
        assert_eq!(
            (deployment.state, deployment.provider_state.as_str()),
            (expected, state)
        );
    }
    assert!(deployment_of(&json!({"state": "READY"})).is_err());
}

#[tokio::test]
async fn a_training_file_becomes_a_ready_dataset_under_the_account() {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(b"{\"messages\":[]}\n").expect("write");
    let dataset =
        |state: &str| json!({"name": "accounts/acme/datasets/tuner-0190", "state": state});
    let replies = vec![
        Reply::json(200, dataset("UPLOADING")),
        Reply::json(200, json!({})),
        Reply::json(200, dataset("UPLOADING")),
        Reply::json(200, dataset("READY")),
    ];
    let fake = FakeProvider::start(replies).await;
    let provider = fake.connect("fireworks", &fast_settings());
    let uploaded = provider
        .upload_training_file(file.path(), "tuner-0190.jsonl")
        .await
        .expect("uploaded");
    assert_eq!(uploaded.id, DATASET);
    assert_eq!(uploaded.bytes, 16);
    let requests = fake.requests();
    let paths: Vec<(&str, &str)> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    assert_eq!(
        paths,
        [
            ("POST", "/v1/accounts/acme/datasets"),
            ("POST", "/v1/accounts/acme/datasets/tuner-0190:upload"),
            ("GET", "/v1/accounts/acme/datasets/tuner-0190"),
            ("GET", "/v1/accounts/acme/datasets/tuner-0190"),
        ]
    );
    assert_eq!(
        requests[0].json(),
        json!({"datasetId": "tuner-0190", "dataset": {"userUploaded": {}, "displayName": "tuner-0190"}})
    );
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer sk-test-key")
    );
}

#[tokio::test]
async fn a_job_is_created_with_absolute_rate_and_rank_and_read_back() {
    let created = fireworks_job(
        "sft-1",
        "JOB_STATE_CREATING",
        DATASET,
        "2026-03-01T10:00:00Z",
    );
    let mut done = fireworks_job(
        "sft-1",
        "JOB_STATE_COMPLETED",
        DATASET,
        "2026-03-01T10:00:00Z",
    );
    done["completedTime"] = json!("2026-03-01T11:00:00Z");
    let fake = FakeProvider::start(vec![Reply::json(200, created), Reply::json(200, done)]).await;
    let provider = fake.connect("fireworks", &fast_settings());
    assert_eq!(provider.serving(), Serving::AfterDeployment);
    let mut request = create_request();
    request.model = "accounts/fireworks/models/llama-v3p1-8b-instruct".into();
    request.training_file = DATASET.into();
    request.hyperparameters = Hyperparameters {
        n_epochs: Some(2),
        learning_rate: Some(1e-4),
        lora_rank: Some(16),
        lora_alpha: Some(32),
        batch_size: Some(8),
        ..Hyperparameters::default()
    };
    let job = provider.create_job(&request).await.expect("job");
    assert_eq!(job.id, "sft-1");
    assert_eq!(job.status, ProviderJobStatus::ValidatingFiles);
    assert_eq!(job.training_file.as_deref(), Some(DATASET));
    assert_eq!(job.fine_tuned_model, None, "named only once completed");
    assert_eq!(job.created_at, 1_772_359_200);
    let sent = &fake.requests()[0];
    assert_eq!(sent.path, "/v1/accounts/acme/supervisedFineTuningJobs");
    assert_eq!(
        sent.json(),
        json!({"dataset": DATASET, "baseModel": "accounts/fireworks/models/llama-v3p1-8b-instruct",
            "outputModel": "tuner-0190-support-bot", "displayName": "support-bot",
            "epochs": 2, "learningRate": 1e-4, "loraRank": 16, "batchSize": 8})
    );
    let done = provider.get_job(&job.id).await.expect("job");
    assert_eq!(done.status, ProviderJobStatus::Succeeded);
    assert_eq!(
        done.fine_tuned_model.as_deref(),
        Some("accounts/acme/models/sft-1-out")
    );
    assert_eq!(done.finished_at, Some(1_772_362_800));
}

#[tokio::test]
async fn progress_becomes_one_event_per_change_and_a_failure_carries_its_reason() {
    let running = fireworks_job(
        "sft-1",
        "JOB_STATE_RUNNING",
        DATASET,
        "2026-03-01T10:00:00Z",
    );
    let mut failed = fireworks_job("sft-1", "JOB_STATE_FAILED", DATASET, "2026-03-01T10:00:00Z");
    failed["status"] = json!({"code": "INVALID_ARGUMENT", "message": "at least 3 examples"});
    let replies = vec![
        Reply::json(200, running.clone()),
        Reply::json(200, running),
        Reply::json(200, failed.clone()),
        Reply::json(200, failed),
    ];
    let fake = FakeProvider::start(replies).await;
    let provider = fake.connect("fireworks", &fast_settings());
    let first = provider
        .list_events("sft-1", None, 100)
        .await
        .expect("page");
    let again = provider
        .list_events("sft-1", None, 100)
        .await
        .expect("page");
    assert_eq!(first, again, "the same progress gives the same event");
    assert_eq!(first.events[0].message, "Job running, 40% done (epoch 1)");
    assert_eq!(first.events[0].id, "sft-1:JOB_STATE_RUNNING:40");
    let older = provider
        .list_events("sft-1", Some("sft-1:JOB_STATE_RUNNING:40"), 100)
        .await
        .expect("page");
    assert!(older.events.is_empty() && !older.has_more);
    let page = provider
        .list_events("sft-1", None, 100)
        .await
        .expect("page");
    assert_eq!(page.events[0].level, "error");
    assert!(page.events[0].message.contains("at least 3 examples"));
    let job = provider.get_job("sft-1").await.expect("job");
    let error = job.error.expect("error");
    assert_eq!(
        (error.code.as_deref(), error.message.as_str()),
        (Some("INVALID_ARGUMENT"), "at least 3 examples")
    );
    assert!(provider
        .list_metrics("sft-1")
        .await
        .expect("none")
        .is_empty());
    assert!(provider
        .list_checkpoints("sft-1")
        .await
        .expect("none")
        .is_empty());
}

#[tokio::test]
async fn a_lost_job_is_found_by_its_dataset_across_pages_newest_first() {
    let first = json!({"supervisedFineTuningJobs": [
        fireworks_job("old", "JOB_STATE_RUNNING", DATASET, "2026-03-01T09:00:00Z")
    ], "nextPageToken": "1", "totalSize": 2});
    let second = json!({"supervisedFineTuningJobs": [
        fireworks_job("new", "JOB_STATE_PENDING", DATASET, "2026-03-01T10:00:00Z")
    ], "nextPageToken": "", "totalSize": 2});
    let fake = FakeProvider::start(vec![Reply::json(200, first), Reply::json(200, second)]).await;
    let provider = fake.connect("fireworks", &fast_settings());
    let marker = |file: Option<&str>| JobMarker {
        tuner_job_id: "job-1".into(),
        training_file: file.map(str::to_owned),
    };
    let found = provider
        .find_job(&marker(Some(DATASET)))
        .await
        .expect("list");
    assert_eq!(found.map(|j| j.id).as_deref(), Some("new"));
    assert_eq!(provider.find_job(&marker(None)).await.expect("none"), None);
    let requests = fake.requests();
    assert_eq!(requests.len(), 2, "no dataset, no request");
    let filter = requests[0].query.iter().find(|(k, _)| k == "filter");
    assert_eq!(
        filter.map(|(_, v)| v.as_str()),
        Some(format!("dataset=\"{DATASET}\"").as_str())
    );
    assert!(requests[1]
        .query
        .contains(&("pageToken".into(), "1".into())));
}

#[tokio::test]
async fn cancelling_deletes_a_running_job_and_leaves_a_finished_one() {
    let running = fireworks_job(
        "sft-1",
        "JOB_STATE_RUNNING",
        DATASET,
        "2026-03-01T10:00:00Z",
    );
    let done = fireworks_job(
        "sft-2",
        "JOB_STATE_COMPLETED",
        DATASET,
        "2026-03-01T10:00:00Z",
    );
    let replies = vec![
        Reply::json(200, running),
        Reply::json(200, json!({})),
        Reply::json(200, done),
    ];
    let fake = FakeProvider::start(replies).await;
    let provider = fake.connect("fireworks", &fast_settings());
    let cancelled = provider.cancel_job("sft-1").await.expect("cancelled");
    assert_eq!(cancelled.status, ProviderJobStatus::Cancelled);
    let finished = provider.cancel_job("sft-2").await.expect("left alone");
    assert_eq!(finished.status, ProviderJobStatus::Succeeded);
    let methods: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        methods,
        [
            "GET /v1/accounts/acme/supervisedFineTuningJobs/sft-1",
            "DELETE /v1/accounts/acme/supervisedFineTuningJobs/sft-1",
            "GET /v1/accounts/acme/supervisedFineTuningJobs/sft-2",
        ]
    );
}

#[tokio::test]
async fn a_deployment_scales_to_zero_and_a_gone_one_reads_as_none() {
    let creating = json!({"name": "accounts/acme/deployments/support-1a2b", "state": "CREATING",
        "baseModel": "accounts/acme/models/support"});
    let gone = json!({"code": 5, "message": "deployment \"accounts/acme/deployments/x\" not found", "details": []});
    let replies = vec![
        Reply::json(200, creating),
        Reply::json(404, gone.clone()),
        Reply::json(404, gone),
    ];
    let fake = FakeProvider::start(replies).await;
    let provider = fake.connect("fireworks", &fast_settings());
    let request = DeployRequest {
        trained_model: "accounts/acme/models/support".into(),
        base_model: "accounts/fireworks/models/llama-v3p1-8b-instruct".into(),
        name: "support-1a2b".into(),
        options: DeploymentOptions::default(),
    };
    let deployment = provider.deploy(&request).await.expect("deployed");
    assert_eq!(deployment.state, DeploymentState::Pending);
    assert_eq!(deployment.id, "support-1a2b");
    assert_eq!(
        provider.get_deployment("support-1a2b").await.expect("read"),
        None
    );
    provider
        .undeploy("support-1a2b")
        .await
        .expect("already gone is fine");
    let sent = &fake.requests()[0];
    assert_eq!(sent.path, "/v1/accounts/acme/deployments");
    assert!(sent
        .query
        .contains(&("deploymentId".into(), "support-1a2b".into())));
    let body = sent.json();
    assert_eq!(body["baseModel"], "accounts/acme/models/support");
    assert_eq!(body["minReplicaCount"], 0);
    assert_eq!(body["autoscalingPolicy"]["scaleToZeroWindow"], "3600s");
}

#[tokio::test]
async fn fireworks_error_bodies_become_provider_errors() {
    let body = json!({"code": 3, "message": "loraRank must be from 4 to 64, got 2", "details": []});
    let fake = FakeProvider::start(vec![Reply::json(400, body)]).await;
    let provider = fake.connect("fireworks", &fast_settings());
    let error = provider
        .create_job(&create_request())
        .await
        .expect_err("refused");
    assert!(matches!(error, ProviderError::Rejected { status: 400, .. }));
    let message = error.message();
    assert!(
        message.contains("loraRank must be from 4 to 64"),
        "{message}"
    );
    assert!(!error.is_transient());
}

#[test]
fn a_fireworks_deployment_takes_the_admins_accelerator_replicas_and_idle_window() {
    let options = DeploymentOptions {
        hardware: Some("NVIDIA_H100_80GB".into()),
        min_replicas: Some(1),
        max_replicas: None,
        idle_minutes: Some(15),
    };
    let body = create_deployment_body("accounts/acme/models/m", "m-1", &options, 3600);
    assert_eq!(body["acceleratorType"], "NVIDIA_H100_80GB");
    assert_eq!(
        (
            body["minReplicaCount"].as_u64(),
            body["maxReplicaCount"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(body["autoscalingPolicy"]["scaleToZeroWindow"], "900s");
}
