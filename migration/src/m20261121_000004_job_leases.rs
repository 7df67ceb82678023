//! Leases on active jobs, so that with several replicas each job is followed by one at a time.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TrainingJob {
    Table,
    LeaseOwner,
    LeaseExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in [
            string_len_null(TrainingJob::LeaseOwner, 64),
            timestamp_with_time_zone_null(TrainingJob::LeaseExpiresAt),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(TrainingJob::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(index(
                "idx_training_job_lease",
                TrainingJob::Table,
                &["status", "lease_expires_at"],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [TrainingJob::LeaseOwner, TrainingJob::LeaseExpiresAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(TrainingJob::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
