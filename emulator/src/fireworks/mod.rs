//! Fireworks AI dialect: resource names, list queries, the job create request and wire shapes.

pub mod list;
pub mod names;
pub mod request;
pub mod wire;

/// Fireworks-specific settings of a supervised fine-tuning job.
#[derive(Debug, Clone)]
pub struct JobSpec {
    pub account: String,
    pub display_name: Option<String>,
    /// `accounts/{a}/models/{m}`.
    pub output_model: String,
    pub learning_rate: f64,
    pub lora_rank: u32,
    pub batch_size: Option<u64>,
    pub max_context_length: Option<u64>,
    pub warm_start_from: Option<String>,
    pub evaluation_dataset: Option<String>,
    /// Set by `DELETE`: the job is gone from lists and lookups.
    pub deleted: bool,
}
