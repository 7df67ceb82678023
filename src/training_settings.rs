//! Runtime settings of training: billing, prices, provider client behaviour, tracking.

use std::time::Duration;

use crate::config::{BillingMode, TrainingArgs, DEFAULT_SUBMISSION_LEASE_SECS};
use crate::datasets::prices::{parse_price_overrides, PriceTable};
use crate::provider::ProviderSettings;
use crate::retirements::{Retirements, DEFAULT_RETIREMENTS};

/// How training jobs are charged, priced, submitted and followed.
#[derive(Clone, Debug)]
pub struct TrainingSettings {
    /// Whether a short balance refuses a job.
    pub billing_mode: BillingMode,
    /// Platform fee per job, in credits.
    pub job_fee_credits: i64,
    /// Credits charged per block trained.
    pub block_credits: i64,
    /// Training prices for estimates.
    pub prices: PriceTable,
    /// Timeouts and retries of provider calls.
    pub provider: ProviderSettings,
    /// Time between two looks at the provider for an active job.
    pub poll_interval: Duration,
    /// How long the process submitting a job holds it without renewing its lease (it renews
    /// every third of it while the upload and job creation last). A job still SUBMITTING once
    /// its lease ran out is repaired by any replica (see [`crate::training_jobs::reconcile`]).
    pub submission_lease: Duration,
    /// When base models retire.
    pub retirements: Retirements,
    /// This replica's name in job leases (unique per process).
    pub replica_id: String,
    /// How long a replica's claim on a job lasts without renewal.
    pub lease_duration: Duration,
    /// Largest training file a provider accepts (OpenAI: 512 MB).
    pub max_file_bytes: u64,
}

impl Default for TrainingSettings {
    fn default() -> Self {
        Self {
            billing_mode: BillingMode::Enforce,
            job_fee_credits: 100,
            block_credits: 1,
            prices: PriceTable::default(),
            provider: ProviderSettings::default(),
            poll_interval: Duration::from_secs(30),
            submission_lease: Duration::from_secs(DEFAULT_SUBMISSION_LEASE_SECS),
            retirements: Retirements::parse(DEFAULT_RETIREMENTS).unwrap_or_default(),
            max_file_bytes: 512 * 1024 * 1024,
            replica_id: uuid::Uuid::new_v4().to_string(),
            lease_duration: Duration::from_secs(120),
        }
    }
}

impl TrainingSettings {
    /// Settings from the command line; fails on a malformed price list.
    pub fn from_args(args: &TrainingArgs) -> anyhow::Result<Self> {
        let overrides = parse_price_overrides(&args.training_prices)
            .map_err(|err| anyhow::anyhow!("--training-prices: {err}"))?;
        let timeout = Duration::from_secs(args.provider_timeout.max(1));
        Ok(Self {
            billing_mode: args.billing_mode,
            job_fee_credits: args.job_fee_credits,
            prices: PriceTable::default().with_overrides(overrides),
            provider: ProviderSettings {
                request_timeout: timeout,
                upload_timeout: timeout * 20,
                max_retries: args.provider_retries,
                ..ProviderSettings::default()
            },
            poll_interval: Duration::from_secs(args.poll_interval.max(1)),
            // A replica renews its leases every round; three missed rounds hand its jobs over.
            lease_duration: Duration::from_secs(args.poll_interval.max(1) * 3)
                .max(Duration::from_secs(30)),
            submission_lease: Duration::from_secs(args.submission_lease.max(1)),
            retirements: Retirements::parse(&args.model_retirements)
                .map_err(|err| anyhow::anyhow!("--model-retirements: {err}"))?,
            ..Self::default()
        })
    }

    /// What a job of `blocks` blocks costs, in credits.
    pub fn charge(&self, blocks: u64) -> i64 {
        let blocks = i64::try_from(blocks).unwrap_or(i64::MAX);
        self.job_fee_credits
            .saturating_add(blocks.saturating_mul(self.block_credits))
    }
}
