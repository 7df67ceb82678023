//! Workspaces, API tokens, global rules, training blocks with their exchanges, custom models.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Workspace {
    Table,
    Id,
    Name,
    Credits,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    Id,
    WorkspaceId,
    Name,
    Role,
    TokenHash,
    TokenPrefix,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum GlobalRule {
    Table,
    Id,
    WorkspaceId,
    Text,
    Position,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TrainingBlock {
    Table,
    Id,
    WorkspaceId,
    Status,
    Tag,
    AdditionalRules,
    Notes,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Exchange {
    Table,
    BlockId,
    Position,
    Prompt,
    Response,
}

#[derive(DeriveIden)]
enum CustomModel {
    Table,
    Id,
    WorkspaceId,
    Name,
    Description,
    Provider,
    BaseModel,
    Status,
    FineTunedModel,
    CreatedAt,
    UpdatedAt,
}

fn workspace_fk<T: IntoIden + 'static>(table: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, Alias::new("workspace_id"))
        .to(Workspace::Table, Workspace::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn workspace_table() -> TableCreateStatement {
    Table::create()
        .table(Workspace::Table)
        .col(pk_uuid(Workspace::Id))
        .col(string_len_uniq(Workspace::Name, 100))
        .col(big_integer(Workspace::Credits).default(0))
        .col(timestamp_with_time_zone(Workspace::CreatedAt))
        .to_owned()
}

fn api_token_table() -> TableCreateStatement {
    Table::create()
        .table(ApiToken::Table)
        .col(pk_uuid(ApiToken::Id))
        .col(uuid(ApiToken::WorkspaceId))
        .col(string_len(ApiToken::Name, 100))
        .col(string_len(ApiToken::Role, 16))
        .col(string_len_uniq(ApiToken::TokenHash, 64))
        .col(string_len(ApiToken::TokenPrefix, 16))
        .col(timestamp_with_time_zone(ApiToken::CreatedAt))
        .col(timestamp_with_time_zone_null(ApiToken::LastUsedAt))
        .foreign_key(&mut workspace_fk(ApiToken::Table))
        .to_owned()
}

fn global_rule_table() -> TableCreateStatement {
    Table::create()
        .table(GlobalRule::Table)
        .col(pk_uuid(GlobalRule::Id))
        .col(uuid(GlobalRule::WorkspaceId))
        .col(text(GlobalRule::Text))
        .col(integer(GlobalRule::Position))
        .col(timestamp_with_time_zone(GlobalRule::CreatedAt))
        .col(timestamp_with_time_zone(GlobalRule::UpdatedAt))
        .foreign_key(&mut workspace_fk(GlobalRule::Table))
        .to_owned()
}

fn training_block_table() -> TableCreateStatement {
    Table::create()
        .table(TrainingBlock::Table)
        .col(pk_uuid(TrainingBlock::Id))
        .col(uuid(TrainingBlock::WorkspaceId))
        .col(string_len(TrainingBlock::Status, 16))
        .col(string_len_null(TrainingBlock::Tag, 64))
        .col(text_null(TrainingBlock::AdditionalRules))
        .col(text_null(TrainingBlock::Notes))
        .col(timestamp_with_time_zone(TrainingBlock::CreatedAt))
        .col(timestamp_with_time_zone(TrainingBlock::UpdatedAt))
        .foreign_key(&mut workspace_fk(TrainingBlock::Table))
        .to_owned()
}

fn exchange_table() -> TableCreateStatement {
    Table::create()
        .table(Exchange::Table)
        .col(uuid(Exchange::BlockId))
        .col(integer(Exchange::Position))
        .col(text(Exchange::Prompt))
        .col(text(Exchange::Response))
        .primary_key(
            Index::create()
                .col(Exchange::BlockId)
                .col(Exchange::Position),
        )
        .foreign_key(
            ForeignKey::create()
                .from(Exchange::Table, Exchange::BlockId)
                .to(TrainingBlock::Table, TrainingBlock::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn custom_model_table() -> TableCreateStatement {
    Table::create()
        .table(CustomModel::Table)
        .col(pk_uuid(CustomModel::Id))
        .col(uuid(CustomModel::WorkspaceId))
        .col(string_len(CustomModel::Name, 100))
        .col(text_null(CustomModel::Description))
        .col(string_len(CustomModel::Provider, 32))
        .col(string_len(CustomModel::BaseModel, 128))
        .col(string_len(CustomModel::Status, 16))
        .col(string_len_null(CustomModel::FineTunedModel, 256))
        .col(timestamp_with_time_zone(CustomModel::CreatedAt))
        .col(timestamp_with_time_zone(CustomModel::UpdatedAt))
        .foreign_key(&mut workspace_fk(CustomModel::Table))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            workspace_table(),
            api_token_table(),
            global_rule_table(),
            training_block_table(),
            exchange_table(),
            custom_model_table(),
        ] {
            manager.create_table(table).await?;
        }
        let indexes = [
            index(
                "idx_api_token_workspace",
                ApiToken::Table,
                &["workspace_id"],
            ),
            index(
                "idx_global_rule_workspace",
                GlobalRule::Table,
                &["workspace_id", "position"],
            ),
            index(
                "idx_training_block_workspace",
                TrainingBlock::Table,
                &["workspace_id", "id"],
            ),
            index(
                "idx_training_block_status",
                TrainingBlock::Table,
                &["workspace_id", "status", "id"],
            ),
            index(
                "idx_training_block_tag",
                TrainingBlock::Table,
                &["workspace_id", "tag"],
            ),
            index(
                "idx_custom_model_workspace",
                CustomModel::Table,
                &["workspace_id", "id"],
            ),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        manager
            .create_index(
                index(
                    "uq_custom_model_name",
                    CustomModel::Table,
                    &["workspace_id", "name"],
                )
                .unique()
                .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Alias::new("custom_model"),
            Alias::new("exchange"),
            Alias::new("training_block"),
            Alias::new("global_rule"),
            Alias::new("api_token"),
            Alias::new("workspace"),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
