//! The JSON shapes of Together AI's fine-tuning API (its OpenAPI: FinetuneResponse,
//! FineTuneEvent, FineTuneCheckpoint, the `/metrics` snapshots), read leniently, and the body
//! of `POST /fine-tunes`. Together's timestamps are ISO-8601 strings and its events and
//! checkpoints carry no ids, so stable ids are made from their content.

use serde::Deserialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::lenient::{as_f64, as_u64, lenient_u64, value_text};
use super::{
    CreateJobRequest, ProviderCheckpoint, ProviderEvent, ProviderJob, ProviderJobError,
    ProviderJobStatus, ProviderMetrics,
};

/// LoRA alpha sent when only a rank is given: twice the rank, Together's own default ratio.
const ALPHA_PER_RANK: u32 = 2;

/// A list answer: `{"data":[...]}`.
#[derive(Deserialize)]
pub(crate) struct DataWire<T> {
    #[serde(default = "Option::default")]
    data: Option<Vec<T>>,
}

impl<T> DataWire<T> {
    pub(crate) fn into_data(self) -> Vec<T> {
        self.data.unwrap_or_default()
    }
}

/// FinetuneResponse (and its truncated form).
#[derive(Deserialize)]
pub(crate) struct JobWire {
    id: String,
    status: String,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    model_output_name: Option<String>,
    #[serde(default)]
    training_file: Option<String>,
    #[serde(default)]
    created_at: Option<Value>,
    #[serde(default)]
    updated_at: Option<Value>,
    #[serde(default, deserialize_with = "lenient_u64")]
    token_count: Option<u64>,
    #[serde(default)]
    n_epochs: Option<Value>,
    #[serde(default)]
    batch_size: Option<Value>,
    #[serde(default)]
    learning_rate: Option<Value>,
    #[serde(default)]
    training_type: Option<Value>,
    #[serde(default)]
    events: Option<Vec<EventWire>>,
}

/// FineTuneEvent.
#[derive(Deserialize, Clone)]
pub(crate) struct EventWire {
    #[serde(default)]
    created_at: Option<Value>,
    #[serde(default)]
    level: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "lenient_u64")]
    step: Option<u64>,
}

/// FineTuneCheckpoint.
#[derive(Deserialize)]
pub(crate) struct CheckpointWire {
    #[serde(default, deserialize_with = "lenient_u64")]
    step: Option<u64>,
    #[serde(default)]
    created_at: Option<Value>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    checkpoint_type: Option<String>,
}

/// The `/metrics` answer: `{"metrics":[{"train/loss":0.5,"train/global_step":7,...}]}`.
#[derive(Deserialize)]
pub(crate) struct MetricsWire {
    #[serde(default)]
    metrics: Option<Vec<Map<String, Value>>>,
}

/// Together's job status in tuner's terms; unknown statuses are kept as `Other`.
pub(crate) fn job_status(status: &str) -> ProviderJobStatus {
    match status {
        "pending" | "queued" => ProviderJobStatus::Queued,
        // Still training until Together says it stopped.
        "running" | "compressing" | "uploading" | "cancel_requested" => ProviderJobStatus::Running,
        "completed" => ProviderJobStatus::Succeeded,
        "error" => ProviderJobStatus::Failed,
        "cancelled" => ProviderJobStatus::Cancelled,
        other => ProviderJobStatus::Other(other.to_owned()),
    }
}

/// Unix seconds from an ISO-8601 string or a number.
fn unix_seconds(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::String(text) => chrono::DateTime::parse_from_rfc3339(text.trim())
            .ok()
            .map(|at| at.timestamp()),
        other => as_f64(other).map(|seconds| seconds.round() as i64),
    }
}

/// The JSON body of `POST /fine-tunes`; settings left `None` are left to Together.
pub(crate) fn create_job_body(request: &CreateJobRequest) -> Value {
    let hp = &request.hyperparameters;
    let mut body = json!({
        "training_file": request.training_file,
        "model": request.model,
    });
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            body[key] = value;
        }
    };
    put("n_epochs", hp.n_epochs.map(Value::from));
    put("batch_size", hp.batch_size.map(Value::from));
    put("learning_rate", hp.learning_rate.map(Value::from));
    put("suffix", request.suffix.clone().map(Value::from));
    // The earlier job's output model name: Together continues from its final checkpoint.
    put(
        "from_checkpoint",
        request.continue_from.clone().map(Value::from),
    );
    if let Some(rank) = hp.lora_rank {
        let alpha = hp.lora_alpha.unwrap_or(rank.saturating_mul(ALPHA_PER_RANK));
        put(
            "training_type",
            Some(json!({"type": "Lora", "lora_r": rank, "lora_alpha": alpha})),
        );
    }
    body
}

impl From<JobWire> for ProviderJob {
    fn from(job: JobWire) -> Self {
        let status = job_status(&job.status);
        let error = (status == ProviderJobStatus::Failed).then(|| job_error(&job.events));
        let finished_at = if status.is_terminal() {
            unix_seconds(job.updated_at.as_ref())
        } else {
            None
        };
        let hyperparameters = json!({
            "n_epochs": job.n_epochs,
            "batch_size": job.batch_size,
            "learning_rate": job.learning_rate,
            "training_type": job.training_type,
        });
        ProviderJob {
            fine_tuned_model: job
                .model_output_name
                .filter(|_| status == ProviderJobStatus::Succeeded),
            id: job.id,
            model: job.model.unwrap_or_default(),
            error,
            trained_tokens: job.token_count.filter(|tokens| *tokens > 0),
            metadata: Default::default(),
            created_at: unix_seconds(job.created_at.as_ref()).unwrap_or_default(),
            finished_at,
            training_file: job.training_file,
            hyperparameters,
            status,
        }
    }
}

/// Why a job failed: its last `job_error` event, as far as the answer carried events.
fn job_error(events: &Option<Vec<EventWire>>) -> ProviderJobError {
    let last = events
        .iter()
        .flatten()
        .rev()
        .find(|e| e.kind.as_deref() == Some("job_error"))
        .and_then(|e| e.message.clone());
    ProviderJobError {
        code: Some("job_error".to_owned()),
        message: last.unwrap_or_else(|| {
            "the job ended with status error; see its events for the cause".to_owned()
        }),
        param: None,
    }
}

/// Together's events (oldest first) as tuner's, newest first. Each id is a digest of the
/// event's content plus how many identical events came before it, so it stays the same on
/// every read.
pub(crate) fn events(job_id: &str, oldest_first: Vec<EventWire>) -> Vec<ProviderEvent> {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    let mut events: Vec<ProviderEvent> = oldest_first
        .into_iter()
        .map(|e| {
            let kind = e.kind.clone().unwrap_or_default();
            let created = e
                .created_at
                .as_ref()
                .map(|v| v.to_string())
                .unwrap_or_default();
            let message = e.message.clone().unwrap_or_default();
            let content = format!("{job_id}\n{created}\n{kind}\n{:?}\n{message}", e.step);
            let digest = format!("{:x}", Sha256::digest(content.as_bytes()));
            let repeat = seen.entry(digest.clone()).or_insert(0);
            let id = format!("tev-{}-{repeat}", &digest[..16]);
            *repeat += 1;
            ProviderEvent {
                id,
                created_at: unix_seconds(e.created_at.as_ref()).unwrap_or_default(),
                level: level(e.level.as_deref()),
                message: if message.trim().is_empty() {
                    kind
                } else {
                    message
                },
                kind: "message".to_owned(),
                metrics: None,
            }
        })
        .collect();
    events.reverse();
    events
}

/// "info", "warn" or "error" from Together's levels (`warning`, `legacy_ierror`, null…).
fn level(level: Option<&str>) -> String {
    let level = level.unwrap_or("info");
    let level = level.strip_prefix("legacy_").unwrap_or(level);
    match level {
        "warning" | "iwarning" | "warn" => "warn",
        "error" | "ierror" => "error",
        _ => "info",
    }
    .to_owned()
}

/// Checkpoints, ordered by step. The path (the checkpoint's model name) is its id.
pub(crate) fn checkpoints(job_id: &str, list: Vec<CheckpointWire>) -> Vec<ProviderCheckpoint> {
    let mut checkpoints: Vec<ProviderCheckpoint> = list
        .into_iter()
        .map(|c| {
            let step = c.step.unwrap_or_default();
            let kind = c.checkpoint_type.unwrap_or_default();
            let path = c.path.unwrap_or_else(|| format!("{job_id}:{step}"));
            ProviderCheckpoint {
                id: format!("{path}#{kind}"),
                created_at: unix_seconds(c.created_at.as_ref()).unwrap_or_default(),
                fine_tuned_model_checkpoint: path,
                step_number: step,
                metrics: ProviderMetrics {
                    step: Some(step),
                    ..ProviderMetrics::default()
                },
            }
        })
        .collect();
    checkpoints.sort_by_key(|c| (c.step_number, c.created_at));
    checkpoints
}

/// The `/metrics` snapshots that name their step, as "metrics" events, oldest first. Snapshots
/// carry no time; `now` (unix seconds) stands for when tuner read them.
pub(crate) fn metrics(job_id: &str, answer: MetricsWire, now: i64) -> Vec<ProviderEvent> {
    let snapshots = answer.metrics.unwrap_or_default();
    let mut points: Vec<ProviderEvent> = snapshots
        .iter()
        .filter_map(|snapshot| {
            let float = |key: &str| snapshot.get(key).and_then(as_f64);
            let step = snapshot.get("train/global_step").and_then(as_u64)?;
            let metrics = ProviderMetrics {
                step: Some(step),
                train_loss: float("train/loss"),
                valid_loss: float("eval/loss").or_else(|| float("valid/loss")),
                ..ProviderMetrics::default()
            };
            let loss = metrics.train_loss.map(|l| l.to_string());
            Some(ProviderEvent {
                id: format!("{job_id}:metrics:{step}"),
                created_at: now,
                level: "info".to_owned(),
                message: format!(
                    "Step {step}: training loss={}",
                    loss.as_deref().unwrap_or("-")
                ),
                kind: "metrics".to_owned(),
                metrics: Some(metrics),
            })
        })
        .collect();
    points.sort_by_key(|e| e.metrics.as_ref().and_then(|m| m.step));
    points.dedup_by(|a, b| a.id == b.id);
    points
}

/// Model ids from `GET /models`, which Together answers with a bare array (OpenAI-style
/// `{"data":[...]}` is read too).
pub(crate) fn model_ids(answer: &Value) -> Vec<String> {
    let list = answer.get("data").unwrap_or(answer);
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|model| model.get("id").and_then(value_text))
        .collect()
}
