//! What a client asks of a training job (or its preview), checked.

use crate::error::{Error, Result};
use crate::provider::Hyperparameters;
use crate::training_blocks::validation::normalize_tag;

/// Longest suffix a provider accepts for a fine-tuned model name.
pub const MAX_SUFFIX_CHARS: usize = 64;

/// Hyperparameters as stored with a job; `None` means "auto" (the provider chooses).
pub use crate::entities::training_job::JobHyperparameters;

impl From<JobHyperparameters> for Hyperparameters {
    fn from(h: JobHyperparameters) -> Self {
        Hyperparameters {
            n_epochs: h.n_epochs,
            batch_size: h.batch_size,
            learning_rate_multiplier: h.learning_rate_multiplier,
        }
    }
}

/// The selection and options of a training job.
#[derive(Clone, Debug, Default)]
pub struct JobRequest {
    /// Only NOT_TRAINED blocks with this tag; all of them when `None`.
    pub tag: Option<String>,
    pub hyperparameters: JobHyperparameters,
    /// Appended by the provider to the fine-tuned model's name.
    pub suffix: Option<String>,
    /// Train from the base model even when the custom model already has a fine-tuned model.
    pub from_base_model: bool,
}

impl JobRequest {
    /// Checks and normalises the request.
    pub fn validated(mut self) -> Result<Self> {
        self.tag = normalize_tag(self.tag.as_deref())?;
        let h = self.hyperparameters;
        if h.n_epochs.is_some_and(|n| !(1..=50).contains(&n)) {
            return Err(Error::bad_input(
                "hyperparameters.nEpochs",
                "nEpochs must be between 1 and 50",
            ));
        }
        if h.batch_size.is_some_and(|n| !(1..=256).contains(&n)) {
            return Err(Error::bad_input(
                "hyperparameters.batchSize",
                "batchSize must be between 1 and 256",
            ));
        }
        if h.learning_rate_multiplier
            .is_some_and(|x| !(x.is_finite() && x > 0.0 && x <= 10.0))
        {
            return Err(Error::bad_input(
                "hyperparameters.learningRateMultiplier",
                "learningRateMultiplier must be greater than 0 and at most 10",
            ));
        }
        self.suffix = self
            .suffix
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        if let Some(suffix) = &self.suffix {
            let valid = suffix.chars().count() <= MAX_SUFFIX_CHARS
                && suffix
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !valid {
                return Err(Error::bad_input(
                    "suffix",
                    format!("suffix may hold at most {MAX_SUFFIX_CHARS} letters, digits, - and _"),
                ));
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyperparameters_out_of_range_are_refused() {
        let with = |h: JobHyperparameters| {
            JobRequest {
                hyperparameters: h,
                ..Default::default()
            }
            .validated()
        };
        assert!(with(JobHyperparameters {
            n_epochs: Some(0),
            ..Default::default()
        })
        .is_err());
        assert!(with(JobHyperparameters {
            batch_size: Some(257),
            ..Default::default()
        })
        .is_err());
        assert!(with(JobHyperparameters {
            learning_rate_multiplier: Some(f64::NAN),
            ..Default::default()
        })
        .is_err());
        assert!(with(JobHyperparameters {
            n_epochs: Some(3),
            batch_size: Some(8),
            learning_rate_multiplier: Some(0.5)
        })
        .is_ok());
    }

    #[test]
    fn suffixes_are_checked() {
        let with = |s: &str| {
            JobRequest {
                suffix: Some(s.into()),
                ..Default::default()
            }
            .validated()
        };
        assert!(with("support-v2").is_ok());
        assert!(with("has space").is_err());
        assert!(with(&"x".repeat(65)).is_err());
        assert_eq!(with("  ").ok().and_then(|r| r.suffix), None);
    }
}
