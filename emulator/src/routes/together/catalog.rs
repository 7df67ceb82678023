//! Together model catalogue: `/models`, `/fine-tunes/models/supported` and `/limits`.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::catalog::{self, TOGETHER};
use crate::dialect::Dialect;
use crate::state::Shared;

/// `GET /fine-tunes/models/supported`.
pub async fn supported() -> Json<Value> {
    let models: Vec<&str> = TOGETHER.iter().map(|m| m.name).collect();
    Json(json!({"models": models}))
}

#[derive(Deserialize)]
pub struct LimitsQuery {
    model_name: Option<String>,
}

/// `GET /fine-tunes/models/limits?model_name=`; an unknown model answers 404 `{"message"}`.
pub async fn limits(Query(query): Query<LimitsQuery>) -> Response {
    let name = query.model_name.unwrap_or_default();
    let Some(model) = catalog::find(TOGETHER, &name) else {
        let message = format!("Model {name} is not available for fine-tuning.");
        return (StatusCode::NOT_FOUND, Json(json!({"message": message}))).into_response();
    };
    Json(json!({
        "model_name": model.name,
        "full_training": {"max_batch_size": 96, "max_batch_size_dpo": 48, "min_batch_size": 8},
        "lora_training": {
            "max_batch_size": 128,
            "max_batch_size_dpo": 64,
            "min_batch_size": 8,
            "max_rank": 64,
            "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        },
        "max_num_epochs": 20,
        "max_num_evals": 100,
        "max_learning_rate": 1,
        "min_learning_rate": 0,
        "supports_vision": false,
        "supports_tools": true,
        "supports_reasoning": false,
        "merge_output_lora": false,
    }))
    .into_response()
}

/// `GET /models`: the base models, then the fine-tuned models produced so far.
pub async fn models(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let store = shared.store();
    let base = TOGETHER.iter().map(|m| {
        json!({
            "id": m.name,
            "object": "model",
            "created": m.created,
            "type": "chat",
            "display_name": m.name.rsplit('/').next().unwrap_or(m.name),
            "organization": m.name.split('/').next().unwrap_or(m.name),
            "context_length": m.context_length,
            "pricing": {"hourly": 0, "input": 0, "output": 0, "base": 0, "finetune": 0},
        })
    });
    let tuned = store.jobs_of(Dialect::Together).filter_map(|job| {
        let name = job.fine_tuned_model.as_deref()?;
        Some(json!({
            "id": name,
            "object": "model",
            "created": job.finished_at.unwrap_or(0),
            "type": "chat",
            "display_name": name,
            "organization": shared.config.organization,
            "pricing": {"hourly": 0, "input": 0, "output": 0, "base": 0, "finetune": 0},
        }))
    });
    Json(Value::Array(base.chain(tuned).collect()))
}
