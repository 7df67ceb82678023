//! GraphQL queries and mutations of training blocks. EDITOR and up.

use async_graphql::{Context, Object, ID};

use super::listing;
use super::types::{
    CreateTrainingBlockInput, TagCount, TrainingBlock, TrainingBlockConnection,
    TrainingBlockFilter, TrainingStatusGql, UpdateTrainingBlockInput,
};
use crate::auth::Role;
use crate::context::ContextExt;
use crate::ids::{BlockId, TypedId};
use crate::pagination::{PageArgs, PageRequest};

/// Queries on training blocks.
#[derive(Default)]
pub struct TrainingBlockQuery;

#[Object]
impl TrainingBlockQuery {
    /// The workspace's training blocks, oldest first, as a Relay connection.
    #[graphql(complexity = "crate::pagination::page_complexity(first, last, child_complexity)")]
    async fn training_blocks(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Page size from the start (at most 500; 50 when neither first nor last is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Return blocks after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 500).")] last: Option<i32>,
        #[graphql(desc = "Return blocks before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which blocks to list.")] filter: Option<TrainingBlockFilter>,
    ) -> async_graphql::Result<TrainingBlockConnection> {
        let principal = ctx.principal(Role::Editor)?;
        let request = PageRequest::parse(&PageArgs {
            first,
            after,
            last,
            before,
        })?;
        let filter: listing::BlockFilter = filter.unwrap_or_default().into();
        filter.validate()?;
        let total = ctx.look_ahead().field("totalCount").exists();
        let db = ctx.db()?;
        let page = listing::page(db, principal.workspace_id, &filter, &request, total).await?;
        Ok(TrainingBlockConnection::new(
            page,
            principal.workspace_id,
            filter,
        ))
    }

    /// One training block.
    async fn training_block(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The block's id.")] id: ID,
    ) -> async_graphql::Result<TrainingBlock> {
        let principal = ctx.principal(Role::Editor)?;
        let id = BlockId::parse("id", &id)?;
        Ok(TrainingBlock::from(
            super::get(ctx.db()?, principal.workspace_id, id).await?,
        ))
    }

    /// Every tag in use with its number of blocks, alphabetically.
    async fn training_tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TagCount>> {
        let principal = ctx.principal(Role::Editor)?;
        let tags = listing::tag_counts(ctx.db()?, principal.workspace_id).await?;
        Ok(tags
            .into_iter()
            .map(|(tag, count)| TagCount::new(tag, count))
            .collect())
    }
}

/// Mutations on training blocks. Bulk mutations are all-or-nothing and return how many blocks
/// they changed.
#[derive(Default)]
pub struct TrainingBlockMutation;

#[Object]
impl TrainingBlockMutation {
    /// Creates a training block.
    async fn create_training_block(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new block.")] input: CreateTrainingBlockInput,
    ) -> async_graphql::Result<TrainingBlock> {
        let principal = ctx.principal(Role::Editor)?;
        Ok(TrainingBlock::from(
            super::create(ctx.db()?, principal.workspace_id, input.into()).await?,
        ))
    }

    /// Changes a training block; given exchanges replace the current ones as a whole.
    async fn update_training_block(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The block's id.")] id: ID,
        #[graphql(desc = "What to change.")] input: UpdateTrainingBlockInput,
    ) -> async_graphql::Result<TrainingBlock> {
        let principal = ctx.principal(Role::Editor)?;
        let id = BlockId::parse("id", &id)?;
        Ok(TrainingBlock::from(
            super::update(ctx.db()?, principal.workspace_id, id, input.into()).await?,
        ))
    }

    /// Deletes training blocks (at most 1,000 per call).
    async fn delete_training_blocks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The blocks' ids.")] ids: Vec<ID>,
    ) -> async_graphql::Result<u64> {
        let principal = ctx.principal(Role::Editor)?;
        let ids = BlockId::parse_unique("ids", &ids)?;
        Ok(super::delete_many(ctx.db()?, principal.workspace_id, &ids).await?)
    }

    /// Sets the status of training blocks (at most 1,000 per call). Any status but DRAFT requires
    /// every block to have complete exchanges.
    async fn set_training_blocks_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The blocks' ids.")] ids: Vec<ID>,
        #[graphql(desc = "The new status.")] status: TrainingStatusGql,
    ) -> async_graphql::Result<u64> {
        let principal = ctx.principal(Role::Editor)?;
        // Repeats kept, so an error about `ids[i]` names the position the client sent.
        let ids = ids
            .iter()
            .enumerate()
            .map(|(i, id)| BlockId::parse(&format!("ids[{i}]"), id))
            .collect::<crate::error::Result<Vec<_>>>()?;
        Ok(super::set_status_many(ctx.db()?, principal.workspace_id, &ids, status.into()).await?)
    }

    /// Sets the tag of training blocks (at most 1,000 per call); null or blank clears it.
    async fn set_training_blocks_tag(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The blocks' ids.")] ids: Vec<ID>,
        #[graphql(desc = "The new tag (at most 64 characters, one line), or null to clear it.")]
        tag: Option<String>,
    ) -> async_graphql::Result<u64> {
        let principal = ctx.principal(Role::Editor)?;
        let ids = BlockId::parse_unique("ids", &ids)?;
        Ok(super::set_tag_many(ctx.db()?, principal.workspace_id, &ids, tag.as_deref()).await?)
    }
}
