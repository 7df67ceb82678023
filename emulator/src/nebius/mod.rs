//! Nebius Token Factory dialect: OpenAI-shaped jobs with Nebius hyperparameters, and custom
//! models registered from a job's checkpoint.

pub mod request;
pub mod wire;

use serde_json::Value;

/// Nebius-specific settings of a job.
#[derive(Debug, Clone)]
pub struct JobSpec {
    /// The hyperparameters object with every default filled in.
    pub hyperparameters: Value,
}
