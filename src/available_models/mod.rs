//! The models bot platforms may use: READY custom models with the system prompt they were
//! trained with, and when their base model retires.

pub mod answers;
pub mod cache;
pub mod graphql;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};

use crate::entities::{custom_model, provider_credential, training_job};
use crate::error::Result;
use crate::global_rules;
use crate::ids::{JobId, WorkspaceId};
use crate::provider;
use crate::reported_retirements::Announced;
use crate::retirements::Retirements;
use crate::tenancy::WorkspaceScoped;

/// A model a bot platform may call.
#[derive(Clone, Debug, PartialEq)]
pub struct AvailableModel {
    pub model: custom_model::Model,
    /// The exact model string to call the provider with.
    pub provider_model: String,
    /// The provider serving it (that of the job it was trained by).
    pub provider: String,
    /// The base model the serving job trained from (during a move, not yet the model's new
    /// base model).
    pub base_model: String,
    /// The provider's OpenAI-compatible base URL for chat, when known.
    pub chat_base_url: Option<String>,
    /// The system prompt the serving job trained with.
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

/// The workspace's callable models (those with a serving model, whatever their newest training
/// is doing), retired ones included, oldest first; five statements.
pub async fn load(
    db: &impl ConnectionTrait,
    retirements: &Retirements,
    workspace_id: WorkspaceId,
) -> Result<Vec<AvailableModel>> {
    let models = custom_model::Entity::in_workspace(workspace_id)
        .filter(custom_model::Column::ServingModel.is_not_null())
        .order_by_asc(custom_model::Column::Id)
        .all(db)
        .await?;
    let serving = serving_jobs(db, workspace_id, &models).await?;
    let announced = Announced::load(db, workspace_id).await?;
    let chat_urls = chat_base_urls(db, workspace_id).await?;
    let rules = global_rules::list(db, workspace_id).await?;
    let current_prompt = global_rules::system_prompt(rules.iter().map(|r| r.text.as_str()), None);
    let available = models.into_iter().filter_map(|model| {
        let provider_model = model.serving_model.clone()?;
        let job = serving.get(&model.serving_job_id?)?;
        let system_prompt = job.system_prompt.clone();
        Some(AvailableModel {
            retires_at: retires_at(&announced, retirements, job, &provider_model),
            rules_changed_since_training: system_prompt != current_prompt,
            trained_at: job.finished_at.or(Some(job.updated_at)),
            system_prompt,
            provider_model,
            chat_base_url: chat_urls.get(&job.provider).cloned().flatten(),
            provider: job.provider.clone(),
            base_model: job.root_base_model().to_owned(),
            model,
        })
    });
    Ok(available.collect())
}

/// When the model bots call retires: the day its provider announced for it or for its base
/// model, else the day in the operator's table.
fn retires_at(
    announced: &Announced,
    retirements: &Retirements,
    job: &training_job::Model,
    provider_model: &str,
) -> Option<DateTime<Utc>> {
    let base = job.root_base_model();
    match announced.day(&job.provider, &[provider_model, base]) {
        Some(day) => day.and_hms_opt(0, 0, 0).map(|at| at.and_utc()),
        None => retirements.retires_at(base),
    }
}

/// The jobs whose models the given models serve, by id.
async fn serving_jobs(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
    models: &[custom_model::Model],
) -> Result<HashMap<JobId, training_job::Model>> {
    let ids: Vec<JobId> = models.iter().filter_map(|m| m.serving_job_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let jobs = training_job::Entity::in_workspace(workspace_id)
        .filter(training_job::Column::Id.is_in(ids))
        .all(db)
        .await?;
    Ok(jobs.into_iter().map(|job| (job.id, job)).collect())
}

/// Each provider's chat base URL with the workspace's credentials (from the configured base URL,
/// or the provider's own; Fireworks' inference API, see [`provider::chat_base_url`]).
async fn chat_base_urls(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
) -> Result<HashMap<String, Option<String>>> {
    let rows = provider_credential::Entity::in_workspace(workspace_id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let url = provider::chat_base_url(&row.provider, row.base_url.as_deref());
            (row.provider, url)
        })
        .collect())
}
