//! The credit ledger: every change of a workspace's balance, with its reason.

use crate::ids::{JobId, WorkspaceId};
use sea_orm::entity::prelude::*;

/// Why a balance changed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum LedgerReason {
    #[sea_orm(string_value = "grant")]
    Grant,
    #[sea_orm(string_value = "job_fee")]
    JobFee,
    #[sea_orm(string_value = "block_credits")]
    BlockCredits,
    #[sea_orm(string_value = "refund")]
    Refund,
    #[sea_orm(string_value = "chat_request")]
    ChatRequest,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credit_ledger")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workspace_id: WorkspaceId,
    pub job_id: Option<JobId>,
    /// Credits added (positive) or taken (negative).
    pub amount: i64,
    pub reason: LedgerReason,
    /// The balance right after this entry.
    pub balance_after: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
