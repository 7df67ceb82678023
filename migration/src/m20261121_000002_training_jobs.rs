//! Provider credentials, training jobs with the blocks they sent, and the credit ledger.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProviderCredential {
    Table,
    Id,
    WorkspaceId,
    Provider,
    ApiKeyCiphertext,
    ApiKeyLast4,
    BaseUrl,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TrainingJob {
    Table,
    Id,
    WorkspaceId,
    ModelId,
    Status,
    Provider,
    BaseModel,
    Hyperparameters,
    Suffix,
    SystemPrompt,
    BlockCount,
    TokenCount,
    ChargeCredits,
    FileSha256,
    FileBytes,
    ProviderFileId,
    ProviderJobId,
    FineTunedModel,
    TrainedTokens,
    ErrorCode,
    ErrorMessage,
    CreatedAt,
    UpdatedAt,
    SubmittedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum TrainingJobBlock {
    Table,
    JobId,
    BlockId,
    ContentHash,
}

#[derive(DeriveIden)]
enum CreditLedger {
    Table,
    Id,
    WorkspaceId,
    JobId,
    Amount,
    Reason,
    BalanceAfter,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TrainingBlock {
    Table,
    TrainedByJobId,
}

#[derive(DeriveIden)]
enum Workspace {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CustomModel {
    Table,
    Id,
}

fn cascade_to<T: IntoIden + 'static, C: IntoIden + 'static>(
    from: (T, C),
    to_table: impl IntoIden + 'static,
    to_col: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to_table, to_col)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn provider_credential_table() -> TableCreateStatement {
    Table::create()
        .table(ProviderCredential::Table)
        .col(pk_uuid(ProviderCredential::Id))
        .col(uuid(ProviderCredential::WorkspaceId))
        .col(string_len(ProviderCredential::Provider, 32))
        .col(text(ProviderCredential::ApiKeyCiphertext))
        .col(string_len(ProviderCredential::ApiKeyLast4, 8))
        .col(string_len_null(ProviderCredential::BaseUrl, 2048))
        .col(timestamp_with_time_zone(ProviderCredential::CreatedAt))
        .col(timestamp_with_time_zone(ProviderCredential::UpdatedAt))
        .foreign_key(&mut cascade_to(
            (ProviderCredential::Table, ProviderCredential::WorkspaceId),
            Workspace::Table,
            Workspace::Id,
        ))
        .to_owned()
}

fn training_job_table() -> TableCreateStatement {
    Table::create()
        .table(TrainingJob::Table)
        .col(pk_uuid(TrainingJob::Id))
        .col(uuid(TrainingJob::WorkspaceId))
        .col(uuid(TrainingJob::ModelId))
        .col(string_len(TrainingJob::Status, 32))
        .col(string_len(TrainingJob::Provider, 32))
        .col(string_len(TrainingJob::BaseModel, 256))
        .col(text(TrainingJob::Hyperparameters))
        .col(string_len_null(TrainingJob::Suffix, 64))
        .col(text_null(TrainingJob::SystemPrompt))
        .col(big_integer(TrainingJob::BlockCount))
        .col(big_integer(TrainingJob::TokenCount))
        .col(big_integer(TrainingJob::ChargeCredits))
        .col(string_len(TrainingJob::FileSha256, 64))
        .col(big_integer(TrainingJob::FileBytes))
        .col(string_len_null(TrainingJob::ProviderFileId, 256))
        .col(string_len_null(TrainingJob::ProviderJobId, 256))
        .col(string_len_null(TrainingJob::FineTunedModel, 256))
        .col(big_integer_null(TrainingJob::TrainedTokens))
        .col(string_len_null(TrainingJob::ErrorCode, 128))
        .col(text_null(TrainingJob::ErrorMessage))
        .col(timestamp_with_time_zone(TrainingJob::CreatedAt))
        .col(timestamp_with_time_zone(TrainingJob::UpdatedAt))
        .col(timestamp_with_time_zone_null(TrainingJob::SubmittedAt))
        .col(timestamp_with_time_zone_null(TrainingJob::FinishedAt))
        .foreign_key(&mut cascade_to(
            (TrainingJob::Table, TrainingJob::WorkspaceId),
            Workspace::Table,
            Workspace::Id,
        ))
        .foreign_key(&mut cascade_to(
            (TrainingJob::Table, TrainingJob::ModelId),
            CustomModel::Table,
            CustomModel::Id,
        ))
        .to_owned()
}

fn training_job_block_table() -> TableCreateStatement {
    Table::create()
        .table(TrainingJobBlock::Table)
        .col(uuid(TrainingJobBlock::JobId))
        .col(uuid(TrainingJobBlock::BlockId))
        .col(string_len(TrainingJobBlock::ContentHash, 64))
        .primary_key(
            Index::create()
                .col(TrainingJobBlock::JobId)
                .col(TrainingJobBlock::BlockId),
        )
        .foreign_key(&mut cascade_to(
            (TrainingJobBlock::Table, TrainingJobBlock::JobId),
            TrainingJob::Table,
            TrainingJob::Id,
        ))
        .to_owned()
}

fn credit_ledger_table() -> TableCreateStatement {
    Table::create()
        .table(CreditLedger::Table)
        .col(pk_uuid(CreditLedger::Id))
        .col(uuid(CreditLedger::WorkspaceId))
        .col(uuid_null(CreditLedger::JobId))
        .col(big_integer(CreditLedger::Amount))
        .col(string_len(CreditLedger::Reason, 32))
        .col(big_integer(CreditLedger::BalanceAfter))
        .col(timestamp_with_time_zone(CreditLedger::CreatedAt))
        .foreign_key(&mut cascade_to(
            (CreditLedger::Table, CreditLedger::WorkspaceId),
            Workspace::Table,
            Workspace::Id,
        ))
        .foreign_key(
            ForeignKey::create()
                .from(CreditLedger::Table, CreditLedger::JobId)
                .to(TrainingJob::Table, TrainingJob::Id)
                .on_delete(ForeignKeyAction::SetNull),
        )
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            provider_credential_table(),
            training_job_table(),
            training_job_block_table(),
            credit_ledger_table(),
        ] {
            manager.create_table(table).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(TrainingBlock::Table)
                    .add_column(uuid_null(TrainingBlock::TrainedByJobId))
                    .to_owned(),
            )
            .await?;
        let indexes = [
            index(
                "uq_provider_credential",
                ProviderCredential::Table,
                &["workspace_id", "provider"],
            )
            .unique()
            .to_owned(),
            index(
                "idx_training_job_model",
                TrainingJob::Table,
                &["model_id", "id"],
            ),
            index(
                "idx_training_job_workspace",
                TrainingJob::Table,
                &["workspace_id", "status"],
            ),
            index(
                "idx_training_job_block_block",
                TrainingJobBlock::Table,
                &["block_id"],
            ),
            index(
                "idx_credit_ledger_workspace",
                CreditLedger::Table,
                &["workspace_id", "id"],
            ),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(TrainingBlock::Table)
                    .drop_column(TrainingBlock::TrainedByJobId)
                    .to_owned(),
            )
            .await?;
        for table in [
            "credit_ledger",
            "training_job_block",
            "training_job",
            "provider_credential",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
