//! GraphQL types and inputs of training blocks.

use async_graphql::connection::{Connection, Edge};
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::listing::{self, BlockFilter};
use super::loader::ExchangeLoader;
use super::validation::ExchangeText;
use super::{BlockPatch, NewBlock};
use crate::context::ContextExt;
use crate::entities::training_block::{self, TrainingStatus};

/// Where a training block stands with respect to training.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "TrainingStatus")]
pub enum TrainingStatusGql {
    /// Ready to be sent in the next training job.
    NotTrained,
    /// Already sent in a training job; set it back to NOT_TRAINED to send it again.
    Trained,
    /// Saved but not ready: never sent, and its exchanges may be incomplete.
    Draft,
}

impl From<TrainingStatus> for TrainingStatusGql {
    fn from(status: TrainingStatus) -> Self {
        match status {
            TrainingStatus::NotTrained => Self::NotTrained,
            TrainingStatus::Trained => Self::Trained,
            TrainingStatus::Draft => Self::Draft,
        }
    }
}

impl From<TrainingStatusGql> for TrainingStatus {
    fn from(status: TrainingStatusGql) -> Self {
        match status {
            TrainingStatusGql::NotTrained => Self::NotTrained,
            TrainingStatusGql::Trained => Self::Trained,
            TrainingStatusGql::Draft => Self::Draft,
        }
    }
}

/// One user prompt and the assistant response the model should learn to give.
#[derive(SimpleObject, Clone)]
pub struct Exchange {
    /// What the user says.
    prompt: String,
    /// What the assistant should answer.
    response: String,
}

/// An example conversation of 1 to 3 exchanges.
pub struct TrainingBlock(pub training_block::Model);

#[Object]
impl TrainingBlock {
    /// The block's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Training status.
    async fn status(&self) -> TrainingStatusGql {
        self.0.status.into()
    }
    /// Optional label for organising blocks (at most 64 characters).
    async fn tag(&self) -> Option<&str> {
        self.0.tag.as_deref()
    }
    /// Extra rules for this block only, one per line; added after the global rules in its system
    /// prompt.
    async fn additional_rules(&self) -> Option<&str> {
        self.0.additional_rules.as_deref()
    }
    /// Internal notes; never sent for training.
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    /// The exchanges, in conversation order.
    async fn exchanges(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Exchange>> {
        let loader = ctx.data::<DataLoader<ExchangeLoader>>()?;
        let rows = loader.load_one(self.0.id).await?.unwrap_or_default();
        Ok(rows.into_iter().map(|e| Exchange { prompt: e.prompt, response: e.response }).collect())
    }
    /// When the block was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the block was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A tag in use, with how many blocks carry it.
#[derive(SimpleObject)]
pub struct TagCount {
    /// The tag.
    tag: String,
    /// Number of blocks with this tag.
    count: i64,
}

/// One user prompt and the response to learn.
#[derive(InputObject)]
pub struct ExchangeInput {
    /// What the user says (at most 100,000 characters).
    prompt: String,
    /// What the assistant should answer (at most 100,000 characters).
    response: String,
}

fn to_texts(exchanges: Vec<ExchangeInput>) -> Vec<ExchangeText> {
    exchanges.into_iter().map(|e| ExchangeText { prompt: e.prompt, response: e.response }).collect()
}

/// A new training block.
#[derive(InputObject)]
pub struct CreateTrainingBlockInput {
    /// Initial status; NOT_TRAINED unless given. Only a DRAFT may have empty prompts or responses.
    status: Option<TrainingStatusGql>,
    /// Optional label (at most 64 characters, one line).
    tag: Option<String>,
    /// Extra rules for this block, one per line (at most 10,000 characters).
    additional_rules: Option<String>,
    /// Internal notes, never trained on (at most 10,000 characters).
    notes: Option<String>,
    /// 1 to 3 exchanges, in conversation order.
    exchanges: Vec<ExchangeInput>,
}

/// Changes to a training block. Omitted fields are kept; null clears an optional field.
#[derive(InputObject)]
pub struct UpdateTrainingBlockInput {
    /// New status. Leaving DRAFT requires complete exchanges.
    status: Option<TrainingStatusGql>,
    /// New tag; null clears it.
    tag: MaybeUndefined<String>,
    /// New additional rules; null clears them.
    additional_rules: MaybeUndefined<String>,
    /// New notes; null clears them.
    notes: MaybeUndefined<String>,
    /// New exchanges, replacing all current ones (1 to 3).
    exchanges: Option<Vec<ExchangeInput>>,
}

/// Which training blocks to list; all given criteria must hold.
#[derive(InputObject, Default)]
pub struct TrainingBlockFilter {
    /// Only blocks with this status.
    status: Option<TrainingStatusGql>,
    /// Only blocks with exactly this tag.
    tag: Option<String>,
    /// Only blocks with a prompt or response containing this text (case-insensitive).
    search: Option<String>,
}

/// Totals of a training block listing.
pub struct BlockListTotals {
    workspace_id: Uuid,
    filter: BlockFilter,
}

#[Object]
impl BlockListTotals {
    /// Number of blocks matching the filter, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        Ok(listing::count(ctx.db()?, self.workspace_id, &self.filter).await?)
    }
}


/// A page of training blocks.
pub type BlockConnection = Connection<String, TrainingBlock, BlockListTotals>;

impl BlockListTotals {
    /// Totals for the workspace's blocks matching `filter`.
    pub fn new(workspace_id: Uuid, filter: BlockFilter) -> Self {
        Self { workspace_id, filter }
    }
}

impl From<TrainingBlockFilter> for BlockFilter {
    fn from(filter: TrainingBlockFilter) -> Self {
        Self { status: filter.status.map(Into::into), tag: filter.tag, search: filter.search }
    }
}

impl From<CreateTrainingBlockInput> for NewBlock {
    fn from(input: CreateTrainingBlockInput) -> Self {
        Self {
            status: input.status.map_or(TrainingStatus::NotTrained, Into::into),
            tag: input.tag,
            additional_rules: input.additional_rules,
            notes: input.notes,
            exchanges: to_texts(input.exchanges),
        }
    }
}

impl From<UpdateTrainingBlockInput> for BlockPatch {
    fn from(input: UpdateTrainingBlockInput) -> Self {
        Self {
            status: input.status.map(Into::into),
            tag: input.tag.into(),
            additional_rules: input.additional_rules.into(),
            notes: input.notes.into(),
            exchanges: input.exchanges.map(to_texts),
        }
    }
}

impl TagCount {
    /// A tag with its block count.
    pub fn new(tag: String, count: i64) -> Self {
        Self { tag, count }
    }
}

/// Builds the GraphQL page from a service page.
pub fn connection(page: crate::pagination::Page<training_block::Model>, totals: BlockListTotals) -> BlockConnection {
    let mut connection = Connection::with_additional_fields(page.has_previous, page.has_next, totals);
    connection.edges = page
        .items
        .into_iter()
        .map(|block| Edge::new(crate::pagination::encode_cursor(block.id), TrainingBlock(block)))
        .collect();
    connection
}
