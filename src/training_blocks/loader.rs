//! Batches the loading of block exchanges: one statement per page of blocks, whatever its size.
//! A batch holding more than twice the text one answer may carry stops loading there (rows are
//! read whole, so a batch may hold text the query did not ask for; beyond twice the cap, the
//! answer cannot be small).

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use futures_util::TryStreamExt;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::entities::exchange;
use crate::graphql::answer_budget::AnswerBudget;
use crate::ids::BlockId;

/// Loads the exchanges of many blocks at once. Keys are block ids the caller has already read
/// through a workspace-scoped query, so the loader itself need not scope again.
pub struct ExchangeLoader {
    db: DatabaseConnection,
    budget: AnswerBudget,
}

impl ExchangeLoader {
    /// A loader reading from `db` for answers held to `budget`.
    pub fn new(db: DatabaseConnection, budget: AnswerBudget) -> Self {
        Self { db, budget }
    }
}

impl Loader<BlockId> for ExchangeLoader {
    type Value = Vec<exchange::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[BlockId]) -> Result<HashMap<BlockId, Self::Value>, Self::Error> {
        let mut rows = exchange::Entity::find()
            .filter(exchange::Column::BlockId.is_in(keys.iter().copied()))
            .order_by_asc(exchange::Column::BlockId)
            .order_by_asc(exchange::Column::Position)
            .stream(&self.db)
            .await
            .map_err(crate::error::Error::from)?;
        let mut by_block: HashMap<BlockId, Vec<exchange::Model>> = HashMap::new();
        let mut bytes = 0usize;
        while let Some(row) = rows.try_next().await.map_err(crate::error::Error::from)? {
            bytes = bytes.saturating_add(row.prompt.len() + row.response.len());
            if bytes > self.budget.limit().saturating_mul(2) {
                self.budget.mark_exceeded();
                return Err(self.budget.error().message.into());
            }
            by_block.entry(row.block_id).or_default().push(row);
        }
        Ok(by_block)
    }
}
