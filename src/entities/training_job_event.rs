//! Events of a training job as the provider reported them, metrics events with their numbers.

use crate::ids::JobId;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "training_job_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub job_id: JobId,
    /// The provider's event id; stored once per job.
    pub provider_event_id: String,
    /// When the provider says the event happened.
    pub created_at: DateTimeUtc,
    pub level: String,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    /// `message` or `metrics`.
    pub kind: String,
    pub step: Option<i64>,
    pub total_steps: Option<i64>,
    pub train_loss: Option<f64>,
    pub train_mean_token_accuracy: Option<f64>,
    pub valid_loss: Option<f64>,
    pub valid_mean_token_accuracy: Option<f64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
