//! A shutdown date a provider announced for a model a workspace can call.

use crate::ids::WorkspaceId;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reported_retirement")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub workspace_id: WorkspaceId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub provider: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub model: String,
    /// The announced day, `YYYY-MM-DD`.
    pub retires_on: String,
    /// When tuner last asked the provider.
    pub checked_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
