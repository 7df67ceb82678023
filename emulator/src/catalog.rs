//! Base models each non-OpenAI dialect can fine-tune and serve, with their context lengths.

/// A provider's base model.
#[derive(Debug, Clone, Copy)]
pub struct BaseModel {
    pub name: &'static str,
    pub context_length: u32,
    pub created: i64,
}

const fn model(name: &'static str, context_length: u32, created: i64) -> BaseModel {
    BaseModel {
        name,
        context_length,
        created,
    }
}

/// Together's fine-tunable models (`/fine-tunes/models/supported`).
pub const TOGETHER: &[BaseModel] = &[
    model(
        "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference",
        131_072,
        1_721_692_800,
    ),
    model(
        "meta-llama/Meta-Llama-3.1-70B-Instruct-Reference",
        131_072,
        1_721_692_800,
    ),
    model("Qwen/Qwen2.5-7B-Instruct", 32_768, 1_726_617_600),
];

/// Fireworks' base models (all under `accounts/fireworks/models/`).
pub const FIREWORKS: &[BaseModel] = &[
    model(
        "accounts/fireworks/models/llama-v3p1-8b-instruct",
        131_072,
        1_721_692_800,
    ),
    model(
        "accounts/fireworks/models/llama-v3p1-70b-instruct",
        131_072,
        1_721_692_800,
    ),
    model(
        "accounts/fireworks/models/qwen2p5-7b-instruct",
        32_768,
        1_726_617_600,
    ),
];

/// Nebius Token Factory's fine-tunable models.
pub const NEBIUS: &[BaseModel] = &[
    model(
        "meta-llama/Meta-Llama-3.1-8B-Instruct",
        131_072,
        1_721_692_800,
    ),
    model("meta-llama/Llama-3.3-70B-Instruct", 131_072, 1_733_443_200),
    model("Qwen/Qwen2.5-7B-Instruct", 32_768, 1_726_617_600),
];

/// The base model called `name` in `models`.
pub fn find(models: &'static [BaseModel], name: &str) -> Option<&'static BaseModel> {
    models.iter().find(|m| m.name == name)
}
