//! Global rules: one line each, ordered by `position`; together they form the system prompt.

use crate::ids::{RuleId, WorkspaceId};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "global_rule")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: RuleId,
    pub workspace_id: WorkspaceId,
    pub text: String,
    pub position: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
