//! The JSON shapes of Fireworks AI's control plane (the `SupervisedFineTuningJob`, `Dataset`
//! and `Deployment` resources of `api.fireworks.ai/v1/accounts/{account}/...`), read leniently,
//! and the bodies tuner sends. Fireworks names every resource `accounts/{a}/{collection}/{id}`,
//! uses ISO-8601 times and camelCase fields, and reports progress as a percentage: its job API
//! has no event log and no loss curve.

use serde::Deserialize;
use serde_json::{json, Value};

use super::lenient::{as_u64, value_text};
use super::{
    CreateJobRequest, Deployment, DeploymentOptions, DeploymentState, ProviderEvent, ProviderJob,
    ProviderJobError, ProviderJobStatus,
};

/// Longest Fireworks resource id.
const MAX_ID_CHARS: usize = 63;

/// A SupervisedFineTuningJob resource.
#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobWire {
    name: String,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    status: Option<Value>,
    #[serde(default)]
    dataset: Option<String>,
    #[serde(default)]
    base_model: Option<String>,
    #[serde(default)]
    warm_start_from: Option<String>,
    #[serde(default)]
    output_model: Option<String>,
    #[serde(default)]
    create_time: Option<String>,
    #[serde(default)]
    update_time: Option<String>,
    #[serde(default)]
    completed_time: Option<String>,
    #[serde(default)]
    epochs: Option<Value>,
    #[serde(default)]
    learning_rate: Option<Value>,
    #[serde(default)]
    lora_rank: Option<Value>,
    #[serde(default)]
    batch_size: Option<Value>,
    #[serde(default)]
    job_progress: Option<Value>,
}

/// A page of `GET .../supervisedFineTuningJobs`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobListWire {
    #[serde(default)]
    supervised_fine_tuning_jobs: Option<Vec<JobWire>>,
    #[serde(default)]
    next_page_token: Option<String>,
}

impl JobListWire {
    /// The jobs of this page and the token of the next one (`None` on the last page).
    pub(crate) fn into_parts(self) -> (Vec<JobWire>, Option<String>) {
        let next = self.next_page_token.filter(|token| !token.is_empty());
        (self.supervised_fine_tuning_jobs.unwrap_or_default(), next)
    }
}

/// A Dataset resource (only what tuner reads).
#[derive(Deserialize)]
pub(crate) struct DatasetWire {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) state: Option<String>,
}

/// The last segment of a resource name (`accounts/a/datasets/d` → `d`); a bare id as it is.
pub(crate) fn short_id(name: &str) -> &str {
    name.trim().rsplit('/').next().unwrap_or_default()
}

/// A valid Fireworks resource id made from `text`: lower-case letters, digits and `-`, starting
/// with a letter (ids must not start with a digit), at most 63 characters.
pub(crate) fn resource_id(text: &str) -> String {
    let mut id = String::new();
    for c in text.trim().chars() {
        let c = c.to_ascii_lowercase();
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if !(c == '-' && (id.is_empty() || id.ends_with('-'))) {
            id.push(c);
        }
    }
    if !id.starts_with(|c: char| c.is_ascii_lowercase()) {
        id.insert_str(0, "t-");
    }
    id.truncate(MAX_ID_CHARS);
    id.trim_end_matches('-').to_owned()
}

/// The dataset id for an upload named `filename` (its stem, made a valid id).
pub(crate) fn dataset_id(filename: &str) -> String {
    let stem = filename.strip_suffix(".jsonl").unwrap_or(filename);
    resource_id(stem)
}

/// The body of `POST .../datasets`.
pub(crate) fn create_dataset_body(dataset_id: &str) -> Value {
    json!({
        "datasetId": dataset_id,
        "dataset": { "userUploaded": {}, "displayName": dataset_id },
    })
}

/// The output model id of a job on `dataset` (a resource name): the dataset's id, then the
/// suffix, cut to a valid id. Unique because every upload has its own dataset.
pub(crate) fn output_model_id(dataset: &str, suffix: Option<&str>) -> String {
    let dataset = short_id(dataset);
    match suffix.map(str::trim).filter(|s| !s.is_empty()) {
        Some(suffix) => resource_id(&format!("{dataset}-{suffix}")),
        None => resource_id(dataset),
    }
}

/// The body of `POST .../supervisedFineTuningJobs`; settings left `None` are left to Fireworks.
/// Fireworks takes a LoRA rank but no alpha, so `lora_alpha` is not sent.
pub(crate) fn create_job_body(request: &CreateJobRequest) -> Value {
    let hp = &request.hyperparameters;
    let output = output_model_id(&request.training_file, request.suffix.as_deref());
    let display = request.suffix.clone().unwrap_or_else(|| output.clone());
    let mut body = json!({
        "dataset": request.training_file,
        "outputModel": output,
        "displayName": display,
    });
    // Fireworks takes either the base model or the trained model (a LoRA addon) to warm-start
    // from, never both.
    match &request.continue_from {
        Some(trained) => body["warmStartFrom"] = Value::from(trained.as_str()),
        None => body["baseModel"] = Value::from(request.model.as_str()),
    }
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            body[key] = value;
        }
    };
    put("epochs", hp.n_epochs.map(Value::from));
    put("learningRate", hp.learning_rate.map(Value::from));
    put("loraRank", hp.lora_rank.map(Value::from));
    put("batchSize", hp.batch_size.map(Value::from));
    body
}

/// Fireworks' job state in tuner's terms; unknown states are kept as `Other`.
pub(crate) fn job_status(state: &str) -> ProviderJobStatus {
    match state {
        "JOB_STATE_CREATING" | "JOB_STATE_VALIDATING" => ProviderJobStatus::ValidatingFiles,
        "JOB_STATE_PENDING" => ProviderJobStatus::Queued,
        "JOB_STATE_RUNNING" | "JOB_STATE_WRITING_RESULTS" => ProviderJobStatus::Running,
        "JOB_STATE_PAUSED" => ProviderJobStatus::Paused,
        // Stopped early by its own early-stopping rule: the model written so far is the result.
        "JOB_STATE_COMPLETED" | "JOB_STATE_EARLY_STOPPED" => ProviderJobStatus::Succeeded,
        "JOB_STATE_FAILED" | "JOB_STATE_EXPIRED" => ProviderJobStatus::Failed,
        "JOB_STATE_CANCELLED" => ProviderJobStatus::Cancelled,
        other => ProviderJobStatus::Other(other.to_owned()),
    }
}

/// Unix seconds from an ISO-8601 time.
fn unix_seconds(text: Option<&str>) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text?.trim())
        .ok()
        .map(|at| at.timestamp())
}

impl JobWire {
    /// The job's id: the last segment of its name.
    pub(crate) fn id(&self) -> &str {
        short_id(&self.name)
    }

    /// The state as Fireworks spelled it.
    pub(crate) fn state(&self) -> &str {
        self.state.as_deref().unwrap_or("JOB_STATE_UNSPECIFIED")
    }

    /// `jobProgress.percent` (0 to 100), when sent.
    pub(crate) fn percent(&self) -> Option<u64> {
        let progress = self.job_progress.as_ref()?;
        progress.get("percent").and_then(as_u64).map(|p| p.min(100))
    }

    fn epoch(&self) -> Option<u64> {
        let progress = self.job_progress.as_ref()?;
        progress.get("epoch").and_then(as_u64)
    }

    /// Seconds of the last change, for events.
    fn updated_at(&self) -> i64 {
        unix_seconds(self.update_time.as_deref())
            .or_else(|| unix_seconds(self.create_time.as_deref()))
            .unwrap_or_default()
    }

    /// The job's progress as one event (Fireworks keeps no event log). Its id names the state
    /// and percentage, so each change is stored once, and reading again stores nothing.
    pub(crate) fn progress_event(&self) -> ProviderEvent {
        let state = self.state();
        let words = state
            .strip_prefix("JOB_STATE_")
            .unwrap_or(state)
            .to_ascii_lowercase()
            .replace('_', " ");
        let percent = self.percent();
        let mut message = format!("Job {words}");
        if let Some(percent) = percent {
            message.push_str(&format!(", {percent}% done"));
            if let Some(epoch) = self.epoch() {
                message.push_str(&format!(" (epoch {})", epoch.saturating_add(1)));
            }
        }
        let status = job_status(state);
        let failed = status == ProviderJobStatus::Failed;
        if let Some(reason) = failed.then(|| self.status_message()).flatten() {
            message.push_str(&format!(": {reason}"));
        }
        ProviderEvent {
            id: format!(
                "{}:{state}:{}",
                self.id(),
                percent.map_or_else(|| "-".to_owned(), |p| p.to_string())
            ),
            created_at: self.updated_at(),
            level: if failed { "error" } else { "info" }.to_owned(),
            message,
            kind: "message".to_owned(),
            metrics: None,
        }
    }

    fn status_message(&self) -> Option<String> {
        let status = self.status.as_ref()?;
        status.get("message").and_then(value_text)
    }

    fn status_code(&self) -> Option<String> {
        let status = self.status.as_ref()?;
        status.get("code").and_then(value_text)
    }
}

impl From<JobWire> for ProviderJob {
    fn from(job: JobWire) -> Self {
        let status = job_status(job.state());
        let error = (status == ProviderJobStatus::Failed).then(|| ProviderJobError {
            code: job.status_code(),
            message: job.status_message().unwrap_or_else(|| {
                format!(
                    "the job ended in state {}; see it in the Fireworks console",
                    job.state()
                )
            }),
            param: None,
        });
        let finished_at = if status.is_terminal() {
            unix_seconds(job.completed_time.as_deref())
                .or_else(|| unix_seconds(job.update_time.as_deref()))
        } else {
            None
        };
        let hyperparameters = json!({
            "epochs": job.epochs,
            "learningRate": job.learning_rate,
            "loraRank": job.lora_rank,
            "batchSize": job.batch_size,
        });
        ProviderJob {
            id: job.id().to_owned(),
            fine_tuned_model: job
                .output_model
                .clone()
                .filter(|_| status == ProviderJobStatus::Succeeded),
            model: job
                .base_model
                .clone()
                .or_else(|| job.warm_start_from.clone())
                .unwrap_or_default(),
            error,
            trained_tokens: None,
            metadata: Default::default(),
            created_at: unix_seconds(job.create_time.as_deref()).unwrap_or_default(),
            finished_at,
            training_file: job.dataset.clone(),
            hyperparameters,
            status,
        }
    }
}

/// The body of `POST .../deployments?deploymentId=` for a trained model: on demand, from zero
/// to one replica (unless `options` say otherwise), scaled to zero after the idle window
/// (`options.idle_minutes`, else `idle_seconds`) without requests.
pub(crate) fn create_deployment_body(
    model: &str,
    name: &str,
    options: &DeploymentOptions,
    idle_seconds: u64,
) -> Value {
    let min_replicas = options.min_replicas.unwrap_or(0);
    let idle_seconds = options
        .idle_minutes
        .map_or(idle_seconds, |minutes| u64::from(minutes) * 60);
    let mut body = json!({
        "baseModel": model,
        "displayName": name,
        "minReplicaCount": min_replicas,
        "maxReplicaCount": options.max_replicas.unwrap_or(min_replicas.max(1)),
        "autoscalingPolicy": { "scaleToZeroWindow": format!("{idle_seconds}s") },
    });
    if let Some(hardware) = &options.hardware {
        body["acceleratorType"] = Value::from(hardware.as_str());
    }
    body
}

/// A Deployment resource (`CREATING`, `READY`, `UPDATING`, `DELETING`, `DELETED`, `FAILED`…):
/// bots call `{baseModel}#{name}`.
pub(crate) fn deployment_of(deployment: &Value) -> Result<Deployment, String> {
    let text = |field: &str| deployment.get(field).and_then(value_text);
    let (Some(name), Some(model)) = (text("name"), text("baseModel")) else {
        return Err("the deployment answer has no name or baseModel".into());
    };
    let provider_state = text("state").unwrap_or_else(|| "STATE_UNSPECIFIED".into());
    let state = match provider_state.as_str() {
        "READY" => DeploymentState::Ready,
        "CREATING" | "UPDATING" | "STATE_UNSPECIFIED" => DeploymentState::Pending,
        "DELETING" | "DELETED" | "FAILED" => DeploymentState::Down,
        _ => DeploymentState::Pending,
    };
    Ok(Deployment {
        id: short_id(&name).to_owned(),
        state,
        provider_state,
        model: format!("{model}#{name}"),
    })
}

/// Model names from `GET .../models`.
/// The tunable models of a model list, with their context length.
pub(crate) fn base_models(answer: &Value) -> Vec<super::BaseModel> {
    let list = answer.get("models").and_then(Value::as_array);
    list.into_iter()
        .flatten()
        .filter(|model| model.get("tunable").and_then(Value::as_bool) != Some(false))
        .filter_map(|model| {
            Some(super::BaseModel {
                id: model.get("name").and_then(value_text)?,
                context_length: model.get("contextLength").and_then(Value::as_u64),
            })
        })
        .collect()
}

pub(crate) fn model_names(answer: &Value) -> Vec<String> {
    let list = answer.get("models").and_then(Value::as_array);
    list.into_iter()
        .flatten()
        .filter_map(|model| model.get("name").and_then(value_text))
        .collect()
}
