//! Fireworks JSON: SupervisedFineTuningJob, Model and Deployment resources.

use serde_json::{json, Map, Value};

use super::JobSpec;
use crate::catalog::BaseModel;
use crate::clock::{iso, Millis};
use crate::deployment::{Deployment, Phase};
use crate::job::{Job, Spec, Status};

/// The job's Fireworks settings.
pub fn spec(job: &Job) -> Option<&JobSpec> {
    match &job.spec {
        Spec::Fireworks(spec) => Some(spec),
        _ => None,
    }
}

/// `accounts/{a}/supervisedFineTuningJobs/{id}`.
pub fn job_name(job: &Job) -> String {
    let account = spec(job).map_or("", |s| s.account.as_str());
    super::names::name(account, "supervisedFineTuningJobs", &job.id)
}

/// The job state at `now` (validation shows `CREATING` for its first half).
pub fn state(job: &Job, now: Millis) -> &'static str {
    match job.status {
        Status::ValidatingFiles => {
            if now < job.created_ms.saturating_add(job.timings.validating_ms / 2) {
                "JOB_STATE_CREATING"
            } else {
                "JOB_STATE_VALIDATING"
            }
        }
        Status::Queued => "JOB_STATE_PENDING",
        Status::Running => "JOB_STATE_RUNNING",
        Status::Succeeded => "JOB_STATE_COMPLETED",
        Status::Failed => "JOB_STATE_FAILED",
        Status::Cancelled => "JOB_STATE_CANCELLED",
    }
}

fn progress(job: &Job) -> Value {
    let Some(plan) = job.plan else {
        return json!({"percent": 0, "epoch": 0});
    };
    if job.status == Status::Succeeded {
        return json!({"percent": 100, "epoch": plan.epochs.saturating_sub(1)});
    }
    let step = if job.samples_emitted == 0 {
        0
    } else {
        plan.sample_step(job.samples_emitted)
    };
    let percent = u64::from(step) * 100 / u64::from(plan.total_steps.max(1));
    let epoch = (step / plan.steps_per_epoch.max(1)).min(plan.epochs.saturating_sub(1));
    json!({"percent": percent, "epoch": epoch})
}

fn status(job: &Job) -> Value {
    match (job.status, &job.error) {
        (Status::Failed, Some(error)) => {
            json!({"code": "INVALID_ARGUMENT", "message": error.message})
        }
        (Status::Cancelled, _) => json!({"code": "CANCELLED", "message": "the job was cancelled"}),
        _ => json!({"code": "OK", "message": ""}),
    }
}

/// The SupervisedFineTuningJob resource at `now`.
pub fn job(job: &Job, now: Millis) -> Value {
    let Some(spec) = spec(job) else {
        return Value::Null;
    };
    let (epochs, _) = job.hyper.epochs_and_batch();
    let updated = job
        .events
        .last()
        .map_or(job.created_ms, |e| e.created_at * 1000);
    let mut out = json!({
        "name": job_name(job),
        "displayName": spec.display_name.clone().unwrap_or_default(),
        "createTime": iso(job.created_ms),
        "updateTime": iso(updated),
        "state": state(job, now),
        "status": status(job),
        "createdBy": format!("{}@example.com", spec.account),
        "dataset": job.request.training_file,
        "baseModel": job.request.model,
        "outputModel": spec.output_model,
        "epochs": epochs,
        "learningRate": spec.learning_rate,
        "loraRank": spec.lora_rank,
        "jobProgress": progress(job),
    });
    if let Some(map) = out.as_object_mut() {
        insert_some(map, "batchSize", spec.batch_size);
        insert_some(map, "maxContextLength", spec.max_context_length);
        insert_some(map, "warmStartFrom", spec.warm_start_from.clone());
        insert_some(map, "evaluationDataset", spec.evaluation_dataset.clone());
        insert_some(map, "completedTime", job.finished_at.map(|s| iso(s * 1000)));
    }
    out
}

fn insert_some<T: Into<Value>>(map: &mut Map<String, Value>, key: &str, value: Option<T>) {
    if let Some(value) = value {
        map.insert(key.to_owned(), value.into());
    }
}

/// A base model's Model resource.
pub fn base_model(model: &BaseModel) -> Value {
    json!({
        "name": model.name,
        "displayName": model.name.rsplit('/').next().unwrap_or(model.name),
        "kind": "HF_BASE_MODEL",
        "state": "READY",
        "status": {"code": "OK", "message": ""},
        "createTime": iso(model.created * 1000),
        "contextLength": model.context_length,
        "tunable": true,
        "supportsLora": true,
        "supportsServerless": true,
        "public": true,
    })
}

/// A fine-tuned (LoRA addon) model's Model resource.
pub fn tuned_model(job: &Job) -> Value {
    let Some(spec) = spec(job) else {
        return Value::Null;
    };
    json!({
        "name": spec.output_model,
        "displayName": spec.output_model.rsplit('/').next().unwrap_or_default(),
        "kind": "HF_PEFT_ADDON",
        "state": "READY",
        "status": {"code": "OK", "message": ""},
        "createTime": iso(job.finished_at.unwrap_or(0) * 1000),
        "fineTuningJob": job_name(job),
        "peftDetails": {
            "baseModel": job.request.model,
            "r": spec.lora_rank,
            "targetModules": ["q_proj", "k_proj", "v_proj", "o_proj"],
        },
        "tunable": true,
        "supportsLora": false,
        "supportsServerless": false,
        "public": false,
    })
}

/// `scaleToZeroWindow` in milliseconds (`"3600s"`, `"5m"`, `"1h"`; default one hour).
pub fn scale_to_zero_ms(settings: &Value) -> Millis {
    let window = settings
        .pointer("/autoscalingPolicy/scaleToZeroWindow")
        .and_then(Value::as_str)
        .unwrap_or("3600s");
    let (number, unit) = window.split_at(window.len().saturating_sub(1));
    let seconds = number.parse::<f64>().unwrap_or(3600.0)
        * match unit {
            "m" => 60.0,
            "h" => 3600.0,
            _ => 1.0,
        };
    (seconds * 1000.0) as Millis
}

/// The Deployment resource at `now`.
pub fn deployment(deployment: &Deployment, now: Millis) -> Value {
    let settings = &deployment.settings;
    let min = settings
        .get("minReplicaCount")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let max = settings
        .get("maxReplicaCount")
        .and_then(Value::as_u64)
        .unwrap_or(min.max(1));
    let (state, replicas) = match deployment.phase(now) {
        Phase::Ready => {
            let idle = deployment.idle_ms(now) >= scale_to_zero_ms(settings);
            ("READY", if idle && min == 0 { 0 } else { min.max(1) })
        }
        Phase::Pending | Phase::Starting => ("CREATING", 0),
        Phase::Stopped => ("DELETED", 0),
    };
    let mut out = json!({
        "name": deployment.name,
        "displayName": settings.get("displayName").cloned().unwrap_or_else(|| json!("")),
        "description": settings.get("description").cloned().unwrap_or_else(|| json!("")),
        "createTime": iso(deployment.created_ms),
        "updateTime": iso(deployment.last_used_ms.max(deployment.created_ms)),
        "state": state,
        "status": {"code": "OK", "message": ""},
        "baseModel": deployment.model,
        "minReplicaCount": min,
        "maxReplicaCount": max,
        "replicaCount": replicas,
        "desiredReplicaCount": replicas,
        "autoscalingPolicy": settings.get("autoscalingPolicy").cloned().unwrap_or_else(|| json!({"scaleToZeroWindow": "3600s"})),
        "acceleratorType": settings.get("acceleratorType").cloned().unwrap_or_else(|| json!("NVIDIA_H100_80GB")),
        "acceleratorCount": settings.get("acceleratorCount").cloned().unwrap_or_else(|| json!(1)),
    });
    if let Some(map) = out.as_object_mut() {
        if let Some(enable) = settings.get("enableAddons") {
            map.insert("enableAddons".to_owned(), enable.clone());
        }
    }
    out
}
