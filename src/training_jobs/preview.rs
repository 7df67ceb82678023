//! `trainingPreview`: what a training job would send, cost and meet, without sending anything.

use sea_orm::ConnectionTrait;

use super::dataset::{self, DatasetBuilder};
use super::request::JobRequest;
use super::TrainingSettings;
use crate::custom_models;
use crate::datasets::estimate::Estimate;
use crate::datasets::report::DatasetReport;
use crate::entities::custom_model;
use crate::error::Result;
use crate::global_rules;
use crate::ids::{ModelId, WorkspaceId};
use crate::provider::{self, DataRules};

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
pub fn training_model(model: &custom_model::Model, from_base_model: bool) -> (String, bool) {
    let continues = provider::profile_or_default(&model.provider).continues_from_fine_tuned;
    match &model.fine_tuned_model {
        Some(fine_tuned) if continues && !from_base_model => (fine_tuned.clone(), true),
        _ => (model.base_model.clone(), false),
    }
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

/// Compiles what a job for the model would send (into nothing) and reports on it.
pub async fn preview(
    db: &impl ConnectionTrait,
    settings: &TrainingSettings,
    workspace_id: WorkspaceId,
    model_id: ModelId,
    request: JobRequest,
) -> Result<Preview> {
    let request = request.validated()?;
    let model = custom_models::get(db, workspace_id, model_id).await?;
    request.check_for_provider(&model.provider)?;
    let (training_model, continues_training) = training_model(&model, request.from_base_model);
    let rules = rule_texts(db, workspace_id).await?;
    let select = dataset::selection(workspace_id, request.tag.as_deref());
    let data = data_rules(&model.provider, settings.max_file_bytes);
    let mut builder = DatasetBuilder::new(select, rules, &training_model, data);
    let mut sink = std::io::sink();
    while builder.next_page(db, &mut sink).await?.is_some() {}
    let system_prompt = builder.global_prompt();
    let report = builder.finish();
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
