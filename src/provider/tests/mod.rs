//! Tests of the provider plug against a scripted fake provider over real HTTP.

mod continuation;
mod fake;
mod fireworks;
mod nebius;
mod parsing;
mod requests;
mod retries;
mod together;

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};

use super::{CreateJobRequest, Hyperparameters, ProviderSettings};

/// Tiny timeouts and backoff so retry tests run in milliseconds.
fn fast_settings() -> ProviderSettings {
    ProviderSettings {
        request_timeout: Duration::from_secs(5),
        upload_timeout: Duration::from_secs(30),
        max_retries: 2,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
    }
}

/// A job as OpenAI documents it (FineTuningJob in openapi-fine-tuning.yaml).
fn job_json(id: &str, status: &str) -> Value {
    json!({
        "object": "fine_tuning.job",
        "id": id,
        "model": "gpt-4o-mini-2024-07-18",
        "created_at": 1_721_764_800,
        "finished_at": null,
        "fine_tuned_model": null,
        "organization_id": "org-123",
        "result_files": [],
        "status": status,
        "validation_file": null,
        "training_file": "file-abc123",
        "hyperparameters": {"n_epochs": "auto", "batch_size": "auto", "learning_rate_multiplier": "auto"},
        "trained_tokens": null,
        "error": {"code": null, "message": null, "param": null},
        "integrations": [],
        "seed": 42,
        "estimated_finish": null,
        "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": "auto"}}},
        "metadata": {"tuner_job": "job-1"}
    })
}

fn list_json(data: Vec<Value>, has_more: bool) -> Value {
    json!({"object": "list", "data": data, "has_more": has_more})
}

fn create_request() -> CreateJobRequest {
    CreateJobRequest {
        model: "gpt-4o-mini-2024-07-18".into(),
        continue_from: None,
        training_file: "file-abc123".into(),
        hyperparameters: Hyperparameters::default(),
        suffix: Some("support-bot".into()),
        metadata: BTreeMap::from([("tuner_job".to_owned(), "job-1".to_owned())]),
    }
}
