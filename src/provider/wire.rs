//! The JSON shapes of the OpenAI fine-tuning API (openapi-fine-tuning.yaml), read leniently:
//! unknown fields are ignored, optional fields may be missing or null, numbers may be floats,
//! and "auto" hyperparameters are kept as sent.

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use super::lenient::{as_f64, as_u64, excerpt, lenient_i64, lenient_u64, string_map, value_text};
use super::{
    CreateJobRequest, ProviderCheckpoint, ProviderError, ProviderEvent, ProviderJob,
    ProviderJobError, ProviderJobStatus, ProviderMetrics,
};

/// A list answer: `{"object":"list","data":[...],"has_more":bool}`.
#[derive(Deserialize)]
pub(crate) struct ListWire<T> {
    // A function default, so that serde asks no `T: Default`.
    #[serde(default = "Option::default")]
    data: Option<Vec<T>>,
    #[serde(default)]
    pub(crate) has_more: bool,
}

impl<T> ListWire<T> {
    pub(crate) fn into_data(self) -> Vec<T> {
        self.data.unwrap_or_default()
    }
}

#[derive(Deserialize)]
pub(crate) struct ModelWire {
    pub(crate) id: String,
    /// OpenAI: the day the model shuts down (`YYYY-MM-DD`), null when not announced.
    #[serde(default)]
    pub(crate) shutdown_date: Option<Value>,
}

impl ModelWire {
    /// The announced shutdown day, when the provider gave a readable one.
    pub(crate) fn shutdown_day(&self) -> Option<chrono::NaiveDate> {
        let text = self.shutdown_date.as_ref()?.as_str()?;
        chrono::NaiveDate::parse_from_str(text.get(..10).unwrap_or(text), "%Y-%m-%d").ok()
    }
}

#[derive(Deserialize)]
pub(crate) struct FileWire {
    pub(crate) id: String,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub(crate) bytes: Option<u64>,
}

#[derive(Deserialize)]
pub(crate) struct JobWire {
    id: String,
    status: String,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    fine_tuned_model: Option<String>,
    #[serde(default)]
    error: Option<Value>,
    #[serde(default, deserialize_with = "lenient_u64")]
    trained_tokens: Option<u64>,
    #[serde(default)]
    metadata: Option<Value>,
    #[serde(default, deserialize_with = "lenient_i64")]
    created_at: Option<i64>,
    #[serde(default, deserialize_with = "lenient_i64")]
    finished_at: Option<i64>,
    #[serde(default)]
    training_file: Option<String>,
    #[serde(default)]
    hyperparameters: Option<Value>,
    #[serde(default)]
    method: Option<Value>,
}

#[derive(Deserialize)]
pub(crate) struct EventWire {
    id: String,
    #[serde(default, deserialize_with = "lenient_i64")]
    created_at: Option<i64>,
    #[serde(default)]
    level: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    data: Option<Value>,
}

#[derive(Deserialize)]
pub(crate) struct CheckpointWire {
    id: String,
    #[serde(default, deserialize_with = "lenient_i64")]
    created_at: Option<i64>,
    #[serde(default)]
    fine_tuned_model_checkpoint: Option<String>,
    #[serde(default, deserialize_with = "lenient_u64")]
    step_number: Option<u64>,
    #[serde(default)]
    metrics: Option<Value>,
}

/// The error a provider described in an error answer.
pub(crate) struct ApiError {
    pub(crate) message: String,
    pub(crate) code: Option<String>,
    pub(crate) param: Option<String>,
}

/// Reads a successful answer; `label` names the call in the error.
pub(crate) fn decode<T: DeserializeOwned>(label: &str, body: &[u8]) -> Result<T, ProviderError> {
    serde_json::from_slice(body).map_err(|error| ProviderError::Protocol {
        message: format!(
            "could not read the provider's answer to {label} ({error}; the answer began with \
             {:?}); is the base URL an OpenAI-compatible API?",
            excerpt(body)
        ),
    })
}

/// Reads `{"error":{"message","type","param","code"}}` (or the `{"message"}` / `{"detail"}` of
/// some compatible servers); anything else becomes the status with an excerpt of the body.
pub(crate) fn parse_error_body(status: StatusCode, body: &[u8]) -> ApiError {
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let error = json.get("error").unwrap_or(&json);
    let text = |value: Option<&Value>| value.and_then(value_text);
    let message = text(error.get("message"))
        .or_else(|| text(json.get("error")))
        .or_else(|| text(json.get("detail")));
    let Some(message) = message else {
        let reason = status.canonical_reason().unwrap_or("error");
        let excerpt = excerpt(body);
        let message = if excerpt.is_empty() {
            format!("HTTP {} {reason} with an empty body", status.as_u16())
        } else {
            format!("HTTP {} {reason}: {excerpt:?}", status.as_u16())
        };
        return ApiError {
            message,
            code: None,
            param: None,
        };
    };
    ApiError {
        message,
        code: text(error.get("code")),
        param: text(error.get("param")),
    }
}

/// The JSON body of `POST /fine_tuning/jobs`; hyperparameters left `None` are sent as "auto".
pub(crate) fn create_job_body(request: &CreateJobRequest) -> Value {
    fn auto_or(value: Option<Value>) -> Value {
        value.unwrap_or_else(|| Value::from("auto"))
    }
    let hp = &request.hyperparameters;
    let hyperparameters = json!({
        "n_epochs": auto_or(hp.n_epochs.map(Value::from)),
        "batch_size": auto_or(hp.batch_size.map(Value::from)),
        "learning_rate_multiplier": auto_or(hp.learning_rate_multiplier.map(Value::from)),
    });
    let mut body = json!({
        // OpenAI continues training by naming the fine-tuned model as the model.
        "model": request.continue_from.as_ref().unwrap_or(&request.model),
        "training_file": request.training_file,
        "method": {"type": "supervised", "supervised": {"hyperparameters": hyperparameters}},
    });
    if let Some(suffix) = &request.suffix {
        body["suffix"] = Value::from(suffix.as_str());
    }
    if !request.metadata.is_empty() {
        body["metadata"] = json!(request.metadata);
    }
    body
}

impl From<JobWire> for ProviderJob {
    fn from(job: JobWire) -> Self {
        let hyperparameters = job
            .hyperparameters
            .filter(|value| !value.is_null())
            .or_else(|| method_hyperparameters(job.method.as_ref()))
            .unwrap_or(Value::Null);
        ProviderJob {
            id: job.id,
            status: ProviderJobStatus::parse(&job.status),
            model: job.model.unwrap_or_default(),
            fine_tuned_model: job.fine_tuned_model,
            error: job.error.as_ref().and_then(job_error),
            trained_tokens: job.trained_tokens,
            metadata: job.metadata.as_ref().map(string_map).unwrap_or_default(),
            created_at: job.created_at.unwrap_or_default(),
            finished_at: job.finished_at,
            training_file: job.training_file,
            hyperparameters,
        }
    }
}

impl From<EventWire> for ProviderEvent {
    fn from(event: EventWire) -> Self {
        let kind = event.kind.unwrap_or_else(|| "message".to_owned());
        let metrics = (kind == "metrics").then(|| metrics(event.data.as_ref()));
        ProviderEvent {
            id: event.id,
            created_at: event.created_at.unwrap_or_default(),
            level: event.level.unwrap_or_else(|| "info".to_owned()),
            message: event.message.unwrap_or_default(),
            kind,
            metrics,
        }
    }
}

impl From<CheckpointWire> for ProviderCheckpoint {
    fn from(checkpoint: CheckpointWire) -> Self {
        let mut metrics = metrics(checkpoint.metrics.as_ref());
        metrics.step = metrics.step.or(checkpoint.step_number);
        ProviderCheckpoint {
            id: checkpoint.id,
            created_at: checkpoint.created_at.unwrap_or_default(),
            fine_tuned_model_checkpoint: checkpoint.fine_tuned_model_checkpoint.unwrap_or_default(),
            step_number: checkpoint.step_number.or(metrics.step).unwrap_or_default(),
            metrics,
        }
    }
}

/// `method.<type>.hyperparameters`, where jobs created with `method` report them.
fn method_hyperparameters(method: Option<&Value>) -> Option<Value> {
    let method = method?;
    let kind = method.get("type")?.as_str()?;
    let found = method.get(kind)?.get("hyperparameters")?;
    (!found.is_null()).then(|| found.clone())
}

/// A job's `error`, or `None` for the all-null object OpenAI sends for jobs that did not fail.
fn job_error(error: &Value) -> Option<ProviderJobError> {
    let text = |key: &str| error.get(key).and_then(value_text);
    let (code, message) = (text("code"), text("message"));
    if code.is_none() && message.is_none() {
        return value_text(error).map(|message| ProviderJobError {
            code: None,
            message,
            param: None,
        });
    }
    Some(ProviderJobError {
        message: message.or_else(|| code.clone()).unwrap_or_default(),
        code,
        param: text("param"),
    })
}

fn metrics(data: Option<&Value>) -> ProviderMetrics {
    let data = data.unwrap_or(&Value::Null);
    let float = |key: &str| data.get(key).and_then(as_f64);
    let whole = |key: &str| data.get(key).and_then(as_u64);
    ProviderMetrics {
        step: whole("step"),
        train_loss: float("train_loss"),
        train_mean_token_accuracy: float("train_mean_token_accuracy"),
        valid_loss: float("valid_loss"),
        valid_mean_token_accuracy: float("valid_mean_token_accuracy"),
        total_steps: whole("total_steps"),
    }
}
