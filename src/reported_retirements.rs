//! Shutdown days the providers announce themselves (OpenAI's `GET /v1/models`
//! `shutdown_date`): asked for every workspace with credentials for such a provider, once per
//! [`CHECK_PERIOD`], and kept per workspace. `availableModels` prefers them to the operator's
//! retirement table (see [`crate::retirements`]).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use crate::app_context::AppContext;
use crate::entities::{provider_credential, reported_retirement};
use crate::error::{Error, Result};
use crate::ids::WorkspaceId;
use crate::workspaces::{self, credentials};
use crate::{db, provider};

/// How often the poller asks the providers again.
pub const CHECK_PERIOD: Duration = Duration::from_secs(3600);

/// Rows per insert statement (well under SQLite's limit on bound parameters).
const ROWS_PER_INSERT: usize = 100;

/// Asks the providers at once, then every [`CHECK_PERIOD`], until `stop` is cancelled (a check
/// under way is dropped then: its transaction is rolled back).
pub async fn check_periodically(app: &AppContext, stop: &CancellationToken) {
    let mut checks = tokio::time::interval(CHECK_PERIOD);
    checks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            () = stop.cancelled() => return,
            _ = checks.tick() => {}
        }
        tokio::select! {
            biased;
            () = stop.cancelled() => return,
            checked = refresh_all(app) => {
                if let Err(err) = checked {
                    tracing::warn!(error = %crate::error::report(&err), "cannot list provider credentials");
                }
            }
        }
    }
}

/// Asks every workspace's providers that announce shutdown days (background work across
/// workspaces, like the poller's); a failure is logged and left for the next round. Returns how
/// many were asked.
pub async fn refresh_all(app: &AppContext) -> Result<usize> {
    let rows = provider_credential::Entity::find().all(&app.db).await?;
    let announcing = rows
        .into_iter()
        .filter(|row| provider::profile(&row.provider).is_some_and(|p| p.announces_shutdowns));
    let mut asked = 0;
    for row in announcing {
        asked += 1;
        if let Err(error) = refresh(app, row.workspace_id, &row.provider).await {
            tracing::warn!(provider = %row.provider, error = %crate::error::report(&error), "cannot read announced shutdown days");
        }
    }
    Ok(asked)
}

/// Asks `provider_id` with the workspace's credentials and keeps what it announces; a change
/// reaches the model lists of every replica.
pub async fn refresh(app: &AppContext, workspace_id: WorkspaceId, provider_id: &str) -> Result<()> {
    let client = credentials::connect(app, workspace_id, provider_id).await?;
    let announced = client
        .announced_shutdowns()
        .await
        .map_err(|error| Error::Provider(error.message()))?;
    let announced: BTreeMap<String, String> = announced
        .into_iter()
        .map(|(model, day)| (model, day.format("%Y-%m-%d").to_string()))
        .collect();
    let txn = db::begin_write(&app.db).await?;
    workspaces::lock(&txn, workspace_id).await?;
    let of_provider = || {
        Condition::all()
            .add(reported_retirement::Column::WorkspaceId.eq(workspace_id))
            .add(reported_retirement::Column::Provider.eq(provider_id))
    };
    let stored: BTreeMap<String, String> = reported_retirement::Entity::find()
        .filter(of_provider())
        .all(&txn)
        .await?
        .into_iter()
        .map(|row| (row.model, row.retires_on))
        .collect();
    if stored == announced {
        return Ok(());
    }
    reported_retirement::Entity::delete_many()
        .filter(of_provider())
        .exec(&txn)
        .await?;
    let now = Utc::now();
    let rows: Vec<reported_retirement::ActiveModel> = announced
        .into_iter()
        .map(|(model, retires_on)| reported_retirement::ActiveModel {
            workspace_id: Set(workspace_id),
            provider: Set(provider_id.to_owned()),
            model: Set(model),
            retires_on: Set(retires_on),
            checked_at: Set(now),
        })
        .collect();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        reported_retirement::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    app.commit_catalog_change(txn, workspace_id).await
}

/// The shutdown days announced for the workspace's models, by provider and model.
#[derive(Debug, Default)]
pub struct Announced(HashMap<(String, String), NaiveDate>);

impl Announced {
    /// What the workspace's providers announced; one statement.
    pub async fn load(db: &impl ConnectionTrait, workspace_id: WorkspaceId) -> Result<Self> {
        let rows = reported_retirement::Entity::find()
            .filter(reported_retirement::Column::WorkspaceId.eq(workspace_id))
            .all(db)
            .await?;
        Ok(Self(
            rows.into_iter()
                .filter_map(|row| {
                    let day = NaiveDate::parse_from_str(&row.retires_on, "%Y-%m-%d").ok()?;
                    Some(((row.provider, row.model), day))
                })
                .collect(),
        ))
    }

    /// The day `provider` announced for the first of `models` it named.
    pub fn day(&self, provider: &str, models: &[&str]) -> Option<NaiveDate> {
        models
            .iter()
            .find_map(|model| self.0.get(&(provider.to_owned(), (*model).to_owned())))
            .copied()
    }
}
