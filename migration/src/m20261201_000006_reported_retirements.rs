//! The shutdown dates providers announce for the models a workspace can call (OpenAI's
//! `GET /v1/models` `shutdown_date`), kept per workspace, provider and model.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReportedRetirement {
    Table,
    WorkspaceId,
    Provider,
    Model,
    RetiresOn,
    CheckedAt,
}

#[derive(DeriveIden)]
enum Workspace {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReportedRetirement::Table)
                    .col(uuid(ReportedRetirement::WorkspaceId))
                    .col(string_len(ReportedRetirement::Provider, 32))
                    .col(string_len(ReportedRetirement::Model, 256))
                    // `YYYY-MM-DD`: text sorts and compares alike on SQLite and Postgres.
                    .col(string_len(ReportedRetirement::RetiresOn, 10))
                    .col(timestamp_with_time_zone(ReportedRetirement::CheckedAt))
                    .primary_key(
                        Index::create()
                            .col(ReportedRetirement::WorkspaceId)
                            .col(ReportedRetirement::Provider)
                            .col(ReportedRetirement::Model),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReportedRetirement::Table, ReportedRetirement::WorkspaceId)
                            .to(Workspace::Table, Workspace::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ReportedRetirement::Table).to_owned())
            .await
    }
}
