//! Provider credentials may name an account: Fireworks AI's API paths are
//! `/v1/accounts/{account_id}/...`, so its credentials carry the account id beside the key.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProviderCredential {
    Table,
    AccountId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ProviderCredential::Table)
                    .add_column(string_len_null(ProviderCredential::AccountId, 128))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ProviderCredential::Table)
                    .drop_column(ProviderCredential::AccountId)
                    .to_owned(),
            )
            .await
    }
}
