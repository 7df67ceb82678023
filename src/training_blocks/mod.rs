//! Training blocks: example conversations of 1 to 3 exchanges, with status, tag and notes.

pub mod exchange_reads;
pub mod graphql;
pub mod listing;
pub mod loader;
pub mod types;
pub mod validation;

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set,
};

use crate::db;
use crate::entities::exchange;
use crate::entities::training_block::{self, TrainingStatus};
use crate::error::{Error, Result};
use crate::ids::{BlockId, TypedId, WorkspaceId};
use crate::tenancy::{get_in, WorkspaceScoped};
use validation::{check_exchanges, normalize_note, normalize_tag, ExchangeText};

/// Most ids one bulk mutation may name.
pub const MAX_BULK_IDS: usize = 1_000;

/// A new block as the client describes it.
#[derive(Clone, Debug)]
pub struct NewBlock {
    pub status: TrainingStatus,
    pub tag: Option<String>,
    pub additional_rules: Option<String>,
    pub notes: Option<String>,
    pub exchanges: Vec<ExchangeText>,
}

/// Changes to a block: `None` keeps a field; `Some(None)` clears an optional one.
#[derive(Clone, Debug, Default)]
pub struct BlockPatch {
    pub status: Option<TrainingStatus>,
    pub tag: Option<Option<String>>,
    pub additional_rules: Option<Option<String>>,
    pub notes: Option<Option<String>>,
    /// Replaces all exchanges when given.
    pub exchanges: Option<Vec<ExchangeText>>,
}

/// The block with this id in the workspace.
pub async fn get(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
    id: BlockId,
) -> Result<training_block::Model> {
    get_in::<training_block::Entity>(db, workspace_id, id).await
}

/// Creates a block with its exchanges.
pub async fn create(
    db: &DatabaseConnection,
    workspace_id: WorkspaceId,
    new: NewBlock,
) -> Result<training_block::Model> {
    check_exchanges(&new.exchanges, new.status)?;
    let now = Utc::now();
    let block = training_block::ActiveModel {
        id: Set(BlockId::generate()),
        workspace_id: Set(workspace_id),
        status: Set(new.status),
        tag: Set(normalize_tag(new.tag.as_deref())?),
        additional_rules: Set(normalize_note(
            "additionalRules",
            new.additional_rules.as_deref(),
        )?),
        notes: Set(normalize_note("notes", new.notes.as_deref())?),
        trained_by_job_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let txn = db::begin_write(db).await?;
    let block = block.insert(&txn).await?;
    insert_exchanges(&txn, block.id, &new.exchanges).await?;
    txn.commit().await?;
    Ok(block)
}

/// Applies `patch` to a block. The result is checked as a whole: moving a DRAFT to NOT_TRAINED
/// checks its stored exchanges when no new ones are given.
pub async fn update(
    db: &DatabaseConnection,
    workspace_id: WorkspaceId,
    id: BlockId,
    patch: BlockPatch,
) -> Result<training_block::Model> {
    let txn = db::begin_write(db).await?;
    let current = get(&txn, workspace_id, id).await?;
    let status = patch.status.unwrap_or(current.status);
    match &patch.exchanges {
        Some(exchanges) => check_exchanges(exchanges, status)?,
        None if status != current.status => {
            let stored = exchanges_of(&txn, &[id])
                .await?
                .remove(&id)
                .unwrap_or_default();
            check_exchanges(&stored, status)?;
        }
        None => {}
    }
    let mut block: training_block::ActiveModel = current.into();
    block.status = Set(status);
    if let Some(tag) = patch.tag {
        block.tag = Set(normalize_tag(tag.as_deref())?);
    }
    if let Some(rules) = patch.additional_rules {
        block.additional_rules = Set(normalize_note("additionalRules", rules.as_deref())?);
    }
    if let Some(notes) = patch.notes {
        block.notes = Set(normalize_note("notes", notes.as_deref())?);
    }
    block.updated_at = Set(Utc::now());
    let block = block.update(&txn).await?;
    if let Some(exchanges) = patch.exchanges {
        exchange::Entity::delete_many()
            .filter(exchange::Column::BlockId.eq(id))
            .exec(&txn)
            .await?;
        insert_exchanges(&txn, id, &exchanges).await?;
    }
    txn.commit().await?;
    Ok(block)
}

async fn insert_exchanges(
    db: &impl ConnectionTrait,
    block_id: BlockId,
    exchanges: &[ExchangeText],
) -> Result<()> {
    let rows = exchanges
        .iter()
        .zip(0..)
        .map(|(e, position)| exchange::ActiveModel {
            block_id: Set(block_id),
            position: Set(position),
            prompt: Set(e.prompt.clone()),
            response: Set(e.response.clone()),
        });
    exchange::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}

/// The exchanges of the given blocks, in order, keyed by block id; one statement.
pub async fn exchanges_of(
    db: &impl ConnectionTrait,
    block_ids: &[BlockId],
) -> Result<HashMap<BlockId, Vec<ExchangeText>>> {
    let rows = exchange_reads::of_blocks(db.get_database_backend(), block_ids)
        .all(db)
        .await?;
    let mut by_block: HashMap<BlockId, Vec<ExchangeText>> = HashMap::new();
    for (block_id, prompt, response) in rows {
        let text = ExchangeText { prompt, response };
        by_block.entry(block_id).or_default().push(text);
    }
    Ok(by_block)
}

/// Fails with `NOT_FOUND` unless every id is a block of the workspace.
async fn require_all(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
    ids: &[BlockId],
) -> Result<()> {
    crate::validate::max_items("ids", ids, MAX_BULK_IDS)?;
    let found: HashSet<BlockId> = training_block::Entity::in_workspace(workspace_id)
        .select_only()
        .column(training_block::Column::Id)
        .filter(training_block::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut reported = HashSet::new();
    let missing: Vec<String> = ids
        .iter()
        .filter(|id| !found.contains(id) && reported.insert(**id))
        .map(BlockId::to_string)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::not_found("training block", missing.join(", ")))
}

/// Deletes blocks; all or none. Returns how many were deleted.
pub async fn delete_many(
    db: &DatabaseConnection,
    workspace_id: WorkspaceId,
    ids: &[BlockId],
) -> Result<u64> {
    let txn = db::begin_write(db).await?;
    require_all(&txn, workspace_id, ids).await?;
    let deleted = training_block::Entity::delete_many()
        .filter(training_block::Column::WorkspaceId.eq(workspace_id))
        .filter(training_block::Column::Id.is_in(ids.iter().copied()))
        .exec(&txn)
        .await?
        .rows_affected;
    txn.commit().await?;
    Ok(deleted)
}

/// Sets the status of blocks; all or none. Leaving DRAFT requires complete exchanges, and the
/// error names the first block that has none by its position in `ids` (which may repeat).
pub async fn set_status_many(
    db: &DatabaseConnection,
    workspace_id: WorkspaceId,
    ids: &[BlockId],
    status: TrainingStatus,
) -> Result<u64> {
    let txn = db::begin_write(db).await?;
    require_all(&txn, workspace_id, ids).await?;
    if status != TrainingStatus::Draft {
        let stored = exchanges_of(&txn, ids).await?;
        for (index, id) in ids.iter().enumerate() {
            let exchanges = stored.get(id).map(Vec::as_slice).unwrap_or_default();
            check_exchanges(exchanges, status).map_err(|err| {
                Error::bad_input(
                    format!("ids[{index}]"),
                    format!("training block {id}: {}", err.message()),
                )
            })?;
        }
    }
    let updated = bulk_update(
        &txn,
        workspace_id,
        ids,
        training_block::Column::Status,
        Expr::value(status),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Sets (or with `None`, clears) the tag of blocks; all or none.
pub async fn set_tag_many(
    db: &DatabaseConnection,
    workspace_id: WorkspaceId,
    ids: &[BlockId],
    tag: Option<&str>,
) -> Result<u64> {
    let tag = normalize_tag(tag)?;
    let txn = db::begin_write(db).await?;
    require_all(&txn, workspace_id, ids).await?;
    let updated = bulk_update(
        &txn,
        workspace_id,
        ids,
        training_block::Column::Tag,
        Expr::value(tag),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

async fn bulk_update(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
    ids: &[BlockId],
    column: training_block::Column,
    value: Expr,
) -> Result<u64> {
    Ok(training_block::Entity::update_many()
        .col_expr(column, value)
        .col_expr(training_block::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(training_block::Column::WorkspaceId.eq(workspace_id))
        .filter(training_block::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?
        .rows_affected)
}
