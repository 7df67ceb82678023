//! The workspace's rules, read once per request however many fields ask for them (aliases of
//! `globalRules` and `systemPrompt` share one read and one copy of the rows).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use sea_orm::DatabaseConnection;

use crate::entities::global_rule;
use crate::ids::WorkspaceId;

/// A workspace's rules in system-prompt order, shared.
pub type SharedRules = Arc<[Arc<global_rule::Model>]>;

/// Loads the rules of workspaces; keys are the caller's own workspace id.
pub struct RuleLoader {
    db: DatabaseConnection,
}

impl RuleLoader {
    /// A loader reading from `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl Loader<WorkspaceId> for RuleLoader {
    type Value = SharedRules;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[WorkspaceId],
    ) -> Result<HashMap<WorkspaceId, Self::Value>, Self::Error> {
        let mut rules = HashMap::with_capacity(keys.len());
        for &workspace_id in keys {
            let rows = super::list(&self.db, workspace_id).await?;
            rules.insert(workspace_id, rows.into_iter().map(Arc::new).collect());
        }
        Ok(rules)
    }
}
