//! Reading and checking a Fireworks `POST .../supervisedFineTuningJobs` body.

use serde::Deserialize;

use super::{names, JobSpec};
use crate::catalog::{self, FIREWORKS};
use crate::dialect::Dialect;
use crate::error::{ApiError, ApiResult};
use crate::hyperparams::{Hp, Hyperparameters};
use crate::ids;
use crate::job::NewJob;
use crate::state::Store;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    dataset: String,
    base_model: Option<String>,
    warm_start_from: Option<String>,
    output_model: Option<String>,
    display_name: Option<String>,
    epochs: Option<u32>,
    learning_rate: Option<f64>,
    lora_rank: Option<u32>,
    batch_size: Option<u64>,
    max_context_length: Option<u64>,
    evaluation_dataset: Option<String>,
}

/// Parses the body for a job `job_id` in `account`.
pub fn parse(
    body: &[u8],
    store: &Store,
    account: &str,
    job_id: &str,
) -> ApiResult<(NewJob, JobSpec)> {
    let body: Body = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid(format!("invalid request body: {e}")))?;
    let dataset = names::qualify(account, "datasets", &body.dataset);
    check_dataset(store, &dataset)?;
    if let Some(evaluation) = &body.evaluation_dataset {
        check_dataset(store, &names::qualify(account, "datasets", evaluation))?;
    }
    let base_model = base_model(
        store,
        body.base_model.as_deref(),
        body.warm_start_from.as_deref(),
    )?;
    let output_model = names::qualify(
        account,
        "models",
        body.output_model.as_deref().unwrap_or(job_id),
    );
    let output_id = output_model.rsplit('/').next().unwrap_or_default();
    names::check_id(output_id, "model")?;
    let taken = store.jobs_of(Dialect::Fireworks).any(|job| {
        super::wire::spec(job).is_some_and(|s| !s.deleted && s.output_model == output_model)
    });
    if taken {
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "invalid_request_error",
            format!("model \"{output_model}\" already exists"),
        ));
    }
    let epochs = body.epochs.unwrap_or(1);
    if !(1..=100).contains(&epochs) {
        return Err(ApiError::invalid(format!(
            "epochs must be from 1 to 100, got {epochs}"
        )));
    }
    let lora_rank = body.lora_rank.unwrap_or(8);
    if !(4..=64).contains(&lora_rank) {
        return Err(ApiError::invalid(format!(
            "loraRank must be from 4 to 64, got {lora_rank}"
        )));
    }
    let learning_rate = body.learning_rate.unwrap_or(1e-4);
    if !(learning_rate.is_finite() && learning_rate > 0.0) {
        return Err(ApiError::invalid("learningRate must be a positive number"));
    }
    let spec = JobSpec {
        account: account.to_owned(),
        display_name: body.display_name,
        output_model,
        learning_rate,
        lora_rank,
        batch_size: body.batch_size,
        max_context_length: body.max_context_length,
        warm_start_from: body.warm_start_from,
        evaluation_dataset: body.evaluation_dataset,
        deleted: false,
    };
    let new_job = NewJob {
        model: base_model,
        training_file: dataset,
        validation_file: spec.evaluation_dataset.clone(),
        hyper: Hyperparameters {
            n_epochs: Hp::Set(epochs),
            batch_size: Hp::Auto,
            learning_rate_multiplier: Hp::Auto,
        },
        suffix: None,
        metadata: None,
        seed: ids::random_seed(),
    };
    Ok((new_job, spec))
}

fn check_dataset(store: &Store, name: &str) -> ApiResult<()> {
    let dataset = store
        .datasets
        .iter()
        .find(|d| d.name == name)
        .ok_or_else(|| ApiError::not_found(format!("dataset \"{name}\" not found")))?;
    if dataset.file.is_none() {
        return Err(ApiError::invalid(format!(
            "dataset \"{name}\" is not READY: upload its file first"
        )));
    }
    Ok(())
}

// The base model: `baseModel` from the catalogue, or the base behind `warmStartFrom`.
fn base_model(store: &Store, base: Option<&str>, warm: Option<&str>) -> ApiResult<String> {
    match (base, warm) {
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "only one of baseModel and warmStartFrom may be given",
        )),
        (Some(base), None) => catalog::find(FIREWORKS, base)
            .map(|m| m.name.to_owned())
            .ok_or_else(|| {
                ApiError::not_found(format!("model \"{base}\" not found or not tunable"))
            }),
        (None, Some(warm)) => store
            .jobs_of(Dialect::Fireworks)
            .find(|job| {
                job.fine_tuned_model.is_some()
                    && super::wire::spec(job).is_some_and(|s| s.output_model == warm)
            })
            .map(|job| job.request.model.clone())
            .ok_or_else(|| ApiError::not_found(format!("model \"{warm}\" not found"))),
        (None, None) => Err(ApiError::invalid("baseModel or warmStartFrom is required")),
    }
}
