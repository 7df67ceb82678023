//! The models bot platforms may use: READY custom models with the system prompt they were
//! trained with, and when their base model retires.

pub mod cache;
pub mod graphql;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::entities::custom_model::{self, ModelStatus};
use crate::entities::training_job::{self, JobStatus};
use crate::error::Result;
use crate::global_rules;
use crate::ids::{ModelId, WorkspaceId};
use crate::retirements::Retirements;
use crate::tenancy::WorkspaceScoped;

/// A model a bot platform may call.
#[derive(Clone, Debug, PartialEq)]
pub struct AvailableModel {
    pub model: custom_model::Model,
    /// The provider's name of the fine-tuned model.
    pub provider_model: String,
    /// The system prompt the latest successful job trained with.
    pub system_prompt: Option<String>,
    /// When that job finished.
    pub trained_at: Option<DateTime<Utc>>,
    /// Whether the global rules changed since.
    pub rules_changed_since_training: bool,
    /// When the base model retires, if announced.
    pub retires_at: Option<DateTime<Utc>>,
}

impl AvailableModel {
    /// Whether bot platforms may still call it at `now`.
    pub fn serves_at(&self, now: DateTime<Utc>) -> bool {
        self.retires_at.is_none_or(|at| at > now)
    }
}

/// The workspace's READY models, retired ones included, oldest first; three statements.
pub async fn load(
    db: &impl ConnectionTrait,
    retirements: &Retirements,
    workspace_id: WorkspaceId,
) -> Result<Vec<AvailableModel>> {
    let models = custom_model::Entity::in_workspace(workspace_id)
        .filter(custom_model::Column::Status.eq(ModelStatus::Ready))
        .filter(custom_model::Column::FineTunedModel.is_not_null())
        .order_by_asc(custom_model::Column::Id)
        .all(db)
        .await?;
    let latest = latest_successes(db, workspace_id).await?;
    let rules = global_rules::list(db, workspace_id).await?;
    let current_prompt = global_rules::system_prompt(rules.iter().map(|r| r.text.as_str()), None);
    let available = models.into_iter().filter_map(|model| {
        let provider_model = model.fine_tuned_model.clone()?;
        let job = latest.get(&model.id);
        let system_prompt = job.and_then(|j| j.system_prompt.clone());
        Some(AvailableModel {
            rules_changed_since_training: system_prompt != current_prompt,
            trained_at: job.and_then(|j| j.finished_at.or(Some(j.updated_at))),
            system_prompt,
            provider_model,
            retires_at: retirements.retires_at(&model.base_model),
            model,
        })
    });
    Ok(available.collect())
}

/// Each model's latest succeeded job.
async fn latest_successes(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
) -> Result<HashMap<ModelId, training_job::Model>> {
    let jobs = training_job::Entity::find()
        .filter(training_job::Column::WorkspaceId.eq(workspace_id))
        .filter(training_job::Column::Status.eq(JobStatus::Succeeded))
        .order_by_asc(training_job::Column::Id)
        .all(db)
        .await?;
    Ok(jobs.into_iter().map(|job| (job.model_id, job)).collect())
}
