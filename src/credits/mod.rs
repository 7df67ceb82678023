//! Workspace credits: the balance and the ledger that explains it.

pub mod graphql;

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, Set,
};

use crate::entities::credit_ledger::{self, LedgerReason};
use crate::entities::workspace;
use crate::error::{Error, Result};
use crate::ids::{JobId, WorkspaceId};
use crate::{db, ids, workspaces};

/// Changes a workspace's balance by `amount` and records why, inside `txn`. The caller holds
/// the workspace lock when it checked the balance first.
pub async fn post(
    txn: &DatabaseTransaction,
    workspace_id: WorkspaceId,
    amount: i64,
    reason: LedgerReason,
    job_id: Option<JobId>,
) -> Result<credit_ledger::Model> {
    workspace::Entity::update_many()
        .col_expr(
            workspace::Column::Credits,
            Expr::col(workspace::Column::Credits).add(amount),
        )
        .filter(workspace::Column::Id.eq(workspace_id))
        .exec(txn)
        .await?;
    let balance = workspaces::get(txn, workspace_id).await?.credits;
    let entry = credit_ledger::ActiveModel {
        id: Set(ids::new_id()),
        workspace_id: Set(workspace_id),
        job_id: Set(job_id),
        amount: Set(amount),
        reason: Set(reason),
        balance_after: Set(balance),
        created_at: Set(Utc::now()),
    };
    Ok(entry.insert(txn).await?)
}

/// Adds credits to a workspace (the operator's `tuner credits grant`).
pub async fn grant(
    db: &DatabaseConnection,
    workspace_id: WorkspaceId,
    amount: i64,
) -> Result<credit_ledger::Model> {
    if amount == 0 {
        return Err(Error::bad_input("amount", "amount must not be zero"));
    }
    let txn = db::begin_write(db).await?;
    workspaces::lock(&txn, workspace_id).await?;
    let entry = post(&txn, workspace_id, amount, LedgerReason::Grant, None).await?;
    txn.commit().await?;
    Ok(entry)
}

/// The workspace's ledger entries, newest first.
pub async fn ledger(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
    limit: u64,
) -> Result<Vec<credit_ledger::Model>> {
    use sea_orm::{QueryOrder, QuerySelect};
    Ok(credit_ledger::Entity::find()
        .filter(credit_ledger::Column::WorkspaceId.eq(workspace_id))
        .order_by_desc(credit_ledger::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Charges one chat request's `amount` (positive). With `enforce`, a balance below it is
/// `INSUFFICIENT_CREDITS` and nothing is charged.
pub async fn charge_chat_request(
    db: &DatabaseConnection,
    workspace_id: WorkspaceId,
    amount: i64,
    enforce: bool,
) -> Result<()> {
    let txn = db::begin_write(db).await?;
    workspaces::lock(&txn, workspace_id).await?;
    let balance = workspaces::get(&txn, workspace_id).await?.credits;
    if enforce && balance < amount {
        return Err(Error::InsufficientCredits(format!(
            "a chat request costs {amount} credits and the workspace has {balance}; ask the operator for credits (`tuner credits grant`)"
        )));
    }
    post(&txn, workspace_id, -amount, LedgerReason::ChatRequest, None).await?;
    txn.commit().await?;
    Ok(())
}

/// Gives back a chat request's `amount` when the provider did not answer it.
pub async fn refund_chat_request(
    db: &DatabaseConnection,
    workspace_id: WorkspaceId,
    amount: i64,
) -> Result<()> {
    let txn = db::begin_write(db).await?;
    workspaces::lock(&txn, workspace_id).await?;
    post(&txn, workspace_id, amount, LedgerReason::Refund, None).await?;
    txn.commit().await?;
    Ok(())
}
