//! What each provider asks of a training job before anything is sent: how it takes the learning
//! rate and LoRA settings, what its training data must respect, whether a trained model can be
//! called at once, and where its API lives. Services read these facts through [`profile`]; they
//! never match on provider ids themselves.

/// How a provider takes the learning rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LearningRate {
    /// A multiplier of the provider's own rate (OpenAI's `learning_rate_multiplier`).
    Multiplier,
    /// An absolute rate (`learning_rate`, e.g. 1e-5).
    Absolute,
}

/// When a trained model can be called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serving {
    /// As soon as the job succeeds (OpenAI, Azure OpenAI).
    Immediate,
    /// Only once it has been deployed (a dedicated endpoint, a registered model).
    AfterDeployment,
}

/// What a provider's training file must respect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataRules {
    /// Fewest examples the provider trains on.
    pub min_examples: usize,
    /// Whether user and assistant turns must alternate strictly (user first, assistant last).
    pub strict_alternation: bool,
    /// Largest training file the provider accepts, in bytes.
    pub max_file_bytes: u64,
}

/// The facts tuner keeps about one provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    /// The provider id, one of [`super::PROVIDERS`].
    pub id: &'static str,
    /// The base URL used when the credentials give none.
    pub default_base_url: Option<&'static str>,
    /// How the learning rate is given.
    pub learning_rate: LearningRate,
    /// Whether LoRA rank and alpha can be set.
    pub lora: bool,
    /// Whether, with LoRA, the alpha can be set too (Fireworks takes only the rank).
    pub lora_alpha: bool,
    /// What the training data must respect.
    pub data: DataRules,
    /// When a trained model can be called.
    pub serving: Serving,
    /// Whether a new job can start from the model an earlier job trained (incremental
    /// training); when not, every job trains from the base model.
    pub continues_from_fine_tuned: bool,
    /// What a deployment costs, for providers that serve trained models only through one.
    pub deployment_cost: Option<&'static str>,
    /// Whether an admin may choose a deployment's hardware, replicas and idle window (the
    /// provider runs it on hardware of its own).
    pub deployment_options: bool,
    /// The last day the provider takes new fine-tuning jobs (`YYYY-MM-DD`), when announced.
    pub last_job_day: Option<&'static str>,
    /// Whether the provider's model list announces shutdown days (OpenAI's `shutdown_date`).
    pub announces_shutdowns: bool,
    /// Whether the provider's API paths name an account, which the credentials then carry
    /// (`accountId`; Fireworks).
    pub needs_account_id: bool,
}

const MB: u64 = 1024 * 1024;

/// OpenAI's rules; also what tuner assumes of a provider it does not know.
const OPENAI_DATA: DataRules = DataRules {
    min_examples: 10,
    strict_alternation: false,
    max_file_bytes: 512 * MB,
};

const PROFILES: &[Profile] = &[
    Profile {
        id: "openai",
        default_base_url: Some("https://api.openai.com/v1"),
        learning_rate: LearningRate::Multiplier,
        lora: false,
        lora_alpha: false,
        data: OPENAI_DATA,
        serving: Serving::Immediate,
        continues_from_fine_tuned: true,
        deployment_cost: None,
        deployment_options: false,
        // OpenAI's deprecations page: no new fine-tuning jobs from anyone after 2027-01-06.
        last_job_day: Some("2027-01-06"),
        announces_shutdowns: true,
        needs_account_id: false,
    },
    Profile {
        id: "azure-openai",
        default_base_url: None,
        learning_rate: LearningRate::Multiplier,
        lora: false,
        lora_alpha: false,
        data: OPENAI_DATA,
        serving: Serving::Immediate,
        continues_from_fine_tuned: true,
        deployment_cost: None,
        deployment_options: false,
        last_job_day: None,
        announces_shutdowns: false,
        needs_account_id: false,
    },
    Profile {
        id: "together",
        default_base_url: Some("https://api.together.xyz/v1"),
        learning_rate: LearningRate::Absolute,
        lora: true,
        lora_alpha: true,
        data: DataRules {
            min_examples: 1,
            strict_alternation: true,
            // The official SDK refuses files over 4.9 GB before uploading (assumed still so).
            max_file_bytes: 4_900 * MB,
        },
        serving: Serving::AfterDeployment,
        // With `from_checkpoint` = the earlier job's output model, on the same base model.
        continues_from_fine_tuned: true,
        deployment_cost: Some(
            "a dedicated endpoint billed per minute while it runs, idle or not (one H100 GPU \
             unless another `hardware` is chosen); Together stops it after 60 minutes without \
             requests (or the `idleMinutes` chosen)",
        ),
        deployment_options: true,
        last_job_day: None,
        announces_shutdowns: false,
        needs_account_id: false,
    },
    Profile {
        id: "nebius",
        default_base_url: Some("https://api.tokenfactory.nebius.com/v1"),
        learning_rate: LearningRate::Absolute,
        lora: true,
        lora_alpha: true,
        data: DataRules {
            min_examples: 10,
            strict_alternation: false,
            // Not documented; assumed like OpenAI's files API, which Nebius copies.
            max_file_bytes: 512 * MB,
        },
        serving: Serving::AfterDeployment,
        // Like OpenAI, by naming the fine-tuned model as the job's model.
        continues_from_fine_tuned: true,
        deployment_cost: Some(
            "a registered LoRA model billed per token used, like the base model; nothing while \
             unused",
        ),
        deployment_options: false,
        last_job_day: None,
        announces_shutdowns: false,
        needs_account_id: false,
    },
    Profile {
        id: "fireworks",
        // The control plane; requests go to `{base}/accounts/{account id}/...`, chats to the
        // inference base derived from it (see `super::chat_base_url`).
        default_base_url: Some("https://api.fireworks.ai/v1"),
        learning_rate: LearningRate::Absolute,
        lora: true,
        lora_alpha: false,
        data: DataRules {
            min_examples: 3,
            strict_alternation: false,
            // A dataset's file goes up in one request; larger files need Fireworks' signed
            // upload URLs, which tuner does not use (limit assumed from firectl).
            max_file_bytes: 150 * MB,
        },
        serving: Serving::AfterDeployment,
        // With `warmStartFrom` = the trained model (a LoRA addon) in place of the base model.
        continues_from_fine_tuned: true,
        deployment_cost: Some(
            "an on-demand GPU deployment billed per second while replicas are up; it scales to \
             zero after an hour without requests, or the `idleMinutes` chosen (then nothing is \
             billed, and the next request waits for a replica to start), and Fireworks removes \
             deployments left idle",
        ),
        deployment_options: true,
        needs_account_id: true,
        last_job_day: None,
        announces_shutdowns: false,
    },
];

/// The facts about a provider id, or `None` for an id tuner does not know.
pub fn profile(provider: &str) -> Option<&'static Profile> {
    PROFILES.iter().find(|profile| profile.id == provider)
}

/// The facts about a provider id; OpenAI's for an id tuner does not know (such a job fails
/// when tuner connects to the provider, with a message naming the known ids).
pub fn profile_or_default(provider: &str) -> &'static Profile {
    profile(provider).unwrap_or(&PROFILES[0])
}

/// Every provider id tuner knows, in a stable order.
pub const PROVIDERS: &[&str] = &["openai", "azure-openai", "together", "nebius", "fireworks"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_provider_id_has_a_profile_and_the_other_way_round() {
        let ids: Vec<&str> = PROFILES.iter().map(|p| p.id).collect();
        assert_eq!(ids, PROVIDERS);
        assert_eq!(profile("nope"), None);
        assert_eq!(profile_or_default("nope").id, "openai");
    }

    #[test]
    fn new_providers_take_absolute_rates_and_need_a_deployment() {
        for id in ["together", "nebius"] {
            let p = profile_or_default(id);
            assert_eq!(p.learning_rate, LearningRate::Absolute, "{id}");
            assert_eq!(p.serving, Serving::AfterDeployment, "{id}");
            assert!(p.lora, "{id}");
        }
        assert_eq!(profile_or_default("together").data.min_examples, 1);
        assert!(profile_or_default("together").data.strict_alternation);
        assert_eq!(profile_or_default("nebius").data.min_examples, 10);
    }

    #[test]
    fn fireworks_takes_absolute_rates_lora_and_three_examples_and_needs_a_deployment() {
        let p = profile_or_default("fireworks");
        assert_eq!(p.id, "fireworks");
        assert_eq!(p.learning_rate, LearningRate::Absolute);
        assert_eq!(p.serving, Serving::AfterDeployment);
        assert!(p.lora);
        assert_eq!(p.data.min_examples, 3);
        assert!(p.deployment_cost.is_some_and(|c| c.contains("per second")));
    }
}
