//! Together AI dialect: what a Together job was created with, its create request and wire shapes.

pub mod request;
pub mod wire;

use serde_json::Value;

/// Together-specific settings of a job.
#[derive(Debug, Clone)]
pub struct JobSpec {
    pub learning_rate: f64,
    /// `None` is "max".
    pub batch_size: Option<u32>,
    pub n_checkpoints: u32,
    pub n_evals: u32,
    /// `{"type":"Lora","lora_r",…}` or `{"type":"Full"}`, defaults filled in.
    pub training_type: Value,
    /// `{"method":"sft","train_on_inputs":…}`.
    pub training_method: Value,
    pub from_checkpoint: Option<String>,
    pub warmup_ratio: f64,
    pub max_grad_norm: f64,
    pub weight_decay: f64,
    pub packing: bool,
    pub max_seq_length: Option<u64>,
    pub lr_scheduler: Value,
    pub random_seed: Option<u64>,
    pub wandb_project_name: Option<String>,
    /// Lines and bytes of the training file.
    pub file_lines: usize,
    pub file_bytes: usize,
    /// Set when the job was deleted (`DELETE /fine-tunes/{id}`): it is no longer listed.
    pub deleted: bool,
}
