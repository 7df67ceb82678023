//! Batches the loading of block exchanges: one statement per page of blocks, whatever its size.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::entities::exchange;

/// Loads the exchanges of many blocks at once. Keys are block ids the caller has already read
/// through a workspace-scoped query, so the loader itself need not scope again.
pub struct ExchangeLoader {
    db: DatabaseConnection,
}

impl ExchangeLoader {
    /// A loader reading from `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl Loader<Uuid> for ExchangeLoader {
    type Value = Vec<exchange::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        Ok(super::exchanges_of(&self.db, keys).await?)
    }
}
