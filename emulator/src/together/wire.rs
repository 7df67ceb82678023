//! Together's JSON: FinetuneResponse, FineTuneEvent, FineTuneCheckpoint, metrics, FileResponse
//! and endpoints.

use serde_json::{json, Map, Value};

use super::JobSpec;
use crate::clock::{iso, Millis};
use crate::deployment::{Deployment, Phase};
use crate::file::StoredFile;
use crate::job::{Checkpoint, Event, Job, Spec, Status};

/// Together's name for a job status.
pub fn status(status: Status) -> &'static str {
    match status {
        Status::ValidatingFiles => "pending",
        Status::Queued => "queued",
        Status::Running => "running",
        Status::Succeeded => "completed",
        Status::Failed => "error",
        Status::Cancelled => "cancelled",
    }
}

/// The job's Together settings (every Together job has them).
pub fn spec(job: &Job) -> Option<&JobSpec> {
    match &job.spec {
        Spec::Together(spec) => Some(spec),
        _ => None,
    }
}

/// FinetuneResponse at `now`; `with_events` adds the `events` array (single-job answers).
pub fn job(job: &Job, now: Millis, with_events: bool) -> Value {
    let Some(spec) = spec(job) else {
        return Value::Null;
    };
    let (epochs, batch) = job.hyper.epochs_and_batch();
    let batch_size = match (spec.batch_size, job.plan) {
        (Some(size), _) => json!(size),
        (None, Some(_)) => json!(batch),
        (None, None) => json!("max"),
    };
    let updated = job
        .events
        .last()
        .map_or(job.created_ms, |e| e.created_at * 1000);
    let mut out = json!({
        "id": job.id,
        "object": "finetune",
        "training_file": job.request.training_file,
        "model": job.request.model,
        "model_output_name": job.planned_model,
        "trainingfile_numlines": spec.file_lines,
        "trainingfile_size": spec.file_bytes,
        "created_at": iso(job.created_ms),
        "updated_at": iso(updated),
        "n_epochs": epochs,
        "n_checkpoints": spec.n_checkpoints,
        "n_evals": spec.n_evals,
        "batch_size": batch_size,
        "learning_rate": spec.learning_rate,
        "lr_scheduler": spec.lr_scheduler,
        "warmup_ratio": spec.warmup_ratio,
        "max_grad_norm": spec.max_grad_norm,
        "weight_decay": spec.weight_decay,
        "train_on_inputs": spec.training_method["train_on_inputs"],
        "training_method": spec.training_method,
        "training_type": spec.training_type,
        "packing": spec.packing,
        "status": status(job.status),
        "token_count": job.trained_tokens.unwrap_or(0),
        "param_count": 0,
        "total_price": 0,
        "epochs_completed": epochs_completed(job),
        "queue_depth": 0,
        "user_id": format!("user_{}", job.organization_id),
        "owner_address": job.organization_id,
        "random_seed": spec.random_seed,
        "progress": progress(job, now),
    });
    if let Some(map) = out.as_object_mut() {
        insert_some(map, "validation_file", job.request.validation_file.clone());
        insert_some(map, "suffix", job.request.suffix.clone());
        insert_some(map, "from_checkpoint", spec.from_checkpoint.clone());
        insert_some(map, "max_seq_length", spec.max_seq_length);
        insert_some(map, "wandb_project_name", spec.wandb_project_name.clone());
        insert_some(map, "started_at", started_at(job));
        if with_events {
            map.insert("events".to_owned(), json!(events(job)));
        }
    }
    out
}

fn insert_some<T: Into<Value>>(map: &mut Map<String, Value>, key: &str, value: Option<T>) {
    if let Some(value) = value {
        map.insert(key.to_owned(), value.into());
    }
}

fn started_at(job: &Job) -> Option<String> {
    job.events
        .iter()
        .find(|e| e.kind == "training_start")
        .map(|e| iso(e.created_at * 1000))
}

fn epochs_completed(job: &Job) -> u32 {
    let Some(plan) = job.plan else {
        return 0;
    };
    if job.status == Status::Succeeded {
        return plan.epochs;
    }
    let step = if job.samples_emitted == 0 {
        0
    } else {
        plan.sample_step(job.samples_emitted)
    };
    step / plan.steps_per_epoch.max(1)
}

fn progress(job: &Job, now: Millis) -> Value {
    match job.estimated_finish {
        Some(finish) if job.status == Status::Running => json!({
            "estimate_available": true,
            "seconds_remaining": (finish - now / 1000).max(0),
        }),
        _ => json!({"estimate_available": false, "seconds_remaining": 0}),
    }
}

/// The job's events, oldest first (metrics samples are served by `/metrics` instead).
pub fn events(job: &Job) -> Vec<Value> {
    let total_steps = job.plan.map_or(0, |plan| plan.total_steps);
    job.events
        .iter()
        .filter(|e| e.kind != "metrics")
        .map(|e| event(e, total_steps))
        .collect()
}

fn event(event: &Event, total_steps: u32) -> Value {
    let step = event
        .message
        .rsplit_once("at step ")
        .and_then(|(_, step)| step.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|step| step.parse::<u32>().ok())
        .unwrap_or(0);
    json!({
        "object": "fine-tune-event",
        "created_at": iso(event.created_at * 1000),
        "level": event.level,
        "message": event.message,
        "type": event.kind,
        "param_count": 0,
        "token_count": 0,
        "total_steps": total_steps,
        "wandb_url": "",
        "step": step,
        "checkpoint_path": "",
        "model_path": "",
        "training_offset": 0,
        "hash": "",
    })
}

/// FineTuneCheckpoint list, newest first.
pub fn checkpoints(job: &Job) -> Vec<Value> {
    let last = job.checkpoints.last().map(|c| c.step);
    job.checkpoints
        .iter()
        .rev()
        .map(|c| checkpoint(job, c, Some(c.step) == last))
        .collect()
}

fn checkpoint(job: &Job, checkpoint: &Checkpoint, last: bool) -> Value {
    let (kind, path) = if last {
        ("Final", job.planned_model.clone())
    } else {
        (
            "Intermediate",
            format!("{}:{}", job.planned_model, checkpoint.step),
        )
    };
    json!({
        "step": checkpoint.step,
        "created_at": iso(checkpoint.created_at * 1000),
        "path": path,
        "checkpoint_type": kind,
    })
}

/// Metrics snapshots (`train/loss`, `train/global_step`…), oldest first, within the steps.
pub fn metrics(job: &Job, from: Option<u64>, to: Option<u64>) -> Vec<Value> {
    let learning_rate = spec(job).map_or(1e-5, |s| s.learning_rate);
    let per_epoch = job.plan.map_or(1, |p| p.steps_per_epoch.max(1));
    job.events
        .iter()
        .filter_map(|e| e.data.as_ref())
        .filter_map(|data| {
            let step = data.get("step").and_then(Value::as_u64)?;
            let in_range = from.is_none_or(|f| step >= f) && to.is_none_or(|t| step <= t);
            in_range.then(|| {
                json!({
                    "train/loss": data.get("train_loss").cloned().unwrap_or(Value::Null),
                    "train/learning_rate": learning_rate,
                    "train/global_step": step,
                    "train/epoch": step as f64 / f64::from(per_epoch),
                })
            })
        })
        .collect()
}

/// FileResponse.
pub fn file(file: &StoredFile) -> Value {
    let lines = String::from_utf8_lossy(&file.bytes)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    json!({
        "id": file.id,
        "object": "file",
        "created_at": file.created_at,
        "filename": file.filename,
        "bytes": file.bytes.len(),
        "purpose": file.purpose,
        "FileType": "jsonl",
        "Processed": true,
        "LineCount": lines,
    })
}

/// An endpoint's state at `now`.
pub fn endpoint_state(deployment: &Deployment, now: Millis) -> &'static str {
    match deployment.phase(now) {
        Phase::Pending => "PENDING",
        Phase::Starting => "STARTING",
        Phase::Ready => "STARTED",
        Phase::Stopped => "STOPPED",
    }
}

/// DedicatedEndpoint.
pub fn endpoint(deployment: &Deployment, now: Millis) -> Value {
    let settings = &deployment.settings;
    json!({
        "object": "endpoint",
        "id": deployment.id,
        "name": deployment.name,
        "display_name": settings.get("display_name").cloned().unwrap_or_else(|| json!(deployment.name)),
        "model": deployment.model,
        "hardware": settings.get("hardware").cloned().unwrap_or(Value::Null),
        "type": "dedicated",
        "owner": deployment.owner,
        "state": endpoint_state(deployment, now),
        "autoscaling": settings.get("autoscaling").cloned().unwrap_or(Value::Null),
        "inactive_timeout": settings.get("inactive_timeout").cloned().unwrap_or(Value::Null),
        "created_at": iso(deployment.created_ms),
    })
}

/// ListEndpoint.
pub fn endpoint_summary(deployment: &Deployment, now: Millis) -> Value {
    json!({
        "object": "endpoint",
        "id": deployment.id,
        "name": deployment.name,
        "model": deployment.model,
        "type": "dedicated",
        "owner": deployment.owner,
        "state": endpoint_state(deployment, now),
        "created_at": iso(deployment.created_ms),
    })
}
