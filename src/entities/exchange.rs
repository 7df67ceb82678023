//! Exchanges: the ordered prompt/response pairs of a training block.

use crate::ids::BlockId;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exchange")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub block_id: BlockId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    #[sea_orm(column_type = "Text")]
    pub prompt: String,
    #[sea_orm(column_type = "Text")]
    pub response: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::training_block::Entity",
        from = "Column::BlockId",
        to = "super::training_block::Column::Id",
        on_delete = "Cascade"
    )]
    TrainingBlock,
}

impl Related<super::training_block::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::TrainingBlock.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
