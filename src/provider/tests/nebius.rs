//! The OpenAI-compatible adapter in its Nebius flavour: job body, repair by training file,
//! loss curve from checkpoints, the trained checkpoint as the result.

use serde_json::json;

use super::fake::{FakeProvider, Reply};
use super::{create_request, fast_settings, job_json, list_json};
use crate::provider::{Hyperparameters, JobMarker, Serving};

#[tokio::test]
async fn a_nebius_job_is_created_with_nebius_hyperparameters_and_no_metadata() {
    let fake = FakeProvider::start(vec![Reply::json(200, job_json("ftjob-1", "queued"))]).await;
    let provider = fake.connect("nebius", &fast_settings());
    assert_eq!(provider.serving(), Serving::AfterDeployment);
    let mut request = create_request();
    request.hyperparameters = Hyperparameters {
        learning_rate: Some(1e-5),
        lora_rank: Some(8),
        lora_alpha: Some(16),
        ..Hyperparameters::default()
    };
    provider.create_job(&request).await.expect("job");
    assert_eq!(
        fake.requests()[0].json(),
        json!({"model": "gpt-4o-mini-2024-07-18", "training_file": "file-abc123",
            "suffix": "support-bot",
            "hyperparameters": {"learning_rate": 1e-5, "lora": true, "lora_r": 8, "lora_alpha": 16}})
    );
}

#[tokio::test]
async fn a_nebius_job_is_found_by_its_training_file_across_pages() {
    let mut other = job_json("ftjob-2", "running");
    other["training_file"] = json!("file-other");
    let first = list_json(vec![other], true);
    let second = list_json(vec![job_json("ftjob-1", "running")], false);
    let fake = FakeProvider::start(vec![Reply::json(200, first), Reply::json(200, second)]).await;
    let provider = fake.connect("nebius", &fast_settings());
    let marker = JobMarker {
        tuner_job_id: "job-1".into(),
        training_file: Some("file-abc123".into()),
    };
    let found = provider.find_job(&marker).await.expect("jobs");
    assert_eq!(found.map(|j| j.id).as_deref(), Some("ftjob-1"));
    let sent = fake.requests();
    assert!(sent
        .iter()
        .all(|r| !r.query.iter().any(|(k, _)| k.starts_with("metadata"))));
}

#[tokio::test]
async fn checkpoints_give_the_loss_curve_and_the_trained_result() {
    let checkpoints = list_json(
        vec![
            json!({"id": "ftckpt_b", "created_at": 1_721_765_000, "step_number": 20,
                "fine_tuned_model_checkpoint": null, "metrics": {"train_loss": 0.4, "valid_loss": 0.5}}),
            json!({"id": "ftckpt_a", "created_at": 1_721_764_900, "step_number": 10,
                "metrics": {"train_loss": 0.9, "valid_loss": null}}),
        ],
        false,
    );
    let mut done = job_json("ftjob-1", "succeeded");
    done["fine_tuned_model"] = json!(null);
    let replies = vec![
        Reply::json(200, checkpoints.clone()),
        Reply::json(200, done),
        Reply::json(200, checkpoints),
    ];
    let fake = FakeProvider::start(replies).await;
    let provider = fake.connect("nebius", &fast_settings());
    let curve = provider.list_metrics("ftjob-1").await.expect("metrics");
    let points: Vec<_> = curve
        .iter()
        .map(|e| {
            let m = e.metrics.clone().unwrap_or_default();
            (m.step, m.train_loss, m.valid_loss)
        })
        .collect();
    assert_eq!(
        points,
        [
            (Some(10), Some(0.9), None),
            (Some(20), Some(0.4), Some(0.5))
        ]
    );
    let job = provider.get_job("ftjob-1").await.expect("job");
    assert_eq!(job.fine_tuned_model.as_deref(), Some("ftjob-1:ftckpt_b"));
}

#[tokio::test]
async fn nebius_log_figures_are_kept_as_messages() {
    let metrics = json!({"object": "fine_tuning.job.event", "id": "ev-1", "created_at": 1,
        "level": "info", "message": "Step 1", "type": "metrics", "data": {"step": 1, "train_loss": 2.0}});
    let fake = FakeProvider::start(vec![Reply::json(200, list_json(vec![metrics], false))]).await;
    let provider = fake.connect("nebius", &fast_settings());
    let page = provider
        .list_events("ftjob-1", None, 10)
        .await
        .expect("events");
    assert_eq!(page.events[0].kind, "message");
    assert_eq!(page.events[0].metrics, None);
}
