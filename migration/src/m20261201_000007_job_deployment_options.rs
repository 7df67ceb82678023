//! A job that deploys its model when it succeeds keeps the deployment choices it was given
//! (hardware, replicas, idle window) as JSON (`jsonb` on Postgres).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TrainingJob {
    Table,
    DeploymentOptions,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(TrainingJob::Table)
                    .add_column(json_binary_null(TrainingJob::DeploymentOptions))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(TrainingJob::Table)
                    .drop_column(TrainingJob::DeploymentOptions)
                    .to_owned(),
            )
            .await
    }
}
