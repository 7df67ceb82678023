//! The Together adapter against a scripted fake: status mapping, wire parsing, requests.

use serde_json::json;

use super::fake::{FakeProvider, Reply};
use super::{create_request, fast_settings};
use crate::provider::together_wire::job_status;
use crate::provider::{Hyperparameters, JobMarker, ProviderJobStatus, Serving};

fn together_job(id: &str, status: &str, file: &str, created: &str) -> serde_json::Value {
    json!({"id": id, "object": "finetune", "status": status, "training_file": file,
        "model": "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference",
        "model_output_name": "acct/Meta-Llama-3.1-8B-Instruct-Reference-bot-1a2b",
        "created_at": created, "updated_at": "2026-03-01T10:05:00.000Z",
        "token_count": 1234, "n_epochs": 2, "batch_size": "max", "learning_rate": 1e-5})
}

#[test]
fn together_statuses_map_onto_tuners_and_unknown_ones_are_kept() {
    let cases = [
        ("pending", ProviderJobStatus::Queued),
        ("queued", ProviderJobStatus::Queued),
        ("running", ProviderJobStatus::Running),
        ("compressing", ProviderJobStatus::Running),
        ("uploading", ProviderJobStatus::Running),
        ("cancel_requested", ProviderJobStatus::Running),
        ("completed", ProviderJobStatus::Succeeded),
        ("error", ProviderJobStatus::Failed),
        ("cancelled", ProviderJobStatus::Cancelled),
        ("brand_new", ProviderJobStatus::Other("brand_new".into())),
    ];
    for (text, status) in cases {
        assert_eq!(job_status(text), status, "{text}");
    }
}

#[tokio::test]
async fn a_together_job_is_created_with_absolute_rate_and_lora_and_read_back() {
    let created = together_job("ft-1", "pending", "file-1", "2026-03-01T10:00:00.000Z");
    let fake = FakeProvider::start(vec![Reply::json(200, created)]).await;
    let provider = fake.connect("together", &fast_settings());
    assert_eq!(provider.serving(), Serving::AfterDeployment);
    let mut request = create_request();
    request.hyperparameters = Hyperparameters {
        n_epochs: Some(2),
        learning_rate: Some(2e-5),
        lora_rank: Some(16),
        ..Hyperparameters::default()
    };
    let job = provider.create_job(&request).await.expect("job");
    assert_eq!(job.status, ProviderJobStatus::Queued);
    assert_eq!(job.created_at, 1_772_359_200);
    assert_eq!(job.fine_tuned_model, None, "named only once completed");
    assert_eq!(job.training_file.as_deref(), Some("file-1"));
    let sent = &fake.requests()[0];
    assert_eq!(sent.path, "/v1/fine-tunes");
    assert_eq!(
        sent.json(),
        json!({"training_file": "file-abc123", "model": "gpt-4o-mini-2024-07-18", "n_epochs": 2,
            "learning_rate": 2e-5, "suffix": "support-bot",
            "training_type": {"type": "Lora", "lora_r": 16, "lora_alpha": 32}})
    );
}

#[tokio::test]
async fn a_failed_together_job_carries_its_job_error_event_and_a_done_one_its_model() {
    let mut failed = together_job("ft-2", "error", "file-1", "2026-03-01T10:00:00Z");
    failed["events"] = json!([
        {"object": "fine-tune-event", "created_at": "2026-03-01T10:01:00Z", "type": "job_start", "message": "started", "level": "info"},
        {"object": "fine-tune-event", "created_at": "2026-03-01T10:02:00Z", "type": "job_error", "message": "user and assistant must alternate", "level": "error"}
    ]);
    let done = together_job("ft-3", "completed", "file-1", "2026-03-01T10:00:00Z");
    let fake = FakeProvider::start(vec![Reply::json(200, failed), Reply::json(200, done)]).await;
    let provider = fake.connect("together", &fast_settings());
    let failed = provider.get_job("ft-2").await.expect("job");
    assert_eq!(failed.status, ProviderJobStatus::Failed);
    let error = failed.error.expect("error");
    assert_eq!(error.message, "user and assistant must alternate");
    assert!(failed.finished_at.is_some());
    let done = provider.get_job("ft-3").await.expect("job");
    assert_eq!(
        done.fine_tuned_model.as_deref(),
        Some("acct/Meta-Llama-3.1-8B-Instruct-Reference-bot-1a2b")
    );
    assert_eq!(done.trained_tokens, Some(1234));
}

#[tokio::test]
async fn events_get_stable_ids_newest_first_and_metrics_become_a_loss_curve() {
    let events = json!({"data": [
        {"object": "fine-tune-event", "created_at": "2026-03-01T10:00:00Z", "type": "job_pending", "message": "queued", "level": null},
        {"object": "fine-tune-event", "created_at": "2026-03-01T10:01:00Z", "type": "epoch_complete", "message": "epoch done", "level": "warning"},
        {"object": "fine-tune-event", "created_at": "2026-03-01T10:01:00Z", "type": "epoch_complete", "message": "epoch done", "level": "legacy_ierror"}
    ]});
    let metrics = json!({"metrics": [
        {"train/loss": 0.45, "train/learning_rate": 9e-5, "train/global_step": 14},
        {"train/loss": 0.5, "train/learning_rate": 1e-4, "train/global_step": 7},
        {"train/learning_rate": 1e-4}
    ]});
    let replies = vec![
        Reply::json(200, events.clone()),
        Reply::json(200, events),
        Reply::json(200, metrics),
    ];
    let fake = FakeProvider::start(replies).await;
    let provider = fake.connect("together", &fast_settings());
    let first = provider
        .list_events("ft-1", None, 100)
        .await
        .expect("events");
    let again = provider.list_events("ft-1", None, 2).await.expect("events");
    assert!(!first.has_more && again.has_more);
    let ids: Vec<&str> = first.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), 3);
    assert_ne!(ids[0], ids[1], "identical events keep their own ids");
    let again_ids: Vec<&str> = again.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(again_ids, ids[..2], "ids are stable between reads");
    let levels: Vec<&str> = first.events.iter().map(|e| e.level.as_str()).collect();
    assert_eq!(levels, ["error", "warn", "info"]);
    assert_eq!(first.events[2].message, "queued");

    let curve = provider.list_metrics("ft-1").await.expect("metrics");
    let points: Vec<(Option<u64>, Option<f64>)> = curve
        .iter()
        .map(|e| {
            let m = e.metrics.clone().unwrap_or_default();
            (m.step, m.train_loss)
        })
        .collect();
    assert_eq!(points, [(Some(7), Some(0.5)), (Some(14), Some(0.45))]);
    assert!(curve.iter().all(|e| e.kind == "metrics"));
}

#[tokio::test]
async fn a_lost_job_is_found_by_its_training_file_newest_first() {
    let list = json!({"data": [
        together_job("ft-old", "running", "file-1", "2026-03-01T09:00:00Z"),
        together_job("ft-new", "pending", "file-1", "2026-03-01T10:00:00Z"),
        together_job("ft-other", "pending", "file-2", "2026-03-01T11:00:00Z")
    ]});
    let fake =
        FakeProvider::start(vec![Reply::json(200, list.clone()), Reply::json(200, list)]).await;
    let provider = fake.connect("together", &fast_settings());
    let marker = |file: Option<&str>| JobMarker {
        tuner_job_id: "job-1".into(),
        training_file: file.map(str::to_owned),
    };
    let found = provider
        .find_job(&marker(Some("file-1")))
        .await
        .expect("list");
    assert_eq!(found.map(|j| j.id).as_deref(), Some("ft-new"));
    let none = provider
        .find_job(&marker(Some("file-9")))
        .await
        .expect("list");
    assert_eq!(none, None);
    assert_eq!(
        provider.find_job(&marker(None)).await.expect("no file"),
        None
    );
    assert_eq!(fake.requests().len(), 2, "no file, no request");
}

#[tokio::test]
async fn together_error_bodies_become_provider_errors() {
    let body = json!({"error": {"message": "Invalid value for 'batch_size'", "type": "invalid_request_error", "param": "batch_size", "code": null}});
    let fake = FakeProvider::start(vec![Reply::json(400, body)]).await;
    let provider = fake.connect("together", &fast_settings());
    let error = provider
        .create_job(&create_request())
        .await
        .expect_err("refused");
    let message = error.message();
    assert!(
        message.contains("Invalid value for 'batch_size'"),
        "{message}"
    );
    assert!(message.contains("parameter batch_size"), "{message}");
    assert!(!error.is_transient());
}

#[tokio::test]
async fn removing_a_together_endpoint_takes_its_empty_204_answer_and_a_404_as_done() {
    let fake = FakeProvider::start(vec![Reply::text(204, ""), Reply::json(404, json!({}))]).await;
    let provider = fake.connect("together", &fast_settings());
    provider.undeploy("endpoint-1").await.expect("removed");
    provider.undeploy("endpoint-2").await.expect("already gone");
    let sent = fake.requests();
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("DELETE", "/v1/endpoints/endpoint-1")
    );
}
