//! The base models a provider fine-tunes: from its API where it has one (Together's
//! `/fine-tunes/models/supported` with `/models` for context lengths), from tuner's own list
//! where it has none (OpenAI and Azure OpenAI list every model, tunable or not).

use serde_json::Value;

/// A base model a provider can fine-tune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseModel {
    /// The name to give as `baseModel`.
    pub id: String,
    /// Most tokens in its context window, when the provider says.
    pub context_length: Option<u64>,
}

/// OpenAI's fine-tunable chat models (its fine-tuning guide), with their context windows.
const OPENAI_TUNABLE: &[(&str, u64)] = &[
    ("gpt-4o-mini-2024-07-18", 128_000),
    ("gpt-4o-2024-08-06", 128_000),
    ("gpt-4.1-2025-04-14", 1_047_576),
    ("gpt-4.1-mini-2025-04-14", 1_047_576),
];

/// OpenAI's fine-tunable models, from tuner's list.
pub(crate) fn openai_tunable() -> Vec<BaseModel> {
    OPENAI_TUNABLE
        .iter()
        .map(|(id, context)| BaseModel {
            id: (*id).to_owned(),
            context_length: Some(*context),
        })
        .collect()
}

/// The models of a `/models` answer (an array or `{data: [...]}`), with their context length.
pub(crate) fn listed_models(answer: &Value) -> Vec<BaseModel> {
    let list = answer.get("data").unwrap_or(answer);
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|model| {
            let id = model.get("id")?.as_str()?.to_owned();
            let context_length = model.get("context_length").and_then(Value::as_u64);
            Some(BaseModel { id, context_length })
        })
        .collect()
}

/// Together's supported models (`{"models": [...]}`), with context lengths from `/models`.
pub(crate) fn together_supported(supported: &Value, models: &Value) -> Vec<BaseModel> {
    let known = listed_models(models);
    supported
        .get("models")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|id| BaseModel {
            id: id.to_owned(),
            context_length: known
                .iter()
                .find(|m| m.id == id)
                .and_then(|m| m.context_length),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn together_models_get_their_context_length_from_the_model_list() {
        let supported = json!({ "models": ["a/b", "c/d"] });
        let models = json!([{ "id": "a/b", "context_length": 8192 }, { "id": "x/y" }]);
        assert_eq!(
            together_supported(&supported, &models),
            vec![
                BaseModel {
                    id: "a/b".into(),
                    context_length: Some(8192)
                },
                BaseModel {
                    id: "c/d".into(),
                    context_length: None
                },
            ]
        );
        let wrapped = json!({ "data": [{ "id": "m", "context_length": 4096 }] });
        assert_eq!(listed_models(&wrapped)[0].context_length, Some(4096));
    }
}
