//! Chat usage: counted in memory as answers finish and written in batches (one upsert per
//! model, token and day) every second and when the server stops, so a chat request costs no
//! write of its own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use tokio_util::sync::CancellationToken;

use crate::entities::chat_usage;
use crate::error::Result;
use crate::ids::{ModelId, TokenId, WorkspaceId};

/// How often counted usage is written.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// What one request used, from the provider's `usage`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tokens {
    pub prompt: i64,
    pub completion: i64,
}

/// Who used a model, on which day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    model_id: ModelId,
    token_id: TokenId,
    day: String,
}

#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    workspace_id: Option<WorkspaceId>,
    requests: i64,
    prompt: i64,
    completion: i64,
}

/// Usage counted since the last write. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct UsageRecorder {
    pending: Arc<Mutex<HashMap<Key, Counts>>>,
}

impl UsageRecorder {
    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Counts>> {
        // The counts stay usable whatever panicked while holding the lock.
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts one request of `token_id` to `model_id`, today (UTC).
    pub fn record(
        &self,
        workspace_id: WorkspaceId,
        model_id: ModelId,
        token_id: TokenId,
        tokens: Tokens,
    ) {
        let key = Key {
            model_id,
            token_id,
            day: Utc::now().date_naive().format("%Y-%m-%d").to_string(),
        };
        let mut pending = self.lock();
        let counts = pending.entry(key).or_default();
        counts.workspace_id = Some(workspace_id);
        counts.requests += 1;
        counts.prompt += tokens.prompt;
        counts.completion += tokens.completion;
    }

    /// Writes what was counted; what cannot be written is counted again for the next try.
    pub async fn flush(&self, db: &DatabaseConnection) -> Result<()> {
        let batch: Vec<(Key, Counts)> = self.lock().drain().collect();
        for (index, (key, counts)) in batch.iter().enumerate() {
            if let Err(error) = upsert(db, key, counts).await {
                let mut pending = self.lock();
                for (key, counts) in &batch[index..] {
                    let kept = pending.entry(key.clone()).or_default();
                    kept.workspace_id = counts.workspace_id;
                    kept.requests += counts.requests;
                    kept.prompt += counts.prompt;
                    kept.completion += counts.completion;
                }
                return Err(error);
            }
        }
        Ok(())
    }

    /// Writes counted usage every second until `stop`, then once more.
    pub async fn run(self, db: DatabaseConnection, stop: CancellationToken) {
        loop {
            let stopping = tokio::select! {
                () = stop.cancelled() => true,
                () = tokio::time::sleep(FLUSH_EVERY) => false,
            };
            if let Err(error) = self.flush(&db).await {
                error.log_if_internal("writing chat usage");
            }
            if stopping {
                return;
            }
        }
    }
}

async fn upsert(db: &DatabaseConnection, key: &Key, counts: &Counts) -> Result<()> {
    let Some(workspace_id) = counts.workspace_id else {
        return Ok(());
    };
    let row = chat_usage::ActiveModel {
        model_id: Set(key.model_id),
        token_id: Set(key.token_id),
        day: Set(key.day.clone()),
        workspace_id: Set(workspace_id),
        requests: Set(counts.requests),
        prompt_tokens: Set(counts.prompt),
        completion_tokens: Set(counts.completion),
    };
    let add = |column: chat_usage::Column| {
        Expr::col((chat_usage::Entity, column)).add(Expr::col((Alias::new("excluded"), column)))
    };
    chat_usage::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                chat_usage::Column::ModelId,
                chat_usage::Column::TokenId,
                chat_usage::Column::Day,
            ])
            .value(
                chat_usage::Column::Requests,
                add(chat_usage::Column::Requests),
            )
            .value(
                chat_usage::Column::PromptTokens,
                add(chat_usage::Column::PromptTokens),
            )
            .value(
                chat_usage::Column::CompletionTokens,
                add(chat_usage::Column::CompletionTokens),
            )
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The model's usage rows from `from` to `to` (UTC days, both included), by day then token.
pub async fn of_model(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
    model_id: ModelId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<chat_usage::Model>> {
    let day = |date: NaiveDate| date.format("%Y-%m-%d").to_string();
    Ok(chat_usage::Entity::find()
        .filter(chat_usage::Column::WorkspaceId.eq(workspace_id))
        .filter(chat_usage::Column::ModelId.eq(model_id))
        .filter(chat_usage::Column::Day.between(day(from), day(to)))
        .order_by_asc(chat_usage::Column::Day)
        .order_by_asc(chat_usage::Column::TokenId)
        .all(db)
        .await?)
}
