//! GraphQL API of the credit ledger.

use async_graphql::{Context, Enum, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use crate::auth::Role;
use crate::context::ContextExt;
use crate::entities::credit_ledger::{self, LedgerReason};

/// Why a balance changed.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "LedgerReason", remote = "LedgerReason")]
pub enum LedgerReasonGql {
    /// Credits added by an operator.
    Grant,
    /// The platform fee of a training job.
    JobFee,
    /// One credit per block a training job sent.
    BlockCredits,
    /// Credits given back: the block credits of a job that failed or was cancelled, or a
    /// chat request the provider did not answer.
    Refund,
    /// One request through the chat endpoint (`--chat-credits-per-request`).
    ChatRequest,
}

/// One change of the workspace's credit balance.
#[derive(SimpleObject)]
pub struct LedgerEntry {
    /// The entry's id.
    id: ID,
    /// Credits added (positive) or taken (negative).
    amount: i64,
    /// Why.
    reason: LedgerReasonGql,
    /// The training job it concerns, if any.
    job_id: Option<ID>,
    /// The balance right after this entry.
    balance_after: i64,
    /// When.
    created_at: DateTime<Utc>,
}

impl From<credit_ledger::Model> for LedgerEntry {
    fn from(entry: credit_ledger::Model) -> Self {
        Self {
            id: ID(entry.id.to_string()),
            amount: entry.amount,
            reason: entry.reason.into(),
            job_id: entry.job_id.map(|id| ID(id.to_string())),
            balance_after: entry.balance_after,
            created_at: entry.created_at,
        }
    }
}

/// Queries on credits. EDITOR and up.
#[derive(Default)]
pub struct CreditQuery;

#[Object]
impl CreditQuery {
    /// The workspace's credit ledger, newest first. The balance is `viewer.workspace.credits`.
    async fn credit_ledger(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many entries (1 to 500).", default = 100)] first: i32,
    ) -> async_graphql::Result<Vec<LedgerEntry>> {
        let principal = ctx.principal(Role::Editor)?;
        let limit = u64::try_from(first.clamp(1, 500)).unwrap_or(100);
        let entries = super::ledger(ctx.db()?, principal.workspace_id, limit).await?;
        Ok(entries.into_iter().map(LedgerEntry::from).collect())
    }
}
