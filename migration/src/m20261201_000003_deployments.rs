//! Trained is not callable: a custom model keeps what bots call (the serving job and model
//! string) apart from what it last trained, with the provider deployment in between; a job can
//! ask to be deployed when it succeeds.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CustomModel {
    Table,
    ServingJobId,
    ServingModel,
    ServingDeploymentId,
    DeploymentId,
    DeploymentState,
}

#[derive(DeriveIden)]
enum TrainingJob {
    Table,
    DeployOnSuccess,
}

/// Models that were READY keep serving the fine-tuned model of their latest succeeded job.
const SERVE_READY_MODELS: &str = "UPDATE custom_model SET serving_model = fine_tuned_model, \
    serving_job_id = (SELECT j.id FROM training_job j WHERE j.model_id = custom_model.id \
    AND j.status = 'succeeded' ORDER BY j.id DESC LIMIT 1) \
    WHERE status = 'ready' AND fine_tuned_model IS NOT NULL";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        for column in [
            uuid_null(CustomModel::ServingJobId),
            string_len_null(CustomModel::ServingModel, 512),
            string_len_null(CustomModel::ServingDeploymentId, 512),
            string_len_null(CustomModel::DeploymentId, 512),
            string_len_null(CustomModel::DeploymentState, 64),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(CustomModel::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(TrainingJob::Table)
                    .add_column(boolean(TrainingJob::DeployOnSuccess).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(SERVE_READY_MODELS)
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(TrainingJob::Table)
                    .drop_column(TrainingJob::DeployOnSuccess)
                    .to_owned(),
            )
            .await?;
        for column in [
            CustomModel::ServingJobId,
            CustomModel::ServingModel,
            CustomModel::ServingDeploymentId,
            CustomModel::DeploymentId,
            CustomModel::DeploymentState,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(CustomModel::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
