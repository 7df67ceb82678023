//! What a client asks of a training job (or its preview), checked.

use crate::deployments::options::DeploymentInput;
use crate::error::{Error, Result};
use crate::provider::{self, DeploymentOptions, Hyperparameters, LearningRate};
use crate::training_blocks::validation::normalize_tag;

/// Longest suffix a provider accepts for a fine-tuned model name.
pub const MAX_SUFFIX_CHARS: usize = 64;
/// Largest absolute learning rate accepted (fine-tuning rates are around 1e-5 to 1e-3).
pub const MAX_LEARNING_RATE: f64 = 0.01;
/// Largest LoRA rank accepted.
pub const MAX_LORA_RANK: u32 = 256;
/// Largest LoRA alpha accepted.
pub const MAX_LORA_ALPHA: u32 = 512;

/// Hyperparameters as stored with a job; `None` means "auto" (the provider chooses).
pub use crate::entities::training_job::JobHyperparameters;

impl From<JobHyperparameters> for Hyperparameters {
    fn from(h: JobHyperparameters) -> Self {
        Hyperparameters {
            n_epochs: h.n_epochs,
            batch_size: h.batch_size,
            learning_rate_multiplier: h.learning_rate_multiplier,
            learning_rate: h.learning_rate,
            lora_rank: h.lora_rank,
            lora_alpha: h.lora_alpha,
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
    /// Deploy the trained model when the job succeeds (providers that serve only deployments).
    pub deploy: bool,
    /// How to deploy then; `None` keeps tuner's defaults.
    pub deployment: Option<DeploymentInput>,
    /// A move: the model's new provider and base model, set in the job's own transaction; the
    /// job then trains from that base model on every block the model was trained on plus the
    /// NOT_TRAINED ones.
    pub move_to: Option<MoveTarget>,
}

/// Where a model moves (`moveCustomModel`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveTarget {
    pub provider: String,
    pub base_model: String,
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
        check_absolute_and_lora(&h)?;
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

    /// Refuses settings the model's provider does not take, naming the one to use instead.
    pub fn check_for_provider(&self, provider_id: &str) -> Result<()> {
        self.check_hyperparameters_for(provider_id)?;
        self.deployment_options(provider_id).map(drop)
    }

    /// The deployment choices for the deployment made when a job on `provider_id` succeeds,
    /// checked; `None` when none were given.
    pub fn deployment_options(&self, provider_id: &str) -> Result<Option<DeploymentOptions>> {
        let Some(input) = &self.deployment else {
            return Ok(None);
        };
        if !self.deploy {
            return Err(Error::bad_input(
                "deployment",
                "deployment says how to deploy when the job succeeds: give deploy: true with it",
            ));
        }
        input.clone().checked(provider_id).map(Some)
    }

    fn check_hyperparameters_for(&self, provider_id: &str) -> Result<()> {
        let profile = provider::profile_or_default(provider_id);
        let h = &self.hyperparameters;
        match profile.learning_rate {
            LearningRate::Absolute if h.learning_rate_multiplier.is_some() => {
                return Err(Error::bad_input(
                    "hyperparameters.learningRateMultiplier",
                    format!(
                        "provider {provider_id:?} takes an absolute learning rate: give \
                         learningRate (such as 0.00001) instead of learningRateMultiplier"
                    ),
                ));
            }
            LearningRate::Multiplier if h.learning_rate.is_some() => {
                return Err(Error::bad_input(
                    "hyperparameters.learningRate",
                    format!(
                        "provider {provider_id:?} scales its own learning rate: give \
                         learningRateMultiplier (such as 0.5) instead of learningRate"
                    ),
                ));
            }
            _ => {}
        }
        if !profile.lora {
            let field = match (h.lora_rank, h.lora_alpha) {
                (Some(_), _) => "hyperparameters.loraRank",
                (None, Some(_)) => "hyperparameters.loraAlpha",
                (None, None) => return Ok(()),
            };
            return Err(Error::bad_input(
                field,
                format!(
                    "provider {provider_id:?} does not take LoRA settings; leave loraRank and \
                     loraAlpha out"
                ),
            ));
        }
        if !profile.lora_alpha && h.lora_alpha.is_some() {
            return Err(Error::bad_input(
                "hyperparameters.loraAlpha",
                format!(
                    "provider {provider_id:?} takes a LoRA rank but no alpha; give loraRank only \
                     and leave loraAlpha out"
                ),
            ));
        }
        Ok(())
    }
}

/// Ranges of the absolute learning rate and the LoRA settings, for any provider.
fn check_absolute_and_lora(h: &JobHyperparameters) -> Result<()> {
    if h.learning_rate
        .is_some_and(|x| !(x.is_finite() && x > 0.0 && x <= MAX_LEARNING_RATE))
    {
        return Err(Error::bad_input(
            "hyperparameters.learningRate",
            format!(
                "learningRate must be greater than 0 and at most {MAX_LEARNING_RATE} \
                 (fine-tuning rates are usually between 0.00001 and 0.001)"
            ),
        ));
    }
    if h.lora_rank
        .is_some_and(|n| !(1..=MAX_LORA_RANK).contains(&n))
    {
        return Err(Error::bad_input(
            "hyperparameters.loraRank",
            format!("loraRank must be between 1 and {MAX_LORA_RANK} (8, 16 and 64 are usual)"),
        ));
    }
    if h.lora_alpha
        .is_some_and(|n| !(1..=MAX_LORA_ALPHA).contains(&n))
    {
        return Err(Error::bad_input(
            "hyperparameters.loraAlpha",
            format!("loraAlpha must be between 1 and {MAX_LORA_ALPHA}"),
        ));
    }
    if h.lora_alpha.is_some() && h.lora_rank.is_none() {
        return Err(Error::bad_input(
            "hyperparameters.loraRank",
            "loraAlpha needs loraRank as well; give both (alpha is often twice the rank)",
        ));
    }
    Ok(())
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
            learning_rate_multiplier: Some(0.5),
            ..Default::default()
        })
        .is_ok());
    }

    fn field_of(result: Result<()>) -> Option<String> {
        match result {
            Err(Error::BadInput { field, .. }) => Some(field),
            _ => None,
        }
    }

    #[test]
    fn absolute_rates_and_lora_settings_are_checked_for_range() {
        let with = |h: JobHyperparameters| {
            let request = JobRequest {
                hyperparameters: h,
                ..Default::default()
            };
            field_of(request.validated().map(|_| ()))
        };
        let rate = |x: f64| JobHyperparameters {
            learning_rate: Some(x),
            ..Default::default()
        };
        assert_eq!(
            with(rate(0.0)).as_deref(),
            Some("hyperparameters.learningRate")
        );
        assert_eq!(
            with(rate(0.5)).as_deref(),
            Some("hyperparameters.learningRate")
        );
        assert_eq!(with(rate(2e-5)), None);
        let lora = |rank: Option<u32>, alpha: Option<u32>| JobHyperparameters {
            lora_rank: rank,
            lora_alpha: alpha,
            ..Default::default()
        };
        assert_eq!(
            with(lora(Some(0), None)).as_deref(),
            Some("hyperparameters.loraRank")
        );
        assert_eq!(
            with(lora(Some(16), Some(513))).as_deref(),
            Some("hyperparameters.loraAlpha")
        );
        assert_eq!(
            with(lora(None, Some(32))).as_deref(),
            Some("hyperparameters.loraRank")
        );
        assert_eq!(with(lora(Some(16), Some(32))), None);
    }

    #[test]
    fn each_provider_refuses_the_other_kind_of_learning_rate_and_names_the_right_one() {
        let request = |h: JobHyperparameters| JobRequest {
            hyperparameters: h,
            ..Default::default()
        };
        let multiplier = request(JobHyperparameters {
            learning_rate_multiplier: Some(0.5),
            ..Default::default()
        });
        let absolute = request(JobHyperparameters {
            learning_rate: Some(1e-5),
            lora_rank: Some(8),
            ..Default::default()
        });
        for provider in ["together", "nebius"] {
            let refused = multiplier.check_for_provider(provider);
            let message = match &refused {
                Err(Error::BadInput { message, .. }) => message.clone(),
                other => panic!("{provider}: {other:?}"),
            };
            assert!(message.contains("give learningRate"), "{message}");
            assert_eq!(
                field_of(refused).as_deref(),
                Some("hyperparameters.learningRateMultiplier")
            );
            assert!(absolute.check_for_provider(provider).is_ok(), "{provider}");
        }
        for provider in ["openai", "azure-openai"] {
            assert_eq!(
                field_of(absolute.check_for_provider(provider)).as_deref(),
                Some("hyperparameters.learningRate")
            );
            assert!(multiplier.check_for_provider(provider).is_ok());
        }
        let lora_only = request(JobHyperparameters {
            lora_rank: Some(8),
            ..Default::default()
        });
        assert_eq!(
            field_of(lora_only.check_for_provider("openai")).as_deref(),
            Some("hyperparameters.loraRank")
        );
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
