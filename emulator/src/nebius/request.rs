//! Reading and checking a Nebius `POST /v1/fine_tuning/jobs` body.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::JobSpec;
use crate::catalog::{self, NEBIUS};
use crate::dialect::Dialect;
use crate::error::{ApiError, ApiResult};
use crate::hyperparams::{Hp, Hyperparameters};
use crate::job::{NewJob, Status};
use crate::job_request::{check_file, check_seed, check_suffix};
use crate::state::Store;

#[derive(Deserialize)]
struct Body {
    model: String,
    training_file: String,
    validation_file: Option<String>,
    hyperparameters: Option<Map<String, Value>>,
    suffix: Option<String>,
    seed: Option<i64>,
}

/// Checks a hyperparameter's value.
type Check = fn(&Value) -> bool;

/// Each hyperparameter with a check of the value given.
const HYPERPARAMETERS: &[(&str, Check)] = &[
    ("batch_size", |v| {
        v.as_u64().is_some_and(|n| (1..=1024).contains(&n))
    }),
    ("learning_rate", |v| {
        v.as_f64().is_some_and(|x| x > 0.0 && x.is_finite())
    }),
    ("n_epochs", |v| {
        v.as_u64().is_some_and(|n| (1..=20).contains(&n))
    }),
    ("warmup_ratio", |v| {
        v.as_f64().is_some_and(|x| (0.0..=1.0).contains(&x))
    }),
    ("weight_decay", |v| v.as_f64().is_some_and(|x| x >= 0.0)),
    ("lora", |v| v.is_boolean()),
    ("lora_r", |v| {
        v.as_u64().is_some_and(|n| (1..=256).contains(&n))
    }),
    ("lora_alpha", |v| {
        v.as_u64().is_some_and(|n| (1..=512).contains(&n))
    }),
    ("lora_dropout", |v| {
        v.as_f64().is_some_and(|x| (0.0..1.0).contains(&x))
    }),
    ("packing", |v| v.is_boolean()),
    ("max_grad_norm", |v| v.as_f64().is_some_and(|x| x >= 0.0)),
    ("context_length", |v| {
        v.as_u64().is_some_and(|n| (512..=131_072).contains(&n))
    }),
];

fn defaults() -> Map<String, Value> {
    let defaults = json!({
        "batch_size": 8,
        "learning_rate": 1e-5,
        "n_epochs": 3,
        "warmup_ratio": 0.0,
        "weight_decay": 0.0,
        "lora": false,
        "lora_r": 8,
        "lora_alpha": 8,
        "lora_dropout": 0.0,
        "packing": true,
        "max_grad_norm": 1.0,
        "context_length": 8192,
    });
    defaults.as_object().cloned().unwrap_or_default()
}

/// The base model a job on `model` trains: a base model of the catalogue, or the base beneath
/// a trained checkpoint (`ftjob-…:ftckpt_…` of a succeeded job) to continue training from.
pub fn tunable_base(store: &Store, model: &str) -> Option<String> {
    if let Some(base) = catalog::find(NEBIUS, model) {
        return Some(base.name.to_owned());
    }
    let (job_id, checkpoint_id) = model.split_once(':')?;
    let job = store.job_in(Dialect::Nebius, job_id)?;
    let has_checkpoint = job.checkpoints.iter().any(|c| c.id == checkpoint_id);
    if job.status != Status::Succeeded || !has_checkpoint {
        return None;
    }
    // A checkpoint names an earlier job, so following them ends at a base model.
    tunable_base(store, &job.request.model)
}

/// Parses the body and checks it against the Nebius dialect's files and base models.
pub fn parse(body: &[u8], store: &Store) -> ApiResult<(NewJob, JobSpec)> {
    let body: Body = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(format!("Invalid request body: {e}.")))?;
    tunable_base(store, &body.model).ok_or_else(|| {
        ApiError::invalid(format!(
            "Model {} is not available for fine-tuning.",
            body.model
        ))
        .param("model")
        .code("model_not_found")
    })?;
    check_file(store, Dialect::Nebius, &body.training_file, "training_file")?;
    if let Some(file) = &body.validation_file {
        check_file(store, Dialect::Nebius, file, "validation_file")?;
    }
    let mut hyperparameters = defaults();
    for (key, value) in body.hyperparameters.unwrap_or_default() {
        let check = HYPERPARAMETERS
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, check)| check)
            .ok_or_else(|| {
                ApiError::invalid(format!("Unknown hyperparameter `{key}`."))
                    .param("hyperparameters")
            })?;
        if !check(&value) {
            return Err(ApiError::invalid(format!(
                "Invalid value {value} for hyperparameter `{key}`."
            ))
            .param(format!("hyperparameters.{key}")));
        }
        hyperparameters.insert(key, value);
    }
    let int = |key: &str| {
        hyperparameters
            .get(key)
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(1)
    };
    let hyper = Hyperparameters {
        n_epochs: Hp::Set(int("n_epochs")),
        batch_size: Hp::Set(int("batch_size")),
        learning_rate_multiplier: Hp::Auto,
    };
    let new_job = NewJob {
        model: body.model,
        training_file: body.training_file,
        validation_file: body.validation_file,
        hyper,
        suffix: check_suffix(body.suffix)?,
        metadata: None,
        seed: check_seed(body.seed)?,
    };
    let spec = JobSpec {
        hyperparameters: Value::Object(hyperparameters),
    };
    Ok((new_job, spec))
}
