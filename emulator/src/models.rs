//! The model catalogue: base models that can be fine-tuned, fine-tuned models produced, and naming.

use serde_json::{json, Value};

use crate::dialect::Dialect;
use crate::state::Store;

/// Base models the emulator can fine-tune, with their `created` timestamps.
const BASE_MODELS: &[(&str, i64)] = &[
    ("gpt-4o-mini-2024-07-18", 1_721_172_717),
    ("gpt-4o-2024-08-06", 1_722_814_719),
    ("gpt-4.1-2025-04-14", 1_744_316_542),
    ("gpt-4.1-mini-2025-04-14", 1_744_317_547),
    ("gpt-3.5-turbo-0125", 1_706_048_358),
];

/// The shutdown day OpenAI announced for its fine-tunable models and the models tuned from
/// them (its deprecations page); `gpt-3.5-turbo-0125` has none announced here.
const FINE_TUNING_SHUTDOWN: &str = "2027-01-14";

/// The shutdown day listed for `model` (`YYYY-MM-DD`): one set with
/// [`crate::Emulator::set_shutdown_date`], else its base model's, else OpenAI's announced one.
fn shutdown_date(store: &Store, model: &str) -> Option<String> {
    for name in [model, base_of(model)] {
        if let Some(set) = store.shutdown_dates.get(name) {
            return set.clone();
        }
    }
    let base = base_of(model);
    (base != "gpt-3.5-turbo-0125" && BASE_MODELS.iter().any(|(name, _)| *name == base))
        .then(|| FINE_TUNING_SHUTDOWN.to_owned())
}

/// The base model behind a model name (`ft:BASE:org:suffix:id` → `BASE`).
pub fn base_of(model: &str) -> &str {
    match model.strip_prefix("ft:") {
        Some(rest) => rest.split(':').next().unwrap_or(rest),
        None => model,
    }
}

/// OpenAI's fine-tuned model name: `ft:{base}:{org}:{suffix}:{id}` (empty suffix when none).
pub fn fine_tuned_name(model: &str, organization: &str, suffix: Option<&str>, id: &str) -> String {
    format!(
        "ft:{}:{organization}:{}:{id}",
        base_of(model),
        suffix.unwrap_or("")
    )
}

fn model_json(store: &Store, id: &str, created: i64, owned_by: &str) -> Value {
    json!({"id": id, "object": "model", "created": created, "owned_by": owned_by,
        "shutdown_date": shutdown_date(store, id)})
}

/// Every listed model: the base models, then fine-tuned models in the order they were created.
pub fn catalogue(store: &Store) -> Vec<Value> {
    let base = BASE_MODELS
        .iter()
        .map(|(id, created)| model_json(store, id, *created, "system"));
    let tuned = store.jobs_of(Dialect::OpenAi).filter_map(|job| {
        let name = job.fine_tuned_model.as_deref()?;
        Some(model_json(
            store,
            name,
            job.finished_at.unwrap_or(0),
            &job.organization_id,
        ))
    });
    base.chain(tuned).collect()
}

/// A model by id: a base model, a fine-tuned model or one of its checkpoints.
pub fn find(store: &Store, id: &str) -> Option<Value> {
    if let Some((name, created)) = BASE_MODELS.iter().find(|(name, _)| *name == id) {
        return Some(model_json(store, name, *created, "system"));
    }
    store.jobs_of(Dialect::OpenAi).find_map(|job| {
        let tuned = job.fine_tuned_model.as_deref() == Some(id);
        let checkpoint = job.checkpoints.iter().find(|c| c.model == id);
        if tuned {
            Some(model_json(
                store,
                id,
                job.finished_at.unwrap_or(0),
                &job.organization_id,
            ))
        } else {
            checkpoint.map(|c| model_json(store, id, c.created_at, &job.organization_id))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_openai_format() {
        assert_eq!(
            fine_tuned_name("gpt-4o-mini-2024-07-18", "org", Some("support"), "AbC12345"),
            "ft:gpt-4o-mini-2024-07-18:org:support:AbC12345"
        );
        assert_eq!(
            fine_tuned_name("ft:gpt-4o-2024-08-06:org:x:Zz9", "org", None, "AbC12345"),
            "ft:gpt-4o-2024-08-06:org::AbC12345"
        );
    }
}
