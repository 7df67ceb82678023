//! GraphQL types and inputs of training blocks.

use std::borrow::Cow;
use std::collections::HashMap;

use async_graphql::connection::PageInfo;
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::resolver_utils::enum_value;
use async_graphql::{
    Context, Enum, InputObject, MaybeUndefined, Object, ScalarType, SimpleObject, Value, ID,
};
use chrono::{DateTime, Utc};

use super::listing::{self, BlockFilter};
use super::loader::{BlockExchanges, ExchangeLoader};
use super::validation::ExchangeText;
use super::{BlockPatch, NewBlock};
use crate::context::ContextExt;
use crate::entities::training_block::{self, TrainingStatus};
use crate::graphql::answer_budget::LargeText;
use crate::graphql::plain::{self, PlainField, PlainList, PlainObject};
use crate::ids::WorkspaceId;
use crate::pagination::{encode_cursor, Page};

/// Where a training block stands with respect to training.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "TrainingStatus", remote = "TrainingStatus")]
pub enum TrainingStatusGql {
    /// Ready to be sent in the next training job.
    NotTrained,
    /// Already sent in a training job; set it back to NOT_TRAINED to send it again.
    Trained,
    /// Saved but not ready: never sent, and its exchanges may be incomplete.
    Draft,
}

/// One user prompt and the assistant response the model should learn to give.
#[derive(SimpleObject)]
pub struct Exchange<'a> {
    /// What the user says.
    prompt: LargeText<Cow<'a, str>>,
    /// What the assistant should answer.
    response: LargeText<Cow<'a, str>>,
}

impl<'a> Exchange<'a> {
    fn borrowed(text: &'a ExchangeText) -> Self {
        Self {
            prompt: LargeText(Cow::Borrowed(&text.prompt)),
            response: LargeText(Cow::Borrowed(&text.response)),
        }
    }

    fn owned(text: ExchangeText) -> Self {
        Self {
            prompt: LargeText(Cow::Owned(text.prompt)),
            response: LargeText(Cow::Owned(text.response)),
        }
    }
}

/// An example conversation of 1 to 3 exchanges.
pub struct TrainingBlock {
    model: training_block::Model,
    /// The exchanges, when the page this block was listed in has already loaded them.
    exchanges: Option<BlockExchanges>,
}

impl From<training_block::Model> for TrainingBlock {
    fn from(model: training_block::Model) -> Self {
        Self {
            model,
            exchanges: None,
        }
    }
}

/// An example conversation of 1 to 3 exchanges.
#[Object]
impl TrainingBlock {
    /// The block's id.
    async fn id(&self) -> ID {
        ID(self.model.id.to_string())
    }
    /// Training status.
    async fn status(&self) -> TrainingStatusGql {
        self.model.status.into()
    }
    /// Optional label for organising blocks (at most 64 characters).
    async fn tag(&self) -> Option<&str> {
        self.model.tag.as_deref()
    }
    /// Extra rules for this block only, one per line; added after the global rules in its system
    /// prompt.
    async fn additional_rules(&self) -> Option<LargeText<&str>> {
        self.model.additional_rules.as_deref().map(LargeText)
    }
    /// Internal notes; never sent for training.
    async fn notes(&self) -> Option<LargeText<&str>> {
        self.model.notes.as_deref().map(LargeText)
    }
    /// The exchanges, in conversation order.
    async fn exchanges(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Exchange<'_>>> {
        // Listed in a page, the texts are already here and answered without a copy.
        if let Some(rows) = &self.exchanges {
            return Ok(rows.iter().map(Exchange::borrowed).collect());
        }
        let loader = ctx.data::<DataLoader<ExchangeLoader>>()?;
        let rows = loader.load_one(self.model.id).await?.unwrap_or_default();
        Ok(rows.iter().cloned().map(Exchange::owned).collect())
    }
    /// When the block was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }
    /// When the block was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.model.updated_at
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
    exchanges
        .into_iter()
        .map(|e| ExchangeText {
            prompt: e.prompt,
            response: e.response,
        })
        .collect()
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

/// A page of training blocks, oldest first (a Relay connection).
pub struct TrainingBlockConnection {
    page: Page<training_block::Model>,
    workspace_id: WorkspaceId,
    filter: BlockFilter,
}

impl TrainingBlockConnection {
    /// The GraphQL page for a service page of the workspace's blocks matching `filter`.
    pub fn new(
        page: Page<training_block::Model>,
        workspace_id: WorkspaceId,
        filter: BlockFilter,
    ) -> Self {
        Self {
            page,
            workspace_id,
            filter,
        }
    }

    /// The page's blocks. When the query selects their exchanges, the page's loader reads them
    /// for the whole page in one batch up front: left to each block, the loader's batches would
    /// follow the timing of the list's resolution, and the cost would grow with the page. The
    /// page knows every key, so the batch is read at once rather than after the DataLoader's
    /// wait for more keys.
    async fn blocks(
        &self,
        ctx: &Context<'_>,
        with_exchanges: bool,
    ) -> async_graphql::Result<Vec<TrainingBlock>> {
        let mut loaded = HashMap::new();
        if with_exchanges {
            let ids: Vec<_> = self.page.items.iter().map(|b| b.id).collect();
            let loader = ctx.data::<DataLoader<ExchangeLoader>>()?.loader();
            loaded = loader.load(&ids).await?;
        }
        let blocks = self.page.items.iter().map(|block| TrainingBlock {
            model: block.clone(),
            exchanges: with_exchanges.then(|| loaded.remove(&block.id).unwrap_or_default()),
        });
        Ok(blocks.collect())
    }
}

/// A page of training blocks, oldest first (a Relay connection).
#[Object]
impl TrainingBlockConnection {
    /// The blocks of this page with their cursors.
    async fn edges(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<PlainList<TrainingBlockEdge>> {
        let with_exchanges = ctx.look_ahead().field("node").field("exchanges").exists();
        let blocks = self.blocks(ctx, with_exchanges).await?;
        let edges = blocks.into_iter().map(|node| TrainingBlockEdge {
            cursor: encode_cursor(node.model.id),
            node,
        });
        Ok(PlainList(edges.collect()))
    }
    /// The blocks of this page.
    async fn nodes(&self, ctx: &Context<'_>) -> async_graphql::Result<PlainList<TrainingBlock>> {
        let with_exchanges = ctx.look_ahead().field("exchanges").exists();
        Ok(PlainList(self.blocks(ctx, with_exchanges).await?))
    }
    /// Where this page stands and the cursors to continue from.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.page.has_previous,
            has_next_page: self.page.has_next,
            start_cursor: self.page.items.first().map(|b| encode_cursor(b.id)),
            end_cursor: self.page.items.last().map(|b| encode_cursor(b.id)),
        }
    }
    /// Number of blocks matching the filter, across all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        // Read with the page when the query's look-ahead showed it; counted apart otherwise.
        match self.page.total {
            Some(total) => Ok(total),
            None => Ok(listing::count(ctx.db()?, self.workspace_id, &self.filter).await?),
        }
    }
}

/// A training block in a page, with the cursor that points at it.
#[derive(SimpleObject)]
pub struct TrainingBlockEdge {
    /// Pass as `after` or `before` to page from this block.
    cursor: String,
    /// The block.
    node: TrainingBlock,
}

impl PlainObject for TrainingBlockEdge {
    fn plain_field(&self, ctx: &Context<'_>) -> PlainField {
        match ctx.item.node.name.node.as_str() {
            "cursor" => Some(Ok(Value::String(self.cursor.clone()))),
            "node" => plain::field_object(ctx, &self.node),
            _ => None,
        }
    }
}

impl PlainObject for TrainingBlock {
    fn plain_field(&self, ctx: &Context<'_>) -> PlainField {
        let optional = |text: &Option<String>| match text {
            Some(text) => LargeText(text.as_str()).value(ctx, ctx.item),
            None => Ok(Value::Null),
        };
        let value = match ctx.item.node.name.node.as_str() {
            "id" => Ok(Value::String(self.model.id.to_string())),
            "status" => Ok(enum_value(TrainingStatusGql::from(self.model.status))),
            "tag" => Ok(self.model.tag.clone().map_or(Value::Null, Value::String)),
            "additionalRules" => optional(&self.model.additional_rules),
            "notes" => optional(&self.model.notes),
            "exchanges" => {
                let texts = self.exchanges.as_ref()?;
                let exchanges: Vec<Exchange<'_>> = texts.iter().map(Exchange::borrowed).collect();
                return plain::field_list(ctx, &exchanges);
            }
            "createdAt" => Ok(self.model.created_at.to_value()),
            "updatedAt" => Ok(self.model.updated_at.to_value()),
            _ => return None,
        };
        Some(value)
    }
}

impl PlainObject for Exchange<'_> {
    fn plain_field(&self, ctx: &Context<'_>) -> PlainField {
        let text = match ctx.item.node.name.node.as_str() {
            "prompt" => &self.prompt,
            "response" => &self.response,
            _ => return None,
        };
        Some(text.value(ctx, ctx.item))
    }
}

impl From<TrainingBlockFilter> for BlockFilter {
    fn from(filter: TrainingBlockFilter) -> Self {
        Self {
            status: filter.status.map(Into::into),
            tag: filter.tag,
            search: filter.search,
        }
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
