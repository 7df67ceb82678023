//! Chat usage: requests and tokens through the chat endpoint per model, API token and UTC day.

use crate::ids::{ModelId, TokenId, WorkspaceId};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_usage")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub model_id: ModelId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_id: TokenId,
    /// The UTC day, `YYYY-MM-DD`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: String,
    pub workspace_id: WorkspaceId,
    pub requests: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
