//! Estimates of a training job before it runs: epochs, billed tokens and provider cost.
//!
//! Billed tokens are roughly the dataset's tokens × epochs; the job's `trained_tokens` is the
//! true figure once it has run.

use super::prices::PriceTable;
use super::report::DatasetReport;

/// Epochs when the dataset is neither tiny nor huge.
pub const DEFAULT_EPOCHS: u32 = 3;
/// Fewest example-passes the heuristic aims for (examples × epochs).
const MIN_TARGET_EXAMPLES: u64 = 100;
/// Most example-passes the heuristic aims for (examples × epochs).
const MAX_TARGET_EXAMPLES: u64 = 25_000;
/// Most epochs the heuristic picks for a tiny dataset.
const MAX_DEFAULT_EPOCHS: u64 = 25;

/// The epochs OpenAI picks when a job does not say (its data-preparation heuristic): 3; for
/// tiny datasets enough passes to see ~100 examples (at most 25 epochs); for huge ones few
/// enough to see ~25,000 (at least 1). Zero examples count as one.
pub fn default_epochs(examples: u64) -> u32 {
    let examples = examples.max(1);
    let passes = examples.saturating_mul(u64::from(DEFAULT_EPOCHS));
    let epochs = if passes < MIN_TARGET_EXAMPLES {
        MAX_DEFAULT_EPOCHS.min(MIN_TARGET_EXAMPLES / examples)
    } else if passes > MAX_TARGET_EXAMPLES {
        (MAX_TARGET_EXAMPLES / examples).max(1)
    } else {
        u64::from(DEFAULT_EPOCHS)
    };
    // Every branch is between 1 and 25.
    u32::try_from(epochs).unwrap_or(DEFAULT_EPOCHS)
}

/// What a training job on a dataset will likely take.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// Epochs the job will run.
    pub epochs: u32,
    /// True when `epochs` comes from the heuristic, false when it was requested.
    pub epochs_assumed: bool,
    /// Tokens the provider will bill: the dataset's tokens × epochs.
    pub billed_tokens: u64,
    /// Estimated provider cost in USD; None when the model has no known price.
    pub provider_cost_usd: Option<f64>,
}

impl Estimate {
    /// The estimate for training `model` on the dataset of `report`, with the epochs requested
    /// (validated by the caller) or else the provider's default.
    pub fn new(
        report: &DatasetReport,
        requested_epochs: Option<u32>,
        model: &str,
        prices: &PriceTable,
    ) -> Self {
        let (epochs, epochs_assumed) = match requested_epochs {
            Some(epochs) => (epochs, false),
            None => (default_epochs(report.examples as u64), true),
        };
        let billed_tokens = report.total_tokens.saturating_mul(u64::from(epochs));
        let provider_cost_usd = prices
            .usd_per_million_tokens(model)
            .map(|usd| billed_tokens as f64 * usd / 1_000_000.0);
        Self {
            epochs,
            epochs_assumed,
            billed_tokens,
            provider_cost_usd,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::compiler::DatasetCompiler;

    #[test]
    fn default_epochs_follow_the_openai_heuristic_at_its_boundaries() {
        for (examples, epochs) in [
            (0, 25),
            (1, 25),
            (4, 25),
            (5, 20),
            (10, 10),
            (33, 3),
            (34, 3),
            (100, 3),
            (8_333, 3),
            (8_334, 2),
            (12_501, 1),
            (100_000, 1),
            (u64::MAX, 1),
        ] {
            assert_eq!(default_epochs(examples), epochs, "{examples} examples");
        }
    }

    fn report(examples: usize, total_tokens: u64) -> DatasetReport {
        let mut report = DatasetCompiler::new("gpt-4o-mini-2024-07-18", 0).finish();
        report.examples = examples;
        report.total_tokens = total_tokens;
        report
    }

    #[test]
    fn without_requested_epochs_the_heuristic_is_used_and_flagged() {
        let estimate = Estimate::new(
            &report(10, 2_000_000),
            None,
            "gpt-4o-mini-2024-07-18",
            &PriceTable::default(),
        );
        assert_eq!((estimate.epochs, estimate.epochs_assumed), (10, true));
        assert_eq!(estimate.billed_tokens, 20_000_000);
        let cost = estimate.provider_cost_usd.expect("a listed model");
        assert!((cost - 60.0).abs() < 1e-9, "{cost}");
    }

    #[test]
    fn requested_epochs_win_and_fine_tuned_models_use_their_base_price() {
        let model = "ft:gpt-4.1-nano-2025-04-14:acme:bot:xyz";
        let estimate = Estimate::new(&report(50, 400_000), Some(5), model, &PriceTable::default());
        assert_eq!((estimate.epochs, estimate.epochs_assumed), (5, false));
        assert_eq!(estimate.billed_tokens, 2_000_000);
        let cost = estimate.provider_cost_usd.expect("a listed base model");
        assert!((cost - 3.0).abs() < 1e-9, "{cost}");
    }

    #[test]
    fn an_unpriced_model_has_no_cost_but_still_billed_tokens() {
        let estimate = Estimate::new(&report(100, 1_000), None, "mystery", &PriceTable::default());
        assert_eq!(estimate.billed_tokens, 3_000);
        assert_eq!(estimate.provider_cost_usd, None);
    }
}
