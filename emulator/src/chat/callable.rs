//! Which models a dialect answers chat completions for, and each provider's 404 when it cannot.

use crate::catalog;
use crate::clock::Millis;
use crate::deployment::Phase;
use crate::dialect::Dialect;
use crate::error::{ApiError, ApiResult};
use crate::models;
use crate::state::Store;

/// Checks that `model` is callable on `dialect` at `now`, and marks the deployment serving it
/// as used.
///
/// - OpenAI: a base model or a succeeded job's `ft:` model (or checkpoint).
/// - Together: a fine-tunable base model, or a model or endpoint name with a `STARTED` endpoint.
/// - Fireworks: an `accounts/fireworks/models/…` base model, or
///   `accounts/a/models/m#accounts/a/deployments/d` with deployment `d` `READY` serving `m`.
/// - Nebius: a base model or an `active` custom model registered with `POST /v0/models`.
pub fn check(store: &mut Store, dialect: Dialect, model: &str, now: Millis) -> ApiResult<()> {
    let callable = match dialect {
        Dialect::OpenAi => models::find(store, model).is_some(),
        Dialect::Together => {
            catalog::find(catalog::TOGETHER, model).is_some()
                || touch(store, dialect, now, |d| d.name == model || d.model == model)
        }
        Dialect::Fireworks => {
            catalog::find(catalog::FIREWORKS, model).is_some()
                || model.split_once('#').is_some_and(|(served, deployment)| {
                    touch(store, dialect, now, |d| {
                        d.name == deployment && d.model == served
                    })
                })
        }
        Dialect::Nebius => {
            catalog::find(catalog::NEBIUS, model).is_some()
                || touch(store, dialect, now, |d| d.name == model)
        }
    };
    if callable {
        Ok(())
    } else {
        Err(not_found(dialect, model))
    }
}

// Marks the first ready deployment matching `wanted` as used; false when there is none.
fn touch(
    store: &mut Store,
    dialect: Dialect,
    now: Millis,
    wanted: impl Fn(&crate::deployment::Deployment) -> bool,
) -> bool {
    let found = store
        .deployments
        .iter_mut()
        .find(|d| d.dialect == dialect && wanted(d) && d.phase(now) == Phase::Ready);
    match found {
        Some(deployment) => {
            deployment.last_used_ms = now;
            true
        }
        None => false,
    }
}

fn not_found(dialect: Dialect, model: &str) -> ApiError {
    match dialect {
        Dialect::OpenAi | Dialect::Nebius => ApiError::not_found(format!(
            "The model `{model}` does not exist or you do not have access to it."
        ))
        .param("model")
        .code("model_not_found"),
        Dialect::Together => ApiError::not_found(format!(
            "Unable to access model {model}. Please visit https://api.together.ai/models to view the list of supported models."
        ))
        .code("model_not_available"),
        Dialect::Fireworks => {
            ApiError::not_found("Model not found, inaccessible, and/or not deployed")
                .code("NOT_FOUND")
        }
    }
}
