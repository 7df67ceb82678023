//! A fine-tuning job as the emulator stores it, with its events and checkpoints, and their OpenAI JSON.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::clock::{ms_of_secs, secs, Millis};
use crate::config::EmulatorConfig;
use crate::dialect::Dialect;
use crate::hyperparams::Hyperparameters;
use crate::ids;
use crate::models;
use crate::pagination::HasId;
use crate::training::Plan;
use crate::validation::{Analysis, JobError};
use crate::{fireworks, nebius, together};

/// Job status, as OpenAI spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    ValidatingFiles,
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::ValidatingFiles => "validating_files",
            Status::Queued => "queued",
            Status::Running => "running",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Succeeded | Status::Failed | Status::Cancelled)
    }
}

/// Phase durations and metrics samples, fixed when the job is created.
#[derive(Debug, Clone, Copy)]
pub struct Timings {
    pub validating_ms: Millis,
    pub queued_ms: Millis,
    pub running_ms: Millis,
    pub samples: u32,
}

impl From<&EmulatorConfig> for Timings {
    fn from(config: &EmulatorConfig) -> Self {
        Self {
            validating_ms: ms_of_secs(config.validating_secs),
            queued_ms: ms_of_secs(config.queued_secs),
            running_ms: ms_of_secs(config.running_secs),
            samples: config.steps,
        }
    }
}

/// A checked create request.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub model: String,
    pub training_file: String,
    pub validation_file: Option<String>,
    pub hyper: Hyperparameters,
    pub suffix: Option<String>,
    pub metadata: Option<BTreeMap<String, String>>,
    pub seed: u64,
}

/// What a job was created with beyond the common fields, by dialect.
#[derive(Debug, Clone)]
pub enum Spec {
    OpenAi,
    Together(together::JobSpec),
    Fireworks(fireworks::JobSpec),
    Nebius(nebius::JobSpec),
}

impl Spec {
    pub fn dialect(&self) -> Dialect {
        match self {
            Spec::OpenAi => Dialect::OpenAi,
            Spec::Together(_) => Dialect::Together,
            Spec::Fireworks(_) => Dialect::Fireworks,
            Spec::Nebius(_) => Dialect::Nebius,
        }
    }
}

/// A job's public id and the model name it produces if it succeeds.
#[derive(Debug, Clone)]
pub struct Identity {
    pub id: String,
    pub planned_model: String,
}

/// One job event (OpenAI's `fine_tuning.job.event`; `kind` is Together's event type).
#[derive(Debug, Clone)]
pub struct Event {
    pub id: String,
    pub created_at: i64,
    pub level: &'static str,
    pub kind: &'static str,
    pub message: String,
    pub data: Option<Value>,
}

/// One `fine_tuning.job.checkpoint`.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    pub id: String,
    pub created_at: i64,
    pub model: String,
    pub step: u32,
    pub train_loss: f64,
    pub accuracy: f64,
}

/// A fine-tuning job and everything it has produced so far.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub request: NewJob,
    pub spec: Spec,
    pub organization_id: String,
    pub created_ms: Millis,
    pub status: Status,
    pub hyper: Hyperparameters,
    pub finished_at: Option<i64>,
    pub estimated_finish: Option<i64>,
    pub fine_tuned_model: Option<String>,
    /// The name the model gets if the job succeeds.
    pub planned_model: String,
    pub trained_tokens: Option<u64>,
    pub error: Option<JobError>,
    pub result_files: Vec<String>,
    pub analysis: Analysis,
    pub timings: Timings,
    pub plan: Option<Plan>,
    pub samples_emitted: u32,
    pub events: Vec<Event>,
    pub checkpoints: Vec<Checkpoint>,
}

impl Job {
    /// An OpenAI job in `validating_files`, created at `now`.
    pub fn new(request: NewJob, analysis: Analysis, config: &EmulatorConfig, now: Millis) -> Self {
        let planned_model = models::fine_tuned_name(
            &request.model,
            &config.organization,
            request.suffix.as_deref(),
            &ids::alnum(8),
        );
        let identity = Identity {
            id: ids::new_id("ftjob-"),
            planned_model,
        };
        Self::create(request, Spec::OpenAi, identity, analysis, config, now)
    }

    /// A job of any dialect in `validating_files`, created at `now`.
    pub fn create(
        request: NewJob,
        spec: Spec,
        identity: Identity,
        analysis: Analysis,
        config: &EmulatorConfig,
        now: Millis,
    ) -> Self {
        let Identity { id, planned_model } = identity;
        let organization = &config.organization;
        let mut job = Self {
            spec,
            organization_id: organization_id(organization),
            created_ms: now,
            status: Status::ValidatingFiles,
            hyper: request.hyper,
            finished_at: None,
            estimated_finish: None,
            fine_tuned_model: None,
            planned_model,
            trained_tokens: None,
            error: None,
            result_files: Vec::new(),
            analysis,
            timings: Timings::from(config),
            plan: None,
            samples_emitted: 0,
            events: Vec::new(),
            checkpoints: Vec::new(),
            id,
            request,
        };
        job.note(
            now,
            "job_pending",
            format!("Created fine-tuning job: {}", job.id),
        );
        job.note(
            now,
            "training_data_downloading",
            format!("Validating training file: {}", job.request.training_file),
        );
        job
    }

    pub fn dialect(&self) -> Dialect {
        self.spec.dialect()
    }

    /// Appends an event (a metrics event when `data` is given).
    pub fn push_event(
        &mut self,
        at: Millis,
        level: &'static str,
        kind: &'static str,
        message: String,
        data: Option<Value>,
    ) {
        self.events.push(Event {
            id: ids::new_id("ftevent-"),
            created_at: secs(at),
            level,
            kind,
            message,
            data,
        });
    }

    /// Appends an `info` message event of Together type `kind`.
    pub fn note(&mut self, at: Millis, kind: &'static str, message: String) {
        self.push_event(at, "info", kind, message, None);
    }

    /// Checkpoints to keep: `Some(n)` spreads n evenly, `None` keeps OpenAI's last three epochs.
    pub fn checkpoint_count(&self) -> Option<u32> {
        match &self.spec {
            Spec::Together(spec) => Some(spec.n_checkpoints),
            _ => None,
        }
    }

    /// The FineTuningJob object.
    pub fn to_json(&self) -> Value {
        let hyper = self.hyper.to_json();
        json!({
            "object": "fine_tuning.job",
            "id": self.id,
            "model": self.request.model,
            "created_at": secs(self.created_ms),
            "finished_at": self.finished_at,
            "fine_tuned_model": self.fine_tuned_model,
            "organization_id": self.organization_id,
            "result_files": self.result_files,
            "status": self.status.as_str(),
            "validation_file": self.request.validation_file,
            "training_file": self.request.training_file,
            "hyperparameters": hyper,
            "trained_tokens": self.trained_tokens,
            "error": self.error.as_ref().map(JobError::to_json),
            "integrations": [],
            "seed": self.request.seed,
            "estimated_finish": self.estimated_finish,
            "method": {"type": "supervised", "supervised": {"hyperparameters": hyper}},
            "metadata": self.request.metadata,
            "user_provided_suffix": self.request.suffix,
        })
    }
}

impl Event {
    pub fn to_json(&self) -> Value {
        json!({
            "object": "fine_tuning.job.event",
            "id": self.id,
            "created_at": self.created_at,
            "level": self.level,
            "message": self.message,
            "type": if self.data.is_some() { "metrics" } else { "message" },
            "data": self.data.clone().unwrap_or_else(|| json!({})),
        })
    }
}

impl Checkpoint {
    pub fn to_json(&self, job_id: &str) -> Value {
        json!({
            "object": "fine_tuning.job.checkpoint",
            "id": self.id,
            "created_at": self.created_at,
            "fine_tuned_model_checkpoint": self.model,
            "step_number": self.step,
            "metrics": {
                "step": self.step,
                "train_loss": self.train_loss,
                "train_mean_token_accuracy": self.accuracy,
            },
            "fine_tuning_job_id": job_id,
        })
    }
}

impl HasId for Job {
    fn id(&self) -> &str {
        &self.id
    }
}

impl HasId for Event {
    fn id(&self) -> &str {
        &self.id
    }
}

impl HasId for Checkpoint {
    fn id(&self) -> &str {
        &self.id
    }
}

fn organization_id(organization: &str) -> String {
    if organization.starts_with("org-") {
        organization.to_owned()
    } else {
        format!("org-{organization}")
    }
}
