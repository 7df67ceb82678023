//! What following a job records: provider events (with metrics), checkpoints, webhook
//! deliveries already handled, and each workspace's webhook signing secret.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TrainingJobEvent {
    Table,
    Id,
    JobId,
    ProviderEventId,
    CreatedAt,
    Level,
    Message,
    Kind,
    Step,
    TotalSteps,
    TrainLoss,
    TrainMeanTokenAccuracy,
    ValidLoss,
    ValidMeanTokenAccuracy,
}

#[derive(DeriveIden)]
enum TrainingJobCheckpoint {
    Table,
    Id,
    JobId,
    ProviderCheckpointId,
    FineTunedModelCheckpoint,
    StepNumber,
    TrainLoss,
    TrainMeanTokenAccuracy,
    ValidLoss,
    ValidMeanTokenAccuracy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookDelivery {
    Table,
    WebhookId,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum ProviderCredential {
    Table,
    WebhookSecretCiphertext,
}

#[derive(DeriveIden)]
enum TrainingJob {
    Table,
    Id,
}

fn job_fk(from: impl IntoIden + 'static) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, Alias::new("job_id"))
        .to(TrainingJob::Table, TrainingJob::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn event_table() -> TableCreateStatement {
    Table::create()
        .table(TrainingJobEvent::Table)
        .col(pk_uuid(TrainingJobEvent::Id))
        .col(uuid(TrainingJobEvent::JobId))
        .col(string_len(TrainingJobEvent::ProviderEventId, 128))
        .col(timestamp_with_time_zone(TrainingJobEvent::CreatedAt))
        .col(string_len(TrainingJobEvent::Level, 16))
        .col(text(TrainingJobEvent::Message))
        .col(string_len(TrainingJobEvent::Kind, 16))
        .col(big_integer_null(TrainingJobEvent::Step))
        .col(big_integer_null(TrainingJobEvent::TotalSteps))
        .col(double_null(TrainingJobEvent::TrainLoss))
        .col(double_null(TrainingJobEvent::TrainMeanTokenAccuracy))
        .col(double_null(TrainingJobEvent::ValidLoss))
        .col(double_null(TrainingJobEvent::ValidMeanTokenAccuracy))
        .foreign_key(&mut job_fk(TrainingJobEvent::Table))
        .to_owned()
}

fn checkpoint_table() -> TableCreateStatement {
    Table::create()
        .table(TrainingJobCheckpoint::Table)
        .col(pk_uuid(TrainingJobCheckpoint::Id))
        .col(uuid(TrainingJobCheckpoint::JobId))
        .col(string_len(TrainingJobCheckpoint::ProviderCheckpointId, 128))
        .col(string_len(
            TrainingJobCheckpoint::FineTunedModelCheckpoint,
            256,
        ))
        .col(big_integer(TrainingJobCheckpoint::StepNumber))
        .col(double_null(TrainingJobCheckpoint::TrainLoss))
        .col(double_null(TrainingJobCheckpoint::TrainMeanTokenAccuracy))
        .col(double_null(TrainingJobCheckpoint::ValidLoss))
        .col(double_null(TrainingJobCheckpoint::ValidMeanTokenAccuracy))
        .col(timestamp_with_time_zone(TrainingJobCheckpoint::CreatedAt))
        .foreign_key(&mut job_fk(TrainingJobCheckpoint::Table))
        .to_owned()
}

fn webhook_delivery_table() -> TableCreateStatement {
    Table::create()
        .table(WebhookDelivery::Table)
        .col(string_len(WebhookDelivery::WebhookId, 256).primary_key())
        .col(timestamp_with_time_zone(WebhookDelivery::ReceivedAt))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [event_table(), checkpoint_table(), webhook_delivery_table()] {
            manager.create_table(table).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(ProviderCredential::Table)
                    .add_column(text_null(ProviderCredential::WebhookSecretCiphertext))
                    .to_owned(),
            )
            .await?;
        let indexes = [
            index(
                "uq_training_job_event",
                TrainingJobEvent::Table,
                &["job_id", "provider_event_id"],
            )
            .unique()
            .to_owned(),
            index(
                "idx_training_job_event_time",
                TrainingJobEvent::Table,
                &["job_id", "created_at"],
            ),
            index(
                "uq_training_job_checkpoint",
                TrainingJobCheckpoint::Table,
                &["job_id", "provider_checkpoint_id"],
            )
            .unique()
            .to_owned(),
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
                    .table(ProviderCredential::Table)
                    .drop_column(ProviderCredential::WebhookSecretCiphertext)
                    .to_owned(),
            )
            .await?;
        for table in [
            "webhook_delivery",
            "training_job_checkpoint",
            "training_job_event",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
