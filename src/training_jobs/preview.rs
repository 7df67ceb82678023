//! `trainingPreview`: what a training job would send, cost and meet, without sending anything.

use chrono::{NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};

use super::dataset::{self, DatasetBuilder};
use super::request::JobRequest;
use super::TrainingSettings;
use crate::custom_models;
use crate::datasets::estimate::Estimate;
use crate::datasets::report::{
    DatasetIssue, DatasetReport, PROVIDER_STOPS_JOBS, RETRAINS_ALL_BLOCKS,
};
use crate::entities::custom_model;
use crate::entities::training_job::{self, JobStatus};
use crate::error::Result;
use crate::global_rules;
use crate::ids::{ModelId, WorkspaceId};
use crate::provider::{self, DataRules};
use crate::tenancy::WorkspaceScoped;

/// The preview of a training job.
pub struct Preview {
    /// The model training would start from.
    pub training_model: String,
    /// Whether that is the custom model's previous fine-tuned model (incremental training).
    pub continues_training: bool,
    /// The provider the job would run on.
    pub provider: String,
    /// The compiled dataset: sizes, tokens, checks, first lines.
    pub report: DatasetReport,
    /// Epochs, billed tokens and provider cost, estimated.
    pub estimate: Estimate,
    /// The platform fee, in credits.
    pub fee_credits: i64,
    /// The credits for the blocks.
    pub block_credits: i64,
    /// The system prompt from the global rules (blocks may add their own rules).
    pub system_prompt: Option<String>,
}

/// The model a job for `model` trains from: its fine-tuned model when it has one (incremental
/// training) and its provider can continue from it, unless `from_base_model`; the base model
/// otherwise.
pub async fn training_model(
    db: &impl ConnectionTrait,
    model: &custom_model::Model,
    from_base_model: bool,
) -> Result<(String, bool)> {
    let continues = provider::profile_or_default(&model.provider).continues_from_fine_tuned
        && trained_on(db, model).await?.as_deref() == Some(model.provider.as_str());
    Ok(training_model_of(model, from_base_model, continues))
}

/// The provider of the model's newest succeeded job (after a move, not the model's own).
async fn trained_on(
    db: &impl ConnectionTrait,
    model: &custom_model::Model,
) -> Result<Option<String>> {
    Ok(training_job::Entity::in_workspace(model.workspace_id)
        .filter(training_job::Column::ModelId.eq(model.id))
        .filter(training_job::Column::Status.eq(JobStatus::Succeeded))
        .order_by_desc(training_job::Column::Id)
        .one(db)
        .await?
        .map(|job| job.provider))
}

fn training_model_of(
    model: &custom_model::Model,
    from_base_model: bool,
    continues: bool,
) -> (String, bool) {
    match &model.fine_tuned_model {
        Some(fine_tuned) if continues && !from_base_model => (fine_tuned.clone(), true),
        _ => (model.base_model.clone(), false),
    }
}

/// Whether a job that does not continue from the model's fine-tuned model (`continues`) trains
/// again on every block the model was trained on: a model trained before would otherwise forget
/// them (on a provider that cannot continue, with `fromBaseModel`, or in a move).
pub fn retrains_all(model: &custom_model::Model, continues: bool) -> bool {
    model.fine_tuned_model.is_some() && !continues
}

/// How many days before a provider stops taking jobs the preview starts warning.
const CUTOFF_WARNING_DAYS: i64 = 90;

/// A warning when the provider takes no new jobs after a day that is near or past.
fn provider_cutoff(provider_id: &str, today: NaiveDate) -> Option<DatasetIssue> {
    let day = provider::profile(provider_id)?.last_job_day?;
    let last = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    let left = (last - today).num_days();
    let when = match left {
        ..0 => format!(
            "{provider_id} takes no new fine-tuning jobs since {day}: this job would be refused"
        ),
        0..=CUTOFF_WARNING_DAYS => format!(
            "{provider_id} takes no new fine-tuning jobs after {day} ({left} days from now)"
        ),
        _ => return None,
    };
    let others: Vec<&str> = provider::PROVIDERS
        .iter()
        .copied()
        .filter(|id| provider::profile(id).is_some_and(|p| p.last_job_day.is_none()))
        .collect();
    Some(DatasetIssue {
        code: PROVIDER_STOPS_JOBS,
        message: format!(
            "{when}; keep training by moving the model (moveCustomModel) to {}",
            others.join(", ")
        ),
        block_ids: Vec::new(),
        count: 0,
    })
}

/// The data rules of the model's provider, with the training file limited to the smaller of
/// the provider's limit and the server's (`max_file_bytes`).
pub fn data_rules(provider_id: &str, max_file_bytes: u64) -> DataRules {
    let mut rules = provider::profile_or_default(provider_id).data;
    rules.max_file_bytes = rules.max_file_bytes.min(max_file_bytes);
    rules
}

/// The texts of the workspace's global rules, in order.
pub async fn rule_texts(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
) -> Result<Vec<String>> {
    let rules = global_rules::list(db, workspace_id).await?;
    Ok(rules.into_iter().map(|r| r.text).collect())
}

/// Compiles what a job for the model would send (into nothing) and reports on it; for a move
/// (`request.move_to`), what the move's job would send to the new provider.
pub async fn preview(
    db: &impl ConnectionTrait,
    settings: &TrainingSettings,
    workspace_id: WorkspaceId,
    model_id: ModelId,
    request: JobRequest,
) -> Result<Preview> {
    let request = request.validated()?;
    let mut model = custom_models::get(db, workspace_id, model_id).await?;
    if let Some(target) = &request.move_to {
        model = custom_models::retargeted(model, &target.provider, &target.base_model)?;
    }
    request.check_for_provider(&model.provider)?;
    let moving = request.move_to.is_some();
    let (training_model, continues_training) =
        training_model(db, &model, request.from_base_model || moving).await?;
    let rules = rule_texts(db, workspace_id).await?;
    let retrained = retrains_all(&model, continues_training).then_some(model.id);
    let select = dataset::selection_for(workspace_id, request.tag.as_deref(), retrained);
    let data = data_rules(&model.provider, settings.max_file_bytes);
    let mut builder = DatasetBuilder::new(select, rules, &training_model, data);
    let mut sink = std::io::sink();
    while builder.next_page(db, &mut sink).await?.is_some() {}
    let system_prompt = builder.global_prompt();
    let mut report = builder.finish();
    report
        .warnings
        .extend(provider_cutoff(&model.provider, Utc::now().date_naive()));
    if retrained.is_some() {
        report.warnings.push(DatasetIssue {
            code: RETRAINS_ALL_BLOCKS,
            message: format!(
                "training starts from the base model {training_model}, so the job takes every \
                 block the model was trained on as well as the NOT_TRAINED ones"
            ),
            block_ids: Vec::new(),
            count: report.examples,
        });
    }
    let estimate = Estimate::new(
        &report,
        request.hyperparameters.n_epochs,
        &training_model,
        &settings.prices,
    );
    let blocks = report.examples as u64;
    Ok(Preview {
        training_model,
        continues_training,
        provider: model.provider,
        fee_credits: settings.job_fee_credits,
        block_credits: settings.charge(blocks) - settings.job_fee_credits,
        report,
        estimate,
        system_prompt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn openai_previews_warn_as_its_last_job_day_nears_and_after() {
        let soon = provider_cutoff("openai", day("2026-12-01")).map(|w| w.message);
        assert!(
            soon.as_deref()
                .is_some_and(|m| m.contains("after 2027-01-06 (36 days from now)")),
            "{soon:?}"
        );
        assert!(soon.as_deref().is_some_and(|m| m.contains("together")));
        let past = provider_cutoff("openai", day("2027-02-01")).map(|w| w.message);
        assert!(
            past.as_deref()
                .is_some_and(|m| m.contains("would be refused")),
            "{past:?}"
        );
        assert_eq!(
            provider_cutoff("openai", day("2026-01-01")),
            None,
            "not yet"
        );
        assert_eq!(provider_cutoff("together", day("2026-12-01")), None);
    }
}
