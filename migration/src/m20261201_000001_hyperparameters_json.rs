//! A training job's hyperparameters become a JSON column (`jsonb`) on Postgres.
//!
//! SQLite has no column types to change: its text column already holds the JSON, which its
//! driver reads as JSON, so this migration changes nothing there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Every stored value was written by serde_json, so each converts as is.
        alter_on_postgres(
            manager,
            "ALTER TABLE training_job ALTER COLUMN hyperparameters \
             TYPE jsonb USING hyperparameters::jsonb",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        alter_on_postgres(
            manager,
            "ALTER TABLE training_job ALTER COLUMN hyperparameters \
             TYPE text USING hyperparameters::text",
        )
        .await
    }
}

async fn alter_on_postgres(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    manager.get_connection().execute_unprepared(sql).await?;
    Ok(())
}
