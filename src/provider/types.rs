//! Provider-neutral values that cross the plug: jobs, events, checkpoints, files and requests.
//!
//! Adapters translate their wire formats into these; nothing here knows about HTTP or JSON.

use std::collections::BTreeMap;
use std::fmt;

/// A training file the provider has accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedFile {
    /// The provider's file id, to pass as `CreateJobRequest::training_file`.
    pub id: String,
    /// The size the provider recorded (the local size when the provider does not say).
    pub bytes: u64,
}

/// Training hyperparameters; `None` lets the provider choose ("auto").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hyperparameters {
    pub n_epochs: Option<u32>,
    pub batch_size: Option<u32>,
    /// OpenAI-style scale of the provider's learning rate.
    pub learning_rate_multiplier: Option<f64>,
    /// Absolute learning rate (Together, Nebius).
    pub learning_rate: Option<f64>,
    /// LoRA rank; LoRA training is asked for when this or `lora_alpha` is set.
    pub lora_rank: Option<u32>,
    /// LoRA alpha (scaling).
    pub lora_alpha: Option<u32>,
}

/// What identifies the provider job tuner created for one of its jobs, for finding it again
/// after tuner lost the provider's answer (see [`super::FineTuningProvider::find_job`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobMarker {
    /// tuner's job id, stored in the provider job's metadata where the provider keeps metadata.
    pub tuner_job_id: String,
    /// The uploaded training file's id, recorded before the job was created; providers without
    /// metadata match jobs on it.
    pub training_file: Option<String>,
}

/// What to train: a supervised fine-tuning job.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateJobRequest {
    /// The base model the job trains.
    pub model: String,
    /// A model an earlier job of the same provider trained on `model`, to continue training
    /// from (incremental training); each adapter says it the provider's way.
    pub continue_from: Option<String>,
    /// File id from `upload_training_file`.
    pub training_file: String,
    pub hyperparameters: Hyperparameters,
    /// Added to the fine-tuned model's name by the provider.
    pub suffix: Option<String>,
    /// Tags stored on the job where the provider keeps metadata (others ignore them).
    pub metadata: BTreeMap<String, String>,
}

/// A job's status as the provider reports it. Unknown statuses are kept in `Other`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProviderJobStatus {
    ValidatingFiles,
    Queued,
    Running,
    Paused,
    Succeeded,
    Failed,
    Cancelled,
    /// A status this version of tuner does not know, as the provider spelled it.
    Other(String),
}

impl ProviderJobStatus {
    /// Reads a provider status string; never fails (unknown strings become `Other`).
    pub fn parse(status: &str) -> Self {
        match status {
            "validating_files" => Self::ValidatingFiles,
            "queued" => Self::Queued,
            "running" => Self::Running,
            "paused" => Self::Paused,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "cancelled" => Self::Cancelled,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The provider's spelling of the status.
    pub fn as_str(&self) -> &str {
        match self {
            Self::ValidatingFiles => "validating_files",
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Other(other) => other,
        }
    }

    /// True when the job will not change any more (succeeded, failed or cancelled).
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }
}

impl fmt::Display for ProviderJobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a job failed, in the provider's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderJobError {
    pub code: Option<String>,
    pub message: String,
    /// The request parameter at fault, e.g. `training_file`.
    pub param: Option<String>,
}

/// A fine-tuning job as the provider reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderJob {
    pub id: String,
    pub status: ProviderJobStatus,
    pub model: String,
    /// The trained model's name, once the job succeeded.
    pub fine_tuned_model: Option<String>,
    pub error: Option<ProviderJobError>,
    pub trained_tokens: Option<u64>,
    pub metadata: BTreeMap<String, String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub finished_at: Option<i64>,
    pub training_file: Option<String>,
    /// The hyperparameters the provider settled on, as it sent them (`Null` when it sent none).
    pub hyperparameters: serde_json::Value,
}

/// Training metrics at one step; every figure is optional because providers vary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProviderMetrics {
    pub step: Option<u64>,
    pub train_loss: Option<f64>,
    pub train_mean_token_accuracy: Option<f64>,
    pub valid_loss: Option<f64>,
    pub valid_mean_token_accuracy: Option<f64>,
    pub total_steps: Option<u64>,
}

/// One entry of a job's event log.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderEvent {
    pub id: String,
    /// Unix seconds.
    pub created_at: i64,
    /// "info", "warn" or "error" (as the provider sent it).
    pub level: String,
    pub message: String,
    /// "message" or "metrics".
    pub kind: String,
    /// Set for "metrics" events.
    pub metrics: Option<ProviderMetrics>,
}

/// One page of events, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct EventPage {
    pub events: Vec<ProviderEvent>,
    /// True when older events remain; ask again with `after` = the last event's id.
    pub has_more: bool,
}

/// A usable intermediate model saved during training.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderCheckpoint {
    pub id: String,
    /// Unix seconds.
    pub created_at: i64,
    /// The checkpoint's model name.
    pub fine_tuned_model_checkpoint: String,
    pub step_number: u64,
    pub metrics: ProviderMetrics,
}
