//! Reading and checking a `POST /fine_tuning/jobs` body (CreateFineTuningJobRequest).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::dialect::Dialect;
use crate::error::{ApiError, ApiResult};
use crate::hyperparams::Hyperparameters;
use crate::ids;
use crate::job::NewJob;
use crate::models;
use crate::state::Store;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    model: String,
    training_file: String,
    hyperparameters: Option<Value>,
    method: Option<Value>,
    suffix: Option<String>,
    validation_file: Option<String>,
    #[serde(rename = "integrations")]
    _integrations: Option<Value>,
    seed: Option<i64>,
    metadata: Option<BTreeMap<String, String>>,
}

/// Parses the body and checks it against the files and models the emulator knows.
pub fn parse(body: &[u8], store: &Store) -> ApiResult<NewJob> {
    let body: Body = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(format!("Invalid request body: {e}.")))?;
    check_model(store, &body.model)?;
    check_file(store, Dialect::OpenAi, &body.training_file, "training_file")?;
    if let Some(file) = &body.validation_file {
        check_file(store, Dialect::OpenAi, file, "validation_file")?;
    }
    Ok(NewJob {
        hyper: Hyperparameters::from_request(body.hyperparameters.as_ref(), body.method.as_ref())?,
        suffix: check_suffix(body.suffix)?,
        metadata: check_metadata(body.metadata)?,
        seed: check_seed(body.seed)?,
        model: body.model,
        training_file: body.training_file,
        validation_file: body.validation_file,
    })
}

fn check_model(store: &Store, model: &str) -> ApiResult<()> {
    if models::find(store, model).is_some() {
        return Ok(());
    }
    Err(ApiError::invalid(format!(
        "Model {model} is not available for fine-tuning or does not exist."
    ))
    .param("model")
    .code("model_not_found"))
}

/// The file must have been uploaded to `dialect` with purpose `fine-tune`.
pub fn check_file(store: &Store, dialect: Dialect, id: &str, param: &str) -> ApiResult<()> {
    let file = store.file(id, dialect).ok_or_else(|| {
        ApiError::invalid(format!(
            "invalid {param}: no file with id '{id}' was uploaded."
        ))
        .param(param)
    })?;
    if file.purpose != "fine-tune" {
        return Err(ApiError::invalid(format!(
            "invalid {param}: file '{id}' has purpose '{}'; upload it with purpose 'fine-tune'.",
            file.purpose
        ))
        .param(param));
    }
    Ok(())
}

/// At most 64 letters, digits, `-` and `_` (OpenAI and Nebius).
pub fn check_suffix(suffix: Option<String>) -> ApiResult<Option<String>> {
    let Some(suffix) = suffix else {
        return Ok(None);
    };
    let valid_chars = suffix
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if suffix.is_empty() || suffix.chars().count() > 64 || !valid_chars {
        return Err(ApiError::invalid(format!(
            "suffix '{suffix}' must be 1 to 64 characters of letters, digits, '-' and '_'."
        ))
        .param("suffix"));
    }
    Ok(Some(suffix))
}

fn check_metadata(
    metadata: Option<BTreeMap<String, String>>,
) -> ApiResult<Option<BTreeMap<String, String>>> {
    let Some(metadata) = metadata.filter(|m| !m.is_empty()) else {
        return Ok(None);
    };
    let invalid = |message: String| ApiError::invalid(message).param("metadata");
    if metadata.len() > 16 {
        return Err(invalid(format!(
            "metadata has {} keys; at most 16 are allowed.",
            metadata.len()
        )));
    }
    for (key, value) in &metadata {
        if key.chars().count() > 64 {
            return Err(invalid(format!(
                "metadata key '{key}' is longer than 64 characters."
            )));
        }
        if value.chars().count() > 512 {
            return Err(invalid(format!(
                "metadata value of '{key}' is longer than 512 characters."
            )));
        }
    }
    Ok(Some(metadata))
}

/// A seed from 0 to 2^31 - 1, or a random one.
pub fn check_seed(seed: Option<i64>) -> ApiResult<u64> {
    match seed {
        None => Ok(ids::random_seed()),
        Some(seed) => u64::try_from(seed)
            .ok()
            .filter(|s| *s <= 2_147_483_647)
            .ok_or_else(|| {
                ApiError::invalid(format!("seed {seed} must be from 0 to 2147483647."))
                    .param("seed")
            }),
    }
}
