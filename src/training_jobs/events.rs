//! A job's event log, metrics and checkpoints: fetching what the provider has that tuner has not
//! stored yet, storing each event and checkpoint exactly once, and reading them back.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::entities::{training_job_checkpoint as checkpoint, training_job_event as event};
use crate::error::{Error, Result};
use crate::ids;
use crate::ids::JobId;
use crate::pagination::{self, Page, PageRequest};
use crate::provider::{
    FineTuningProvider, ProviderCheckpoint, ProviderEvent, ProviderJobStatus, ProviderMetrics,
};

/// Events asked for per provider page.
pub const EVENT_PAGE_SIZE: u32 = 100;
/// Most event pages one refresh reads (older events beyond them are not fetched).
pub const MAX_EVENT_PAGES: usize = 20;
/// The `kind` of events that carry metrics.
pub const METRICS: &str = "metrics";
/// The `kind` of plain message events.
pub const MESSAGE: &str = "message";

/// What the provider has that tuner has not stored yet, each list oldest first.
#[derive(Debug, Default)]
pub struct Fetched {
    pub events: Vec<ProviderEvent>,
    pub checkpoints: Vec<ProviderCheckpoint>,
}

fn provider_error(err: crate::provider::ProviderError) -> Error {
    Error::Provider(err.message())
}

/// Reads the provider's events newest first until one already stored (or the end, or
/// [`MAX_EVENT_PAGES`]), and its checkpoints once training has begun.
pub async fn fetch_new(
    db: &impl ConnectionTrait,
    provider: &dyn FineTuningProvider,
    job_id: JobId,
    provider_job_id: &str,
    status: &ProviderJobStatus,
) -> Result<Fetched> {
    let mut events = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..MAX_EVENT_PAGES {
        let page = provider
            .list_events(provider_job_id, after.as_deref(), EVENT_PAGE_SIZE)
            .await
            .map_err(provider_error)?;
        let ids: Vec<String> = page.events.iter().map(|e| e.id.clone()).collect();
        let known = known_event_ids(db, job_id, ids).await?;
        after = page.events.last().map(|e| e.id.clone());
        let reached_stored = !known.is_empty();
        events.extend(page.events.into_iter().filter(|e| !known.contains(&e.id)));
        if reached_stored || !page.has_more || after.is_none() {
            break;
        }
    }
    events.reverse();
    let started = !matches!(
        status,
        ProviderJobStatus::ValidatingFiles | ProviderJobStatus::Queued
    );
    if !started {
        return Ok(Fetched {
            events,
            checkpoints: Vec::new(),
        });
    }
    let checkpoints = new_checkpoints(db, provider, job_id, provider_job_id).await?;
    events.extend(new_metrics(db, provider, job_id, provider_job_id).await?);
    Ok(Fetched {
        events,
        checkpoints,
    })
}

async fn known_event_ids(
    db: &impl ConnectionTrait,
    job_id: JobId,
    ids: Vec<String>,
) -> Result<HashSet<String>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let known: Vec<String> = event::Entity::find()
        .select_only()
        .column(event::Column::ProviderEventId)
        .filter(event::Column::JobId.eq(job_id))
        .filter(event::Column::ProviderEventId.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(known.into_iter().collect())
}

/// Loss figures the provider reports outside its event log (see
/// [`FineTuningProvider::list_metrics`]) that tuner has not stored yet, oldest first.
async fn new_metrics(
    db: &impl ConnectionTrait,
    provider: &dyn FineTuningProvider,
    job_id: JobId,
    provider_job_id: &str,
) -> Result<Vec<ProviderEvent>> {
    let mut points = provider
        .list_metrics(provider_job_id)
        .await
        .map_err(provider_error)?;
    let ids = points.iter().map(|e| e.id.clone()).collect();
    let known = known_event_ids(db, job_id, ids).await?;
    points.retain(|e| !known.contains(&e.id));
    Ok(points)
}

async fn new_checkpoints(
    db: &impl ConnectionTrait,
    provider: &dyn FineTuningProvider,
    job_id: JobId,
    provider_job_id: &str,
) -> Result<Vec<ProviderCheckpoint>> {
    let mut all = provider
        .list_checkpoints(provider_job_id)
        .await
        .map_err(provider_error)?;
    let known: HashSet<String> = checkpoint::Entity::find()
        .select_only()
        .column(checkpoint::Column::ProviderCheckpointId)
        .filter(checkpoint::Column::JobId.eq(job_id))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    all.retain(|c| !known.contains(&c.id));
    all.sort_by_key(|c| (c.step_number, c.created_at));
    Ok(all)
}

fn timestamp(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_else(Utc::now)
}

fn int(value: Option<u64>) -> Option<i64> {
    value.and_then(|v| i64::try_from(v).ok())
}

fn event_row(job_id: JobId, e: &ProviderEvent) -> event::ActiveModel {
    let metrics = e.metrics.clone().filter(|_| e.kind == METRICS);
    let kind = if metrics.is_some() { METRICS } else { MESSAGE };
    let m = metrics.unwrap_or_default();
    event::ActiveModel {
        id: Set(ids::new_id()),
        job_id: Set(job_id),
        provider_event_id: Set(e.id.clone()),
        created_at: Set(timestamp(e.created_at)),
        level: Set(e.level.clone()),
        message: Set(e.message.clone()),
        kind: Set(kind.to_owned()),
        step: Set(int(m.step)),
        total_steps: Set(int(m.total_steps)),
        train_loss: Set(m.train_loss),
        train_mean_token_accuracy: Set(m.train_mean_token_accuracy),
        valid_loss: Set(m.valid_loss),
        valid_mean_token_accuracy: Set(m.valid_mean_token_accuracy),
    }
}

fn checkpoint_row(job_id: JobId, c: &ProviderCheckpoint) -> checkpoint::ActiveModel {
    let ProviderMetrics {
        train_loss,
        train_mean_token_accuracy,
        valid_loss,
        valid_mean_token_accuracy,
        ..
    } = c.metrics.clone();
    checkpoint::ActiveModel {
        id: Set(ids::new_id()),
        job_id: Set(job_id),
        provider_checkpoint_id: Set(c.id.clone()),
        fine_tuned_model_checkpoint: Set(c.fine_tuned_model_checkpoint.clone()),
        step_number: Set(int(Some(c.step_number)).unwrap_or(i64::MAX)),
        train_loss: Set(train_loss),
        train_mean_token_accuracy: Set(train_mean_token_accuracy),
        valid_loss: Set(valid_loss),
        valid_mean_token_accuracy: Set(valid_mean_token_accuracy),
        created_at: Set(timestamp(c.created_at)),
    }
}

/// Stores fetched events and checkpoints in their order; any already stored (a concurrent
/// refresh) are skipped by the unique indexes.
pub async fn store(db: &impl ConnectionTrait, job_id: JobId, fetched: &Fetched) -> Result<()> {
    // Ids are taken in list order, so the UUIDv7 order is the provider's order.
    let events: Vec<_> = fetched
        .events
        .iter()
        .map(|e| event_row(job_id, e))
        .collect();
    for chunk in events.chunks(500) {
        event::Entity::insert_many(chunk.to_vec())
            .on_conflict_do_nothing_on([event::Column::JobId, event::Column::ProviderEventId])
            .exec_without_returning(db)
            .await?;
    }
    let checkpoints: Vec<_> = fetched
        .checkpoints
        .iter()
        .map(|c| checkpoint_row(job_id, c))
        .collect();
    if !checkpoints.is_empty() {
        checkpoint::Entity::insert_many(checkpoints)
            .on_conflict_do_nothing_on([
                checkpoint::Column::JobId,
                checkpoint::Column::ProviderCheckpointId,
            ])
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// One page of the job's events, oldest first.
pub async fn page(
    db: &impl ConnectionTrait,
    job_id: JobId,
    request: &PageRequest,
) -> Result<Page<event::Model>> {
    let select = event::Entity::find().filter(event::Column::JobId.eq(job_id));
    pagination::fetch(db, select, event::Column::Id, request).await
}

/// How many events the job has stored.
pub async fn count(db: &impl ConnectionTrait, job_id: JobId) -> Result<u64> {
    Ok(event::Entity::find()
        .filter(event::Column::JobId.eq(job_id))
        .count(db)
        .await?)
}

/// The job's metrics events that name their step, by step: the loss curve.
pub async fn metrics(db: &impl ConnectionTrait, job_id: JobId) -> Result<Vec<event::Model>> {
    Ok(event::Entity::find()
        .filter(event::Column::JobId.eq(job_id))
        .filter(event::Column::Kind.eq(METRICS))
        .filter(event::Column::Step.is_not_null())
        .order_by_asc(event::Column::Step)
        .order_by_asc(event::Column::Id)
        .all(db)
        .await?)
}

/// The job's checkpoints, by step.
pub async fn checkpoints(
    db: &impl ConnectionTrait,
    job_id: JobId,
) -> Result<Vec<checkpoint::Model>> {
    Ok(checkpoint::Entity::find()
        .filter(checkpoint::Column::JobId.eq(job_id))
        .order_by_asc(checkpoint::Column::StepNumber)
        .order_by_asc(checkpoint::Column::Id)
        .all(db)
        .await?)
}
