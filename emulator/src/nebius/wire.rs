//! Nebius JSON: OpenAI's job object with Nebius hyperparameters, checkpoints with
//! `train_loss`/`valid_loss`, and custom models.

use serde_json::{json, Value};

use super::JobSpec;
use crate::clock::Millis;
use crate::deployment::{Deployment, Phase};
use crate::job::{Checkpoint, Job, Spec};

/// The job's Nebius settings.
pub fn spec(job: &Job) -> Option<&JobSpec> {
    match &job.spec {
        Spec::Nebius(spec) => Some(spec),
        _ => None,
    }
}

/// The `fine_tuning.job` object: no `method` or `metadata`, and no callable
/// `fine_tuned_model` (a checkpoint must be registered with `POST /v0/models` first).
pub fn job(job: &Job) -> Value {
    let mut out = job.to_json();
    if let Some(map) = out.as_object_mut() {
        map.remove("method");
        map.remove("metadata");
        map.insert("fine_tuned_model".to_owned(), Value::Null);
        if let Some(spec) = spec(job) {
            map.insert("hyperparameters".to_owned(), spec.hyperparameters.clone());
        }
    }
    out
}

/// A `fine_tuning.job.checkpoint` with `train_loss` and (with a validation file) `valid_loss`.
pub fn checkpoint(job: &Job, checkpoint: &Checkpoint) -> Value {
    let valid_loss = job
        .request
        .validation_file
        .as_ref()
        .map(|_| ((checkpoint.train_loss * 1.08 + 0.02) * 10_000.0).round() / 10_000.0);
    json!({
        "object": "fine_tuning.job.checkpoint",
        "id": checkpoint.id,
        "created_at": checkpoint.created_at,
        "fine_tuning_job_id": job.id,
        "step_number": checkpoint.step,
        "metrics": {"train_loss": checkpoint.train_loss, "valid_loss": valid_loss},
        "result_files": [],
    })
}

/// A custom model's status at `now`.
pub fn model_status(model: &Deployment, now: Millis) -> &'static str {
    match model.phase(now) {
        Phase::Pending | Phase::Starting => "validating",
        Phase::Ready => "active",
        Phase::Stopped => "deleted",
    }
}

/// A custom model registered with `POST /v0/models`.
pub fn model(model: &Deployment, now: Millis) -> Value {
    json!({
        "name": model.name,
        "base_model": model.settings.get("base_model").cloned().unwrap_or(Value::Null),
        "source": model.model,
        "description": model.settings.get("description").cloned().unwrap_or(Value::Null),
        "status": model_status(model, now),
        "created_at": model.created_ms / 1000,
    })
}
