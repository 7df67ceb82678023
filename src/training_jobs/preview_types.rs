//! GraphQL types of a training preview: dataset problems, token counts, estimates, charges.

use async_graphql::{SimpleObject, ID};

use super::preview::Preview;
use crate::datasets::report::DatasetIssue;
use crate::graphql::answer_budget::LargeText;

/// A problem found in the training data, with the blocks it concerns.
#[derive(SimpleObject)]
pub struct DatasetProblem {
    /// Machine-readable code, such as `TOO_FEW_EXAMPLES` or `DUPLICATE_EXAMPLE`.
    code: String,
    /// What is wrong and what to do.
    message: String,
    /// Some of the blocks concerned (at most 20).
    block_ids: Vec<ID>,
    /// How many blocks are concerned in all.
    count: u64,
}

impl From<&DatasetIssue> for DatasetProblem {
    fn from(issue: &DatasetIssue) -> Self {
        Self {
            code: issue.code.to_owned(),
            message: issue.message.clone(),
            block_ids: issue
                .block_ids
                .iter()
                .map(|id| ID(id.to_string()))
                .collect(),
            count: issue.count as u64,
        }
    }
}

/// Token counts of the training examples.
#[derive(SimpleObject)]
pub struct TokenStats {
    /// All examples together.
    total: u64,
    /// The shortest example.
    min: u64,
    /// The mean example.
    mean: f64,
    /// The longest example.
    max: u64,
    /// The tokenizer encoding counted with, such as `o200k_base`.
    encoding: String,
    /// True when the model is unknown and the encoding was assumed.
    encoding_assumed: bool,
    /// The most tokens one example may have for this model.
    limit_per_example: u64,
}

/// What tuner charges for the job, in credits.
#[derive(SimpleObject)]
pub struct PlatformCharge {
    /// The platform fee per job (100 credits = 1 dollar by default).
    fee_credits: i64,
    /// One credit per block.
    block_credits: i64,
    /// Fee and blocks together.
    total_credits: i64,
}

/// What a training job would send, meet and cost, without sending anything.
#[derive(SimpleObject)]
pub struct TrainingPreview {
    /// The model training would start from.
    training_model: String,
    /// True when that is the custom model's previous fine-tuned model (incremental training).
    continues_training: bool,
    /// The provider the job would run on.
    provider: String,
    /// Blocks that would be sent (each becomes one example).
    block_count: u64,
    /// Examples in the training file.
    example_count: u64,
    /// Token counts, with OpenAI's per-message overhead.
    tokens: TokenStats,
    /// Problems that stop the job.
    errors: Vec<DatasetProblem>,
    /// Problems worth a look that do not stop the job.
    warnings: Vec<DatasetProblem>,
    /// Epochs the provider would train: the requested number, or its default heuristic.
    estimated_epochs: u32,
    /// Tokens the provider would bill: tokens in the file times epochs (an estimate).
    estimated_billed_tokens: u64,
    /// The provider's training cost in USD from a price table; an estimate, null when the
    /// model's price is unknown (set it with --training-prices).
    estimated_provider_cost_usd: Option<f64>,
    /// tuner's charge.
    platform_charge: PlatformCharge,
    /// The system prompt the global rules form (blocks may add their own rules).
    system_prompt: Option<LargeText<String>>,
    /// The first lines of the training file (JSONL).
    jsonl_preview: Vec<LargeText<String>>,
}

impl From<Preview> for TrainingPreview {
    fn from(p: Preview) -> Self {
        let r = &p.report;
        Self {
            block_count: r.examples as u64,
            example_count: r.examples as u64,
            tokens: TokenStats {
                total: r.total_tokens,
                min: r.min_tokens as u64,
                mean: r.mean_tokens,
                max: r.max_tokens as u64,
                encoding: r.encoding.to_owned(),
                encoding_assumed: r.encoding_assumed,
                limit_per_example: r.token_limit as u64,
            },
            errors: r.errors.iter().map(DatasetProblem::from).collect(),
            warnings: r.warnings.iter().map(DatasetProblem::from).collect(),
            estimated_epochs: p.estimate.epochs,
            estimated_billed_tokens: p.estimate.billed_tokens,
            estimated_provider_cost_usd: p.estimate.provider_cost_usd,
            platform_charge: PlatformCharge {
                fee_credits: p.fee_credits,
                block_credits: p.block_credits,
                total_credits: p.fee_credits + p.block_credits,
            },
            jsonl_preview: r.sample_lines.iter().cloned().map(LargeText).collect(),
            training_model: p.training_model,
            continues_training: p.continues_training,
            provider: p.provider,
            system_prompt: p.system_prompt.map(LargeText),
        }
    }
}
