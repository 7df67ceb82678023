//! Reading and checking a Together `POST /fine-tunes` body.

use serde_json::{json, Map, Value};

use super::JobSpec;
use crate::catalog;
use crate::dialect::Dialect;
use crate::error::{ApiError, ApiResult};
use crate::hyperparams::{Hp, Hyperparameters};
use crate::ids;
use crate::job::NewJob;
use crate::job_request::check_file;
use crate::state::Store;

/// Default LoRA rank and alpha when `training_type` is left out or incomplete.
const DEFAULT_LORA_R: u64 = 64;

/// Parses the body and checks it against the files, models and jobs of the Together dialect.
pub fn parse(body: &[u8], store: &Store) -> ApiResult<(NewJob, JobSpec)> {
    let body: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(format!("Invalid request body: {e}.")))?;
    let map = body
        .as_object()
        .ok_or_else(|| ApiError::invalid("The request body must be a JSON object."))?;
    let model = required_str(map, "model")?;
    if catalog::find(catalog::TOGETHER, model).is_none() {
        return Err(ApiError::invalid(format!(
            "Model {model} is not supported for fine-tuning; see /fine-tunes/models/supported."
        ))
        .param("model"));
    }
    let training_file = required_str(map, "training_file")?;
    check_file(store, Dialect::Together, training_file, "training_file")?;
    let validation_file = optional_str(map, "validation_file")?;
    if let Some(file) = validation_file {
        check_file(store, Dialect::Together, file, "validation_file")?;
    }
    let n_epochs = int(map, "n_epochs", 1, 1, 100)?;
    let n_checkpoints = int(map, "n_checkpoints", 1, 1, 100)?;
    let (file_lines, file_bytes) = store
        .files
        .get(training_file)
        .map(|f| (count_lines(&f.bytes), f.bytes.len()))
        .unwrap_or_default();
    let random_seed = match map.get("random_seed") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_u64().ok_or_else(|| bad("random_seed", v))?),
    };
    let batch_size = batch_size(map)?;
    let spec = JobSpec {
        learning_rate: number(map, "learning_rate", 1e-5, |x| x > 0.0 && x <= 1.0)?,
        batch_size,
        n_checkpoints,
        n_evals: int(map, "n_evals", 0, 0, 100)?,
        training_type: training_type(map.get("training_type"))?,
        training_method: training_method(map.get("training_method"), map)?,
        from_checkpoint: from_checkpoint(map, store)?,
        warmup_ratio: number(map, "warmup_ratio", 0.0, |x| (0.0..=1.0).contains(&x))?,
        max_grad_norm: number(map, "max_grad_norm", 1.0, |x| x >= 0.0)?,
        weight_decay: number(map, "weight_decay", 0.0, |x| x >= 0.0)?,
        packing: boolean(map, "packing", true)?,
        max_seq_length: match map.get("max_seq_length") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_u64().filter(|n| *n > 0).ok_or_else(|| bad("max_seq_length", v))?),
        },
        lr_scheduler: map
            .get("lr_scheduler")
            .filter(|v| v.is_object())
            .cloned()
            .unwrap_or_else(|| json!({"lr_scheduler_type": "linear", "lr_scheduler_args": {"min_lr_ratio": 0.0}})),
        random_seed,
        wandb_project_name: optional_str(map, "wandb_project_name")?.map(str::to_owned),
        file_lines,
        file_bytes,
        deleted: false,
    };
    let new_job = NewJob {
        model: model.to_owned(),
        training_file: training_file.to_owned(),
        validation_file: validation_file.map(str::to_owned),
        hyper: Hyperparameters {
            n_epochs: Hp::Set(n_epochs),
            batch_size: batch_size.map_or(Hp::Auto, Hp::Set),
            learning_rate_multiplier: Hp::Auto,
        },
        suffix: suffix(map)?,
        metadata: None,
        seed: random_seed.unwrap_or_else(ids::random_seed),
    };
    Ok((new_job, spec))
}

fn bad(name: &str, value: &Value) -> ApiError {
    ApiError::invalid(format!("Invalid value for '{name}': {value}.")).param(name)
}

fn required_str<'a>(map: &'a Map<String, Value>, name: &str) -> ApiResult<&'a str> {
    optional_str(map, name)?.ok_or_else(|| {
        ApiError::invalid(format!("Missing required parameter: '{name}'.")).param(name)
    })
}

fn optional_str<'a>(map: &'a Map<String, Value>, name: &str) -> ApiResult<Option<&'a str>> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(v) => Err(bad(name, v)),
    }
}

fn int(map: &Map<String, Value>, name: &str, default: u32, min: u64, max: u64) -> ApiResult<u32> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_u64()
            .filter(|n| (min..=max).contains(n))
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "'{name}' must be an integer from {min} to {max}, not {v}."
                ))
                .param(name)
            }),
    }
}

fn number(
    map: &Map<String, Value>,
    name: &str,
    default: f64,
    valid: impl Fn(f64) -> bool,
) -> ApiResult<f64> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_f64()
            .filter(|x| x.is_finite() && valid(*x))
            .ok_or_else(|| bad(name, v)),
    }
}

fn boolean(map: &Map<String, Value>, name: &str, default: bool) -> ApiResult<bool> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v.as_bool().ok_or_else(|| bad(name, v)),
    }
}

fn batch_size(map: &Map<String, Value>) -> ApiResult<Option<u32>> {
    match map.get("batch_size") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s == "max" => Ok(None),
        Some(v) => v
            .as_u64()
            .filter(|n| (1..=1024).contains(n))
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "'batch_size' must be \"max\" or an integer from 1 to 1024, not {v}."
                ))
                .param("batch_size")
            }),
    }
}

fn suffix(map: &Map<String, Value>) -> ApiResult<Option<String>> {
    let Some(suffix) = optional_str(map, "suffix")? else {
        return Ok(None);
    };
    let valid = suffix
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if suffix.is_empty() || suffix.chars().count() > 64 || !valid {
        return Err(ApiError::invalid(format!(
            "suffix '{suffix}' must be 1 to 64 letters, digits, '-', '_' or '.'."
        ))
        .param("suffix"));
    }
    Ok(Some(suffix.to_owned()))
}

fn training_type(value: Option<&Value>) -> ApiResult<Value> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(lora(DEFAULT_LORA_R, DEFAULT_LORA_R * 2, 0.0, "all-linear"));
    };
    let kind = value.get("type").and_then(Value::as_str);
    match kind {
        Some("Full") => Ok(json!({"type": "Full"})),
        Some("Lora") => {
            let r = value.get("lora_r").and_then(Value::as_u64);
            let alpha = value.get("lora_alpha").and_then(Value::as_u64);
            let (Some(r), Some(alpha)) = (r.filter(|r| (1..=256).contains(r)), alpha) else {
                return Err(ApiError::invalid(
                    "training_type Lora needs integer 'lora_r' (1 to 256) and 'lora_alpha'.",
                )
                .param("training_type"));
            };
            let dropout = value
                .get("lora_dropout")
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            let modules = value
                .get("lora_trainable_modules")
                .and_then(Value::as_str)
                .unwrap_or("all-linear");
            Ok(lora(r, alpha, dropout, modules))
        }
        _ => Err(ApiError::invalid(format!(
            "training_type.type must be 'Lora' or 'Full', not {}.",
            value.get("type").cloned().unwrap_or(Value::Null)
        ))
        .param("training_type")),
    }
}

fn lora(r: u64, alpha: u64, dropout: f64, modules: &str) -> Value {
    json!({
        "type": "Lora",
        "lora_r": r,
        "lora_alpha": alpha,
        "lora_dropout": dropout,
        "lora_trainable_modules": modules,
    })
}

fn training_method(value: Option<&Value>, map: &Map<String, Value>) -> ApiResult<Value> {
    let legacy = map
        .get("train_on_inputs")
        .cloned()
        .unwrap_or_else(|| json!("auto"));
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(json!({"method": "sft", "train_on_inputs": legacy}));
    };
    match value.get("method").and_then(Value::as_str) {
        Some("sft") => Ok(json!({
            "method": "sft",
            "train_on_inputs": value.get("train_on_inputs").cloned().unwrap_or(legacy),
        })),
        _ => Err(ApiError::invalid(
            "The emulator supports only training_method {\"method\": \"sft\"}.",
        )
        .param("training_method")),
    }
}

// `{JOB_ID}` or `{OUTPUT_MODEL_NAME}`, optionally followed by `:{STEP}`, of a completed job.
fn from_checkpoint(map: &Map<String, Value>, store: &Store) -> ApiResult<Option<String>> {
    let Some(reference) = optional_str(map, "from_checkpoint")? else {
        return Ok(None);
    };
    let (source, step) = match reference.rsplit_once(':') {
        Some((source, step)) if step.chars().all(|c| c.is_ascii_digit()) && !step.is_empty() => {
            (source, step.parse::<u32>().ok())
        }
        _ => (reference, None),
    };
    let job = store
        .jobs_of(Dialect::Together)
        .find(|job| job.id == source || job.fine_tuned_model.as_deref() == Some(source));
    let found = job.is_some_and(|job| match step {
        None => job.fine_tuned_model.is_some(),
        Some(step) => job.checkpoints.iter().any(|c| c.step == step),
    });
    if !found {
        return Err(ApiError::invalid(format!(
            "from_checkpoint '{reference}' does not name a completed fine-tuning job or one of its checkpoints."
        ))
        .param("from_checkpoint"));
    }
    Ok(Some(reference.to_owned()))
}

fn count_lines(bytes: &[u8]) -> usize {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|line| !line.trim().is_empty())
        .count()
}
