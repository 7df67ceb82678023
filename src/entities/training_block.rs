//! Training blocks: one example conversation; its exchanges live in `exchange`.

use crate::ids::{BlockId, JobId, WorkspaceId};
use sea_orm::entity::prelude::*;

/// Where a block stands with respect to training.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TrainingStatus {
    #[sea_orm(string_value = "not_trained")]
    NotTrained,
    #[sea_orm(string_value = "trained")]
    Trained,
    #[sea_orm(string_value = "draft")]
    Draft,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "training_block")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: BlockId,
    pub workspace_id: WorkspaceId,
    pub status: TrainingStatus,
    pub tag: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub additional_rules: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub notes: Option<String>,
    /// The job that last trained this block (set when it became TRAINED through a job).
    pub trained_by_job_id: Option<JobId>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::exchange::Entity")]
    Exchange,
}

impl Related<super::exchange::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Exchange.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
