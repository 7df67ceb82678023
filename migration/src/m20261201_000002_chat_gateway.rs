//! The chat endpoint's records: requests and tokens per model, API token and day, and each
//! model's choice of what happens to the system messages a client sends.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChatUsage {
    Table,
    ModelId,
    TokenId,
    Day,
    WorkspaceId,
    Requests,
    PromptTokens,
    CompletionTokens,
}

#[derive(DeriveIden)]
enum CustomModel {
    Table,
    Id,
    ClientSystemMessages,
}

fn usage_table() -> TableCreateStatement {
    Table::create()
        .table(ChatUsage::Table)
        .col(uuid(ChatUsage::ModelId))
        .col(uuid(ChatUsage::TokenId))
        // The UTC day, `YYYY-MM-DD`: text sorts and compares alike on SQLite and Postgres.
        .col(string_len(ChatUsage::Day, 10))
        .col(uuid(ChatUsage::WorkspaceId))
        .col(big_integer(ChatUsage::Requests))
        .col(big_integer(ChatUsage::PromptTokens))
        .col(big_integer(ChatUsage::CompletionTokens))
        .primary_key(
            Index::create()
                .col(ChatUsage::ModelId)
                .col(ChatUsage::TokenId)
                .col(ChatUsage::Day),
        )
        // A deleted model's usage goes with it; a revoked token's stays (it was spent).
        .foreign_key(
            ForeignKey::create()
                .from(ChatUsage::Table, ChatUsage::ModelId)
                .to(CustomModel::Table, CustomModel::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(usage_table()).await?;
        manager
            .create_index(index(
                "chat_usage_model_day",
                ChatUsage::Table,
                &["model_id", "day"],
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CustomModel::Table)
                    .add_column(string_len(CustomModel::ClientSystemMessages, 16).default("keep"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CustomModel::Table)
                    .drop_column(CustomModel::ClientSystemMessages)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(ChatUsage::Table).to_owned())
            .await
    }
}
