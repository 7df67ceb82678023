//! What one tuner process shares: the database, the secret box, the change bus, the HTTP client
//! and provider clients, and the training settings. Built once (by `tuner serve`, or a test)
//! and handed to the schema, the HTTP endpoints and the background tasks alike; the other
//! commands only read and write the database.

use std::sync::Arc;

use sea_orm::{DatabaseConnection, DatabaseTransaction};

use crate::auth::Auth;
use crate::change_relay;
use crate::changes::Change;
use crate::changes::ChangeBus;
use crate::entities::training_job;
use crate::error::Result;
use crate::ids::{TokenId, WorkspaceId};
use crate::metrics::Metrics;
use crate::provider;
use crate::provider_clients::ProviderClients;
use crate::secrets::SecretBox;
use crate::token_cache::TokenCache;
use crate::training_settings::TrainingSettings;

/// The process's shared state. Cloning is cheap: every part is a handle.
#[derive(Clone)]
pub struct AppContext {
    /// The database pool.
    pub db: DatabaseConnection,
    /// The key that encrypts secrets at rest (provider keys, webhook secrets).
    pub secrets: SecretBox,
    /// Where changes are announced to this process's subscribers and caches (and, through the
    /// change relay, to other replicas).
    pub changes: ChangeBus,
    /// Training, billing, provider and tracking settings (shared: a context is cloned for every
    /// request).
    pub training: Arc<TrainingSettings>,
    /// The one HTTP client (and connection pool) of every provider call.
    pub http: reqwest::Client,
    /// Provider clients built from the workspaces' credentials, reused until they change.
    pub provider_clients: ProviderClients,
    /// Token checks of recent callers, dropped when a token is revoked.
    pub tokens: Arc<TokenCache>,
    /// The process's Prometheus metrics.
    pub metrics: Metrics,
}

impl AppContext {
    /// A context on `db` with these secrets and training settings, a new change bus and a new
    /// HTTP client; fails only when the HTTP client cannot be set up.
    pub fn new(
        db: DatabaseConnection,
        secrets: SecretBox,
        training: TrainingSettings,
    ) -> anyhow::Result<Self> {
        let http = provider::shared_client(&training.provider)
            .map_err(|err| anyhow::anyhow!("cannot set up the HTTP client: {err}"))?;
        let changes = ChangeBus::default();
        let metrics = Metrics::new();
        Ok(Self {
            db,
            secrets,
            tokens: Arc::new(TokenCache::new(&changes, metrics.cache("tokens"))),
            metrics,
            changes,
            training: Arc::new(training),
            http,
            provider_clients: ProviderClients::default(),
        })
    }

    /// The same context with other training settings (another replica's, in tests).
    pub fn with_training(&self, training: TrainingSettings) -> Self {
        Self {
            training: Arc::new(training),
            ..self.clone()
        }
    }

    /// The caller a request's token (if any) stands for; recent callers are known without asking
    /// the database.
    pub async fn authenticate(&self, token: Option<&str>) -> Result<Auth> {
        self.tokens.authenticate(&self.db, token).await
    }

    /// Commits `txn`, which revoked `token_id`, announcing it in the transaction (for other
    /// replicas) and then to this process: no cached check of the token is trusted after.
    pub async fn commit_token_revoked(
        &self,
        txn: DatabaseTransaction,
        token_id: TokenId,
    ) -> Result<()> {
        change_relay::announce_token_revoked(&txn, token_id).await?;
        txn.commit().await?;
        self.changes.publish(Change::TokenRevoked(token_id));
        Ok(())
    }

    /// Commits `txn`, which changed the workspace's rules or models, announcing the change in
    /// it (for other replicas) and then to this process. Every service that changes the
    /// catalog ends this way, whoever calls it.
    pub async fn commit_catalog_change(
        &self,
        txn: DatabaseTransaction,
        workspace_id: WorkspaceId,
    ) -> Result<()> {
        change_relay::announce_catalog(&txn, workspace_id).await?;
        txn.commit().await?;
        self.changes.catalog_changed(workspace_id);
        Ok(())
    }

    /// Commits `txn`, which changed `job`, announcing the change in it (for other replicas) and
    /// then to this process.
    pub async fn commit_job_change(
        &self,
        txn: DatabaseTransaction,
        job: &training_job::Model,
    ) -> Result<()> {
        change_relay::announce(&txn, job).await?;
        txn.commit().await?;
        self.changes.job_changed(job);
        Ok(())
    }

    /// Announces a change to `job` already committed without a transaction of its own.
    pub async fn announce_job_change(&self, job: &training_job::Model) -> Result<()> {
        change_relay::announce(&self.db, job).await?;
        self.changes.job_changed(job);
        Ok(())
    }
}
