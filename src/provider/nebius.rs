//! How Nebius Token Factory differs from OpenAI's API, for the OpenAI-compatible adapter: the
//! job body (absolute `learning_rate`, `lora`/`lora_r`/`lora_alpha`, no metadata, no "auto"),
//! the loss curve read from checkpoints, and the trained checkpoint as the job's result.

use serde_json::{json, Map, Value};

use super::{CreateJobRequest, ProviderCheckpoint, ProviderEvent};

/// The JSON body of Nebius's `POST /fine_tuning/jobs`. Hyperparameters left `None` are left
/// out (Nebius applies its defaults); LoRA is asked for when a rank or alpha is given.
pub(crate) fn create_job_body(request: &CreateJobRequest) -> Value {
    let hp = &request.hyperparameters;
    let mut hyperparameters = Map::new();
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            hyperparameters.insert(key.to_owned(), value);
        }
    };
    put("n_epochs", hp.n_epochs.map(Value::from));
    put("batch_size", hp.batch_size.map(Value::from));
    put("learning_rate", hp.learning_rate.map(Value::from));
    let lora = hp.lora_rank.is_some() || hp.lora_alpha.is_some();
    put("lora", lora.then_some(Value::Bool(true)));
    put("lora_r", hp.lora_rank.map(Value::from));
    put("lora_alpha", hp.lora_alpha.map(Value::from));
    let mut body = json!({
        // Like OpenAI, Nebius continues training by naming the fine-tuned model as the model.
        "model": request.continue_from.as_ref().unwrap_or(&request.model),
        "training_file": request.training_file,
        "hyperparameters": hyperparameters,
    });
    if let Some(suffix) = &request.suffix {
        body["suffix"] = Value::from(suffix.as_str());
    }
    body
}

/// The loss curve from checkpoints (`train_loss`, `valid_loss` at each step), oldest first, as
/// "metrics" events whose ids follow from the checkpoint ids.
pub(crate) fn checkpoint_metrics(checkpoints: &[ProviderCheckpoint]) -> Vec<ProviderEvent> {
    let mut points: Vec<ProviderEvent> = checkpoints
        .iter()
        .filter(|c| c.metrics.train_loss.is_some() || c.metrics.valid_loss.is_some())
        .map(|c| {
            let mut metrics = c.metrics.clone();
            metrics.step = Some(c.step_number);
            let loss = metrics
                .train_loss
                .map_or_else(|| "-".to_owned(), |loss| loss.to_string());
            ProviderEvent {
                id: format!("{}:metrics", c.id),
                created_at: c.created_at,
                level: "info".to_owned(),
                message: format!("Checkpoint at step {}: training loss={loss}", c.step_number),
                kind: "metrics".to_owned(),
                metrics: Some(metrics),
            }
        })
        .collect();
    points.sort_by_key(|e| (e.metrics.as_ref().and_then(|m| m.step), e.created_at));
    points
}

/// An event of Nebius's log kept as a plain message: Nebius's loss curve is read from its
/// checkpoints, so figures in the log would count twice.
pub(crate) fn as_message(mut event: ProviderEvent) -> ProviderEvent {
    event.kind = "message".to_owned();
    event.metrics = None;
    event
}

/// The trained result of a succeeded job: `JOB:CHECKPOINT` of its last checkpoint, the source
/// Nebius registers a callable model from.
pub(crate) fn trained_checkpoint(
    job_id: &str,
    checkpoints: &[ProviderCheckpoint],
) -> Option<String> {
    checkpoints
        .iter()
        .max_by_key(|c| (c.step_number, c.created_at))
        .map(|c| format!("{job_id}:{}", c.id))
}

/// The JSON body of Nebius's `POST /v0/models`: registers a trained checkpoint (`source`,
/// `ftjob-…:ftckpt_…`) as a custom model callable by the returned name.
pub(crate) fn register_body(request: &super::DeployRequest) -> Value {
    json!({
        "name": request.name,
        "base_model": request.base_model,
        "source": request.trained_model,
    })
}

/// The newest model in a `GET /v0/models` list registered from `source` that is not failed
/// or deleted.
pub(crate) fn registered_from<'a>(listed: &'a Value, source: &str) -> Option<&'a Value> {
    listed
        .get("data")
        .and_then(Value::as_array)?
        .iter()
        .filter(|m| m.get("source").and_then(Value::as_str) == Some(source))
        .filter(|m| {
            let status = m.get("status").and_then(Value::as_str).unwrap_or_default();
            !matches!(status, "error" | "failed" | "deleted" | "deleting")
        })
        .max_by_key(|m| {
            m.get("created_at")
                .and_then(Value::as_i64)
                .unwrap_or_default()
        })
}

/// A registered custom model (`validating`, `active`, `error`…): bots call it by its `name`,
/// which is also how it is looked up and removed.
pub(crate) fn registered_model(model: &Value) -> Result<super::Deployment, super::ProviderError> {
    use super::DeploymentState;
    let Some(name) = model.get("name").and_then(Value::as_str) else {
        return Err(super::ProviderError::Protocol {
            message: "the registered model has no name".into(),
        });
    };
    let provider_state = model
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_owned();
    let state = match provider_state.as_str() {
        "active" => DeploymentState::Ready,
        "error" | "failed" | "deleted" | "deleting" => DeploymentState::Down,
        _ => DeploymentState::Pending,
    };
    Ok(super::Deployment {
        id: name.to_owned(),
        state,
        provider_state,
        model: name.to_owned(),
    })
}
