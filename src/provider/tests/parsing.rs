//! What tuner reads back: jobs, events and checkpoints, leniently.

use serde_json::json;

use super::fake::{FakeProvider, Reply};
use super::{fast_settings, job_json, list_json};
use crate::provider::{ProviderJobError, ProviderJobStatus, ProviderMetrics};

#[tokio::test]
async fn jobs_with_new_statuses_and_extra_fields_are_read() {
    let mut paused = job_json("ftjob-1", "paused");
    paused["user_provided_suffix"] = json!("bot");
    paused["hyperparameters"] = json!(null);
    let mut unknown = job_json("ftjob-2", "some_new_status");
    unknown["brand_new_field"] = json!({"nested": [1, 2]});
    unknown["trained_tokens"] = json!(5768.0);
    let minimal = json!({"id": "ftjob-3", "status": "failed",
        "error": {"code": "invalid_training_file", "message": "Line 3 is not JSON", "param": "training_file"}});
    let replies = [paused, unknown, minimal].map(|job| Reply::json(200, job));
    let fake = FakeProvider::start(replies.into()).await;
    let provider = fake.connect("openai", &fast_settings());

    let paused = provider.get_job("ftjob-1").await.expect("paused job");
    assert_eq!(paused.status, ProviderJobStatus::Paused);
    assert_eq!(paused.error, None, "an all-null error object is no error");
    assert_eq!(
        paused.metadata.get("tuner_job").map(String::as_str),
        Some("job-1")
    );
    // Without top-level hyperparameters, the method's are reported.
    assert_eq!(paused.hyperparameters, json!({"n_epochs": "auto"}));

    let unknown = provider
        .get_job("ftjob-2")
        .await
        .expect("job with a new status");
    assert_eq!(
        unknown.status,
        ProviderJobStatus::Other("some_new_status".into())
    );
    assert_eq!(unknown.trained_tokens, Some(5768));
    assert_eq!(unknown.created_at, 1_721_764_800);
    assert_eq!(unknown.training_file.as_deref(), Some("file-abc123"));

    let failed = provider.get_job("ftjob-3").await.expect("minimal job");
    assert!(failed.status.is_terminal());
    assert_eq!((failed.model.as_str(), failed.finished_at), ("", None));
    let expected = ProviderJobError {
        code: Some("invalid_training_file".into()),
        message: "Line 3 is not JSON".into(),
        param: Some("training_file".into()),
    };
    assert_eq!(failed.error, Some(expected));
}

#[tokio::test]
async fn events_are_read_with_their_metrics_and_pages_continue_after_an_id() {
    let metrics = json!({"object": "fine_tuning.job.event", "id": "ftevent-2", "created_at": 1_721_764_900,
        "level": "info", "message": "Step 10/30: training loss=1.25", "type": "metrics",
        "data": {"step": 10, "train_loss": 1.25, "train_mean_token_accuracy": 0.6, "total_steps": 30,
                 "valid_loss": 1.5, "full_valid_loss": 1.4}});
    let message = json!({"object": "fine_tuning.job.event", "id": "ftevent-1", "created_at": 1_721_764_800,
        "level": "warn", "message": "Created fine-tuning job", "data": {}, "type": "message"});
    let page = list_json(vec![metrics, message], true);
    let fake = FakeProvider::start(vec![Reply::json(200, page)]).await;
    let provider = fake.connect("openai", &fast_settings());
    let page = provider.list_events("ftjob-1", Some("ftevent-3"), 50).await;
    let page = page.expect("events");

    assert!(page.has_more);
    let [newest, oldest] = &page.events[..] else {
        panic!("two events expected, got {:?}", page.events);
    };
    assert_eq!(
        (newest.id.as_str(), newest.kind.as_str()),
        ("ftevent-2", "metrics")
    );
    let expected = ProviderMetrics {
        step: Some(10),
        train_loss: Some(1.25),
        train_mean_token_accuracy: Some(0.6),
        valid_loss: Some(1.5),
        valid_mean_token_accuracy: None,
        total_steps: Some(30),
    };
    assert_eq!(newest.metrics, Some(expected));
    assert_eq!(
        (oldest.kind.as_str(), oldest.level.as_str()),
        ("message", "warn")
    );
    assert_eq!(
        (oldest.metrics.clone(), oldest.created_at),
        (None, 1_721_764_800)
    );

    let request = &fake.requests()[0];
    assert_eq!(request.path, "/v1/fine_tuning/jobs/ftjob-1/events");
    assert!(request
        .query
        .contains(&("after".into(), "ftevent-3".into())));
    assert!(request.query.contains(&("limit".into(), "50".into())));
}

#[tokio::test]
async fn checkpoints_are_read_with_their_metrics_across_pages() {
    let checkpoint = |id: &str, step: u64, metrics: serde_json::Value| {
        json!({"object": "fine_tuning.job.checkpoint", "id": id, "created_at": 1_721_764_867,
            "fine_tuned_model_checkpoint": format!("ft:gpt-4o-mini:my-org:bot:96olL566:ckpt-step-{step}"),
            "fine_tuning_job_id": "ftjob-1", "step_number": step, "metrics": metrics})
    };
    let first = checkpoint(
        "ftckpt-2",
        2000,
        json!({"step": 2000.0, "train_loss": 0.478,
        "train_mean_token_accuracy": 0.924, "valid_loss": 10.112, "valid_mean_token_accuracy": 0.145}),
    );
    let second = checkpoint("ftckpt-1", 1000, json!({"full_valid_loss": 0.167}));
    let pages = [list_json(vec![first], true), list_json(vec![second], false)];
    let fake = FakeProvider::start(pages.map(|page| Reply::json(200, page)).into()).await;
    let checkpoints = fake
        .connect("openai", &fast_settings())
        .list_checkpoints("ftjob-1")
        .await;
    let checkpoints = checkpoints.expect("checkpoints");

    assert_eq!(checkpoints.len(), 2);
    assert_eq!(checkpoints[0].step_number, 2000);
    assert!(checkpoints[0]
        .fine_tuned_model_checkpoint
        .ends_with("ckpt-step-2000"));
    assert_eq!(checkpoints[0].metrics.step, Some(2000));
    assert_eq!(checkpoints[0].metrics.train_loss, Some(0.478));
    assert_eq!(
        checkpoints[0].metrics.valid_mean_token_accuracy,
        Some(0.145)
    );
    // A checkpoint without a step in its metrics takes the step number.
    assert_eq!(
        (
            checkpoints[1].metrics.step,
            checkpoints[1].metrics.train_loss
        ),
        (Some(1000), None)
    );
    let sent = fake.requests();
    assert_eq!(sent[0].path, "/v1/fine_tuning/jobs/ftjob-1/checkpoints");
    assert!(sent[1].query.contains(&("after".into(), "ftckpt-2".into())));
}
