//! Training jobs: one submission of blocks to a provider, with what it was and what it became.

use crate::ids::{JobId, ModelId, WorkspaceId};
use sea_orm::entity::prelude::*;
use sea_orm::FromJsonQueryResult;
use serde::{Deserialize, Serialize};

/// Where a training job stands.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum JobStatus {
    #[sea_orm(string_value = "submitting")]
    Submitting,
    #[sea_orm(string_value = "validating_files")]
    ValidatingFiles,
    #[sea_orm(string_value = "queued")]
    Queued,
    #[sea_orm(string_value = "running")]
    Running,
    #[sea_orm(string_value = "paused")]
    Paused,
    #[sea_orm(string_value = "succeeded")]
    Succeeded,
    #[sea_orm(string_value = "failed")]
    Failed,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

impl JobStatus {
    /// Statuses of jobs that still hold their blocks and their model.
    pub const ACTIVE: [JobStatus; 5] = [
        JobStatus::Submitting,
        JobStatus::ValidatingFiles,
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Paused,
    ];

    /// Whether the job has ended.
    pub fn is_terminal(self) -> bool {
        !Self::ACTIVE.contains(&self)
    }
}

/// The hyperparameters asked for a job, stored as a JSON object
/// (`{"n_epochs": n|null, "batch_size": n|null, "learning_rate_multiplier": x|null,
/// "learning_rate": x|null, "lora_rank": n|null, "lora_alpha": n|null}`); `None` means "auto"
/// (the provider chooses). Keys missing from older rows read as `None`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct JobHyperparameters {
    #[serde(default)]
    pub n_epochs: Option<u32>,
    #[serde(default)]
    pub batch_size: Option<u32>,
    #[serde(default)]
    pub learning_rate_multiplier: Option<f64>,
    /// Absolute learning rate (providers that take one).
    #[serde(default)]
    pub learning_rate: Option<f64>,
    /// LoRA rank (providers that train LoRA adapters).
    #[serde(default)]
    pub lora_rank: Option<u32>,
    /// LoRA alpha.
    #[serde(default)]
    pub lora_alpha: Option<u32>,
}

/// The deployment choices a job that deploys on success was given, stored as JSON
/// (`{"hardware": s|null, "min_replicas": n|null, "max_replicas": n|null,
/// "idle_minutes": n|null}`); `None` keeps tuner's default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
pub struct JobDeploymentOptions {
    #[serde(default)]
    pub hardware: Option<String>,
    #[serde(default)]
    pub min_replicas: Option<u32>,
    #[serde(default)]
    pub max_replicas: Option<u32>,
    #[serde(default)]
    pub idle_minutes: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "training_job")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: JobId,
    pub workspace_id: WorkspaceId,
    pub model_id: ModelId,
    pub status: JobStatus,
    pub provider: String,
    /// The model training started from: the base model, or the custom model's previous
    /// fine-tuned model when training continues.
    pub base_model: String,
    /// The base model beneath `base_model` when training continues from a fine-tuned model;
    /// `None` when `base_model` is the base model itself (and on jobs recorded before tuner
    /// kept it).
    pub root_model: Option<String>,
    /// JSON (`jsonb` on Postgres, text on SQLite); a row whose JSON does not fit fails to load.
    #[sea_orm(column_type = "JsonBinary")]
    pub hyperparameters: JobHyperparameters,
    pub suffix: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub system_prompt: Option<String>,
    pub block_count: i64,
    pub token_count: i64,
    pub charge_credits: i64,
    pub file_sha256: String,
    pub file_bytes: i64,
    pub provider_file_id: Option<String>,
    pub provider_job_id: Option<String>,
    pub fine_tuned_model: Option<String>,
    pub trained_tokens: Option<i64>,
    pub error_code: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error_message: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub submitted_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    /// The replica following the job while its lease lasts.
    pub lease_owner: Option<String>,
    /// When the lease ends; another replica may then take the job over.
    pub lease_expires_at: Option<DateTimeUtc>,
    /// Deploy the trained model when the job succeeds (providers that serve only deployments).
    pub deploy_on_success: bool,
    /// How to deploy on success (none: tuner's defaults).
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub deployment_options: Option<JobDeploymentOptions>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The base model the job trained on, beneath any fine-tuned model it continued from.
    pub fn root_base_model(&self) -> &str {
        self.root_model.as_deref().unwrap_or(&self.base_model)
    }

    /// The fine-tuned model the job continued training from, if it did.
    pub fn continued_from(&self) -> Option<&str> {
        self.root_model.as_ref().map(|_| self.base_model.as_str())
    }
}

impl Entity {
    /// The workspace's model's jobs that are still active (at most one: a model trains one
    /// job at a time).
    pub fn active_of_model(workspace_id: WorkspaceId, model_id: ModelId) -> Select<Entity> {
        Self::find()
            .filter(Column::WorkspaceId.eq(workspace_id))
            .filter(Column::ModelId.eq(model_id))
            .filter(Column::Status.is_in(JobStatus::ACTIVE))
    }
}
