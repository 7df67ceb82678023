//! A job that continues from a fine-tuned model keeps the base model beneath it: Together
//! (`from_checkpoint`) and Fireworks (`warmStartFrom`) name it beside the trained model, and
//! deployments register the trained model on it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TrainingJob {
    Table,
    RootModel,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(TrainingJob::Table)
                    .add_column(string_len_null(TrainingJob::RootModel, 256))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(TrainingJob::Table)
                    .drop_column(TrainingJob::RootModel)
                    .to_owned(),
            )
            .await
    }
}
