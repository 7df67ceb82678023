//! The models bot platforms may use: READY custom models with the system prompt they were
//! trained with, and when their base model retires.

pub mod cache;
pub mod graphql;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::datasets::models::base_model;
use crate::entities::custom_model::{self, ModelStatus};
use crate::entities::training_job::{self, JobStatus};
use crate::error::Result;
use crate::global_rules;
use crate::tenancy::WorkspaceScoped;

/// Retirement dates announced for base models (models tuned from them retire with them).
pub const DEFAULT_RETIREMENTS: &str = "gpt-4o-mini-2024-07-18=2027-01-14";

/// When base models stop serving, by model name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Retirements(BTreeMap<String, NaiveDate>);

impl Retirements {
    /// Reads `model=YYYY-MM-DD,...`; blank entries are skipped.
    pub fn parse(text: &str) -> std::result::Result<Self, RetirementsError> {
        let mut table = BTreeMap::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (model, date) = entry
                .split_once('=')
                .ok_or_else(|| RetirementsError::NoDate(entry.to_owned()))?;
            let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").map_err(|cause| {
                RetirementsError::BadDate {
                    entry: entry.to_owned(),
                    cause,
                }
            })?;
            table.insert(model.trim().to_owned(), date);
        }
        Ok(Self(table))
    }

    /// When `model` (or the base model it was tuned from) retires, at midnight UTC.
    pub fn retires_at(&self, model: &str) -> Option<DateTime<Utc>> {
        let date = self
            .0
            .get(model)
            .or_else(|| self.0.get(base_model(model)))?;
        date.and_hms_opt(0, 0, 0).map(|t| t.and_utc())
    }
}

/// A retirement table entry that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RetirementsError {
    /// The entry has no `=` between the model and the date.
    #[error("retirement `{0}`: write MODEL=YYYY-MM-DD")]
    NoDate(String),
    /// The date is not a `YYYY-MM-DD` calendar date.
    #[error("retirement `{entry}`: the date must be YYYY-MM-DD")]
    BadDate {
        entry: String,
        #[source]
        cause: chrono::ParseError,
    },
}

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
    workspace_id: Uuid,
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
    workspace_id: Uuid,
) -> Result<HashMap<Uuid, training_job::Model>> {
    let jobs = training_job::Entity::find()
        .filter(training_job::Column::WorkspaceId.eq(workspace_id))
        .filter(training_job::Column::Status.eq(JobStatus::Succeeded))
        .order_by_asc(training_job::Column::Id)
        .all(db)
        .await?;
    Ok(jobs.into_iter().map(|job| (job.model_id, job)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retirements_apply_to_models_tuned_from_the_base() {
        let table = Retirements::parse(DEFAULT_RETIREMENTS).expect("parse");
        let at = table
            .retires_at("ft:gpt-4o-mini-2024-07-18:org:x:abc")
            .expect("date");
        assert_eq!(at.to_rfc3339(), "2027-01-14T00:00:00+00:00");
        assert_eq!(table.retires_at("gpt-4.1-2025-04-14"), None);
    }

    #[test]
    fn malformed_retirements_are_refused() {
        assert!(Retirements::parse("gpt=2027-13-01").is_err());
        assert!(Retirements::parse("no-date").is_err());
        assert_eq!(Retirements::parse(" , ").ok(), Some(Retirements::default()));
    }

    #[test]
    fn malformed_retirements_say_what_to_write() {
        let said = |text: &str| Retirements::parse(text).map_err(|err| err.to_string());
        assert_eq!(
            said("gpt=2027-13-01"),
            Err("retirement `gpt=2027-13-01`: the date must be YYYY-MM-DD".to_owned())
        );
        assert_eq!(
            said("a=2027-01-01, no-date"),
            Err("retirement `no-date`: write MODEL=YYYY-MM-DD".to_owned())
        );
    }
}
