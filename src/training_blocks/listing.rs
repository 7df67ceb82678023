//! Listing training blocks: filters, pages, counts and tag statistics.

use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};

use super::validation::ExchangeText;
use super::validation::MAX_TAG_CHARS;
use crate::entities::exchange;
use crate::entities::training_block::{self, TrainingStatus};
use crate::error::Result;
use crate::ids::{BlockId, TypedId, WorkspaceId};
use crate::pagination::{self, Page, PageRequest};
use crate::tenancy::WorkspaceScoped;
use crate::validate;

/// Longest text search, in characters.
pub const MAX_SEARCH_CHARS: usize = 1_000;

/// Which blocks to list; every given criterion must hold.
#[derive(Clone, Debug, Default)]
pub struct BlockFilter {
    pub status: Option<TrainingStatus>,
    /// Exact tag.
    pub tag: Option<String>,
    /// Case-insensitive substring of any prompt or response.
    pub search: Option<String>,
}

impl BlockFilter {
    /// Checks the filter's sizes, and that it holds no NUL (which Postgres cannot compare).
    pub fn validate(&self) -> Result<()> {
        if let Some(tag) = &self.tag {
            validate::text("filter.tag", tag.trim(), MAX_TAG_CHARS)?;
        }
        if let Some(search) = &self.search {
            validate::text("filter.search", search, MAX_SEARCH_CHARS)?;
        }
        Ok(())
    }

    /// The query selecting the workspace's blocks that match.
    pub fn apply(&self, workspace_id: WorkspaceId) -> Select<training_block::Entity> {
        let mut select = training_block::Entity::in_workspace(workspace_id);
        if let Some(status) = self.status {
            select = select.filter(training_block::Column::Status.eq(status));
        }
        if let Some(tag) = self.tag.as_deref().map(str::trim) {
            select = select.filter(training_block::Column::Tag.eq(tag));
        }
        if let Some(search) = self.search.as_deref().filter(|s| !s.is_empty()) {
            select = select.filter(training_block::Column::Id.in_subquery(matching_blocks(search)));
        }
        select
    }
}

/// Ids of blocks with an exchange whose prompt or response contains `search`, ignoring case.
fn matching_blocks(search: &str) -> sea_orm::sea_query::SelectStatement {
    let pattern = |text: &str| {
        let escaped = text
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        LikeExpr::new(format!("%{escaped}%")).escape('\\')
    };
    let lowered = search.to_lowercase();
    let mut any = Condition::any();
    for column in [exchange::Column::Prompt, exchange::Column::Response] {
        let text = || Expr::col((exchange::Entity, column));
        // SQLite's LOWER folds ASCII only (LOWER('École') stays 'École'), so the lowered search
        // 'école' alone would miss it; matching the search as typed too lets a search in the
        // stored case find its text on every backend.
        any = any
            .add(Expr::expr(Func::lower(text())).like(pattern(&lowered)))
            .add(text().like(pattern(search)));
    }
    Query::select()
        .column(exchange::Column::BlockId)
        .from(exchange::Entity)
        .cond_where(any)
        .to_owned()
}

/// One page of the workspace's blocks matching `filter`, oldest first; with `total`, the number
/// of matching blocks too, read by the same statement.
pub async fn page(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
    filter: &BlockFilter,
    request: &PageRequest,
    total: bool,
) -> Result<Page<training_block::Model>> {
    let select = filter.apply(workspace_id);
    let id = training_block::Column::Id;
    if total {
        pagination::fetch_with_total(db, select, id, request).await
    } else {
        pagination::fetch(db, select, id, request).await
    }
}

/// How many of the workspace's blocks match `filter`.
pub async fn count(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
    filter: &BlockFilter,
) -> Result<u64> {
    Ok(filter.apply(workspace_id).count(db).await?)
}

/// Each tag in use with its number of blocks, alphabetically.
pub async fn tag_counts(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
) -> Result<Vec<(String, i64)>> {
    Ok(training_block::Entity::in_workspace(workspace_id)
        .select_only()
        .column(training_block::Column::Tag)
        .column_as(training_block::Column::Id.count(), "count")
        .filter(training_block::Column::Tag.is_not_null())
        .group_by(training_block::Column::Tag)
        .order_by_asc(training_block::Column::Tag)
        .into_tuple()
        .all(db)
        .await?)
}

/// A block with its exchanges in order.
#[derive(Clone, Debug)]
pub struct BlockWithExchanges {
    pub block: training_block::Model,
    pub exchanges: Vec<ExchangeText>,
}

/// Walks the blocks a query selects, oldest first, a page at a time: memory holds one page,
/// whatever the number of blocks. Each page costs two statements.
pub struct BlockPages {
    select: Select<training_block::Entity>,
    request: PageRequest,
    done: bool,
}

impl BlockPages {
    /// Pages of `page_size` blocks (at most [`pagination::MAX_PAGE_SIZE`]) of `select`.
    pub fn new(select: Select<training_block::Entity>, page_size: u64) -> Self {
        let limit = page_size.clamp(1, pagination::MAX_PAGE_SIZE);
        let request = PageRequest {
            limit,
            after: None,
            before: None,
            from_end: false,
        };
        Self {
            select,
            request,
            done: false,
        }
    }

    /// The next page, or `None` after the last.
    pub async fn next(
        &mut self,
        db: &impl ConnectionTrait,
    ) -> Result<Option<Vec<BlockWithExchanges>>> {
        if self.done {
            return Ok(None);
        }
        let page = pagination::fetch(
            db,
            self.select.clone(),
            training_block::Column::Id,
            &self.request,
        )
        .await?;
        self.done = !page.has_next;
        let Some(last) = page.items.last() else {
            return Ok(None);
        };
        self.request.after = Some(last.id.uuid());
        let ids: Vec<BlockId> = page.items.iter().map(|b| b.id).collect();
        let mut exchanges = super::exchanges_of(db, &ids).await?;
        let blocks = page.items.into_iter().map(|block| {
            let exchanges = exchanges.remove(&block.id).unwrap_or_default();
            BlockWithExchanges { block, exchanges }
        });
        Ok(Some(blocks.collect()))
    }
}
