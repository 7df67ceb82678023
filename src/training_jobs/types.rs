//! GraphQL types of training jobs and previews.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, QueryFilter};

use super::event_types::{TrainingCheckpoint, TrainingJobEventConnection, TrainingMetrics};
use super::request::{JobHyperparameters, JobRequest};
use crate::context::ContextExt;
use crate::custom_models::graphql::CustomModel;
use crate::custom_models::loader::ModelLoader;
use crate::deployments::options::DeploymentInput;
use crate::entities::training_block;
use crate::entities::training_job::{self, JobStatus};
use crate::graphql::answer_budget::LargeText;
use crate::graphql::SYSTEM_PROMPT_COST;
use crate::ids::{BlockId, TypedId};
use crate::pagination::{PageArgs, PageRequest};
use crate::tenancy::WorkspaceScoped;
use crate::training_blocks::types::TrainingBlock;

/// Where a training job stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "JobStatus", remote = "JobStatus")]
pub enum JobStatusGql {
    /// Recorded; the file is being uploaded and the provider job created.
    Submitting,
    /// The provider is checking the training file.
    ValidatingFiles,
    /// Waiting for the provider to start training.
    Queued,
    /// Training.
    Running,
    /// Paused at the provider.
    Paused,
    /// Done: the fine-tuned model is ready.
    Succeeded,
    /// Ended with an error (see `error`).
    Failed,
    /// Cancelled.
    Cancelled,
}

/// Training hyperparameters; null means "auto" (the provider chooses).
#[derive(SimpleObject, InputObject, Clone, Copy, Default)]
#[graphql(input_name = "HyperparametersInput")]
pub struct Hyperparameters {
    /// Passes over the dataset (1 to 50).
    pub n_epochs: Option<u32>,
    /// Examples per batch (1 to 256).
    pub batch_size: Option<u32>,
    /// Scale of the provider's learning rate (greater than 0, at most 10); for `openai` and
    /// `azure-openai` only (other providers take `learningRate`).
    pub learning_rate_multiplier: Option<f64>,
    /// Absolute learning rate (greater than 0, at most 0.01; usually 0.00001 to 0.001); for
    /// `together`, `nebius` and `fireworks` only (OpenAI and Azure take
    /// `learningRateMultiplier`).
    pub learning_rate: Option<f64>,
    /// LoRA rank: the size of the trained adapter (1 to 256; 8, 16 or 64 are usual); for
    /// `together`, `nebius` and `fireworks` only (Fireworks trains LoRA always and may take
    /// a narrower range). Asks for LoRA training.
    pub lora_rank: Option<u32>,
    /// LoRA alpha: how strongly the adapter counts (1 to 512; often twice the rank); needs
    /// `loraRank`. On `together`, twice the rank when omitted; refused on `fireworks`, which
    /// takes only the rank.
    pub lora_alpha: Option<u32>,
}

impl From<Hyperparameters> for JobHyperparameters {
    fn from(h: Hyperparameters) -> Self {
        JobHyperparameters {
            n_epochs: h.n_epochs,
            batch_size: h.batch_size,
            learning_rate_multiplier: h.learning_rate_multiplier,
            learning_rate: h.learning_rate,
            lora_rank: h.lora_rank,
            lora_alpha: h.lora_alpha,
        }
    }
}

impl From<JobHyperparameters> for Hyperparameters {
    fn from(h: JobHyperparameters) -> Self {
        Hyperparameters {
            n_epochs: h.n_epochs,
            batch_size: h.batch_size,
            learning_rate_multiplier: h.learning_rate_multiplier,
            learning_rate: h.learning_rate,
            lora_rank: h.lora_rank,
            lora_alpha: h.lora_alpha,
        }
    }
}

/// Which blocks a training job takes and how it trains.
#[derive(InputObject, Default)]
pub struct TrainingJobInput {
    /// Only NOT_TRAINED blocks with this tag; all NOT_TRAINED blocks when omitted.
    pub tag: Option<String>,
    /// Hyperparameters; each "auto" when omitted.
    pub hyperparameters: Option<Hyperparameters>,
    /// Added by the provider to the fine-tuned model's name (letters, digits, - and _; at most 64).
    pub suffix: Option<String>,
    /// Train from the base model even if the custom model already has a fine-tuned model (by
    /// default a new job continues from it: incremental training, where the provider can).
    /// A job that trains from the base model after earlier training takes every block the
    /// model was trained on as well as the NOT_TRAINED ones (the preview says so).
    #[graphql(default = false)]
    pub from_base_model: bool,
    /// Deploy the trained model as soon as the job succeeds, where the provider serves trained
    /// models only once deployed (`together`, `nebius`, `fireworks`); ignored elsewhere. See
    /// `deployCustomModel` for what a deployment costs.
    #[graphql(default = false)]
    pub deploy: bool,
    /// How to deploy then (hardware, replicas, idle window; `together` and `fireworks`): only
    /// with `deploy` (a move always deploys); tuner's defaults when omitted.
    pub deployment: Option<DeploymentInput>,
}

impl From<TrainingJobInput> for JobRequest {
    fn from(input: TrainingJobInput) -> Self {
        let h = input.hyperparameters.unwrap_or_default();
        JobRequest {
            tag: input.tag,
            hyperparameters: h.into(),
            suffix: input.suffix,
            from_base_model: input.from_base_model,
            deploy: input.deploy,
            deployment: input.deployment,
            move_to: None,
        }
    }
}

/// Why a job failed, as the provider (or tuner) said it.
#[derive(SimpleObject)]
pub struct JobError {
    /// A machine-readable code, such as `invalid_n_examples`.
    code: Option<String>,
    /// What went wrong.
    message: String,
}

/// A block a job sent, with the hash of the line it became.
#[derive(SimpleObject)]
pub struct TrainedBlock {
    /// The block's id.
    block_id: ID,
    /// SHA-256 (hex) of the block's JSONL line as sent.
    content_hash: String,
    /// The block as it is now; null when it has been deleted since.
    block: Option<TrainingBlock>,
}

/// A fine-tuning job: the blocks it sent, its provider job, and how it went.
pub struct TrainingJob(pub training_job::Model);

/// A fine-tuning job: the blocks it sent, its provider job, and how it went.
#[Object]
impl TrainingJob {
    /// The job's id (also in the provider job's metadata as `tuner_job_id`).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The custom model being trained.
    async fn model(&self, ctx: &Context<'_>) -> async_graphql::Result<CustomModel> {
        let key = (self.0.workspace_id, self.0.model_id);
        let loader = ctx.data::<DataLoader<ModelLoader>>()?;
        let model = loader
            .load_one(key)
            .await?
            .ok_or_else(|| crate::error::Error::not_found("custom model", self.0.model_id))?;
        Ok(CustomModel(model))
    }
    /// Where the job stands.
    async fn status(&self) -> JobStatusGql {
        self.0.status.into()
    }
    /// The provider the job runs on.
    async fn provider(&self) -> &str {
        &self.0.provider
    }
    /// The model training started from: the base model, or the custom model's previous
    /// fine-tuned model for incremental training.
    async fn base_model(&self) -> &str {
        &self.0.base_model
    }
    /// The hyperparameters asked for (null: auto).
    async fn hyperparameters(&self) -> Hyperparameters {
        self.0.hyperparameters.into()
    }
    /// The suffix asked for the fine-tuned model's name.
    async fn suffix(&self) -> Option<&str> {
        self.0.suffix.as_deref()
    }
    /// The system prompt from the global rules when the job was submitted (blocks may have
    /// added their own rules to it).
    #[graphql(complexity = "SYSTEM_PROMPT_COST")]
    async fn system_prompt(&self) -> Option<LargeText<&str>> {
        self.0.system_prompt.as_deref().map(LargeText)
    }
    /// Number of blocks (examples) sent.
    async fn block_count(&self) -> i64 {
        self.0.block_count
    }
    /// Tokens in the training file (counted by tuner).
    async fn token_count(&self) -> i64 {
        self.0.token_count
    }
    /// Credits charged (or to be charged) for the job: the fee plus one per block.
    async fn charge_credits(&self) -> i64 {
        self.0.charge_credits
    }
    /// SHA-256 (hex) of the uploaded training file.
    async fn file_sha256(&self) -> &str {
        &self.0.file_sha256
    }
    /// Size of the training file in bytes.
    async fn file_bytes(&self) -> i64 {
        self.0.file_bytes
    }
    /// The provider's id of the uploaded file.
    async fn provider_file_id(&self) -> Option<&str> {
        self.0.provider_file_id.as_deref()
    }
    /// The provider's id of the job.
    async fn provider_job_id(&self) -> Option<&str> {
        self.0.provider_job_id.as_deref()
    }
    /// The fine-tuned model, once the job succeeded.
    async fn fine_tuned_model(&self) -> Option<&str> {
        self.0.fine_tuned_model.as_deref()
    }
    /// Tokens the provider billed for, once known.
    async fn trained_tokens(&self) -> Option<i64> {
        self.0.trained_tokens
    }
    /// Why the job failed.
    async fn error(&self) -> Option<JobError> {
        let message = self.0.error_message.clone()?;
        Some(JobError {
            code: self.0.error_code.clone(),
            message,
        })
    }
    /// When the job was recorded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the job last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// When the provider accepted the job.
    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.0.submitted_at
    }
    /// When the job ended.
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    /// The job's event log as the provider reported it, oldest first, as a Relay connection.
    #[graphql(complexity = "crate::pagination::page_complexity(first, None, child_complexity)")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size (at most 500).", default = 50)] first: Option<i32>,
        #[graphql(desc = "Return events after this cursor.")] after: Option<String>,
    ) -> async_graphql::Result<TrainingJobEventConnection> {
        let args = PageArgs {
            first,
            after,
            ..PageArgs::default()
        };
        let page = super::events::page(ctx.db()?, self.0.id, &PageRequest::parse(&args)?).await?;
        Ok(TrainingJobEventConnection::new(page, self.0.id))
    }
    /// The loss curve: the figures of each metrics event that names its step, by step.
    async fn metrics(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TrainingMetrics>> {
        let rows = super::events::metrics(ctx.db()?, self.0.id).await?;
        Ok(rows.iter().map(TrainingMetrics::from).collect())
    }
    /// The intermediate models saved during training, by step.
    async fn checkpoints(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<TrainingCheckpoint>> {
        let rows = super::events::checkpoints(ctx.db()?, self.0.id).await?;
        Ok(rows.into_iter().map(TrainingCheckpoint::from).collect())
    }
    /// The blocks the job sent, by block id.
    async fn blocks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many (1 to 500).", default = 100)] first: i32,
        #[graphql(desc = "Only blocks with an id after this one.")] after: Option<ID>,
    ) -> async_graphql::Result<Vec<TrainedBlock>> {
        let limit = u64::try_from(first.clamp(1, 500)).unwrap_or(100);
        let after = after.map(|id| BlockId::parse("after", &id)).transpose()?;
        let db = ctx.db()?;
        let sent = super::blocks_of(db, &self.0, after, limit).await?;
        let ids: Vec<BlockId> = sent.iter().map(|b| b.block_id).collect();
        let current = training_block::Entity::in_workspace(self.0.workspace_id)
            .filter(crate::entities::training_block::Column::Id.is_in(ids))
            .all(db)
            .await?;
        Ok(sent
            .into_iter()
            .map(|row| TrainedBlock {
                block_id: ID(row.block_id.to_string()),
                content_hash: row.content_hash,
                block: current
                    .iter()
                    .find(|b| b.id == row.block_id)
                    .cloned()
                    .map(TrainingBlock::from),
            })
            .collect())
    }
}
