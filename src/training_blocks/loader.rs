//! Batches the loading of block exchanges: one statement per page of blocks, whatever its size.
//! A batch holding more than twice the text one answer may carry stops loading there (prompt
//! and response are read together, so a batch may hold text the query did not ask for; beyond
//! twice the cap, the answer cannot be small).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use futures_util::TryStreamExt;
use sea_orm::DatabaseConnection;

use super::exchange_reads;
use super::validation::ExchangeText;
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

/// The exchanges of one block, shared: the loader hands each caller the same texts, not a copy.
pub type BlockExchanges = Arc<[ExchangeText]>;

impl Loader<BlockId> for ExchangeLoader {
    type Value = BlockExchanges;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[BlockId]) -> Result<HashMap<BlockId, Self::Value>, Self::Error> {
        let mut rows = exchange_reads::of_blocks(self.db.get_database_backend(), keys)
            .stream(&self.db)
            .await
            .map_err(crate::error::Error::from)?;
        let mut by_block: HashMap<BlockId, Vec<ExchangeText>> = HashMap::with_capacity(keys.len());
        let mut bytes = 0usize;
        while let Some((block_id, prompt, response)) =
            rows.try_next().await.map_err(crate::error::Error::from)?
        {
            bytes = bytes.saturating_add(prompt.len() + response.len());
            if bytes > self.budget.limit().saturating_mul(2) {
                self.budget.mark_exceeded();
                return Err(self.budget.error().message.into());
            }
            let text = ExchangeText { prompt, response };
            by_block.entry(block_id).or_default().push(text);
        }
        Ok(by_block
            .into_iter()
            .map(|(block, texts)| (block, texts.into()))
            .collect())
    }
}
