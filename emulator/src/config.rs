//! Emulator settings: clock mode, phase durations, metrics steps, naming, deployment and streaming pace.

use std::fmt;

/// How the emulator's virtual clock moves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClockMode {
    /// Virtual time moves only when `advance` is called (deterministic tests).
    Manual,
    /// Virtual time follows the wall clock, `speed` times faster (plus any `advance`).
    Real { speed: f64 },
}

/// Settings of one emulator instance.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// When set, requests must carry this key; when `None`, any non-empty key is accepted.
    pub api_key: Option<String>,
    /// How virtual time moves.
    pub clock: ClockMode,
    /// Seconds a job spends in `validating_files`.
    pub validating_secs: u64,
    /// Seconds a job spends in `queued`.
    pub queued_secs: u64,
    /// Seconds a job spends in `running`.
    pub running_secs: u64,
    /// Metrics events emitted evenly while a job runs (fewer if the job has fewer steps).
    pub steps: u32,
    /// Organization used in `ft:` model names and as the owner of jobs and models (also the
    /// Together account in `model_output_name`).
    pub organization: String,
    /// Seconds a Together endpoint, Fireworks deployment or Nebius custom model takes to
    /// become callable (half pending, half starting for Together).
    pub deploy_secs: u64,
    /// Pause between two streamed chat-completion chunks, in milliseconds.
    pub stream_delay_ms: u64,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            api_key: None,
            clock: ClockMode::Real { speed: 1.0 },
            validating_secs: 2,
            queued_secs: 2,
            running_secs: 10,
            steps: 10,
            organization: "tuner-emulator".to_owned(),
            deploy_secs: 4,
            stream_delay_ms: 0,
        }
    }
}

// The API key is a secret even here: never print it.
impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("clock", &self.clock)
            .field("validating_secs", &self.validating_secs)
            .field("queued_secs", &self.queued_secs)
            .field("running_secs", &self.running_secs)
            .field("steps", &self.steps)
            .field("organization", &self.organization)
            .field("deploy_secs", &self.deploy_secs)
            .field("stream_delay_ms", &self.stream_delay_ms)
            .finish()
    }
}
