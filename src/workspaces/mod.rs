//! Workspaces (tenants) and their API tokens.

pub mod credentials;
pub mod credentials_graphql;
pub mod graphql;
pub mod tokens;

use chrono::Utc;
use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set,
};

use crate::auth::Role;
use crate::entities::workspace;
use crate::error::{is_unique_violation, Error, Result};
use crate::ids::{TypedId, WorkspaceId};
use crate::validate;

/// Name of the workspace created on the first start against an empty database.
pub const DEFAULT_WORKSPACE: &str = "default";

/// Creates a workspace; names are unique across the server.
pub async fn create(db: &impl ConnectionTrait, name: &str) -> Result<workspace::Model> {
    let name = validate::required_trimmed("name", name)?;
    validate::max_chars("name", &name, 100)?;
    validate::no_control_chars("name", &name)?;
    let row = workspace::ActiveModel {
        id: Set(WorkspaceId::generate()),
        name: Set(name.clone()),
        credits: Set(0),
        created_at: Set(Utc::now()),
    };
    row.insert(db).await.map_err(|err| {
        if is_unique_violation(&err) {
            Error::conflict("name", format!("a workspace named {name:?} already exists"))
        } else {
            err.into()
        }
    })
}

/// Within a write transaction, makes every other transaction that calls this for the same
/// workspace wait until this one ends: for read-then-write changes to workspace-wide state
/// (rule positions and caps, the last ADMIN token). Postgres locks the workspace row
/// (`FOR NO KEY UPDATE`, so rows that merely reference it are not blocked); SQLite has no row
/// locks, and its IMMEDIATE write transactions are already serialised.
pub async fn lock(txn: &DatabaseTransaction, workspace_id: WorkspaceId) -> Result<()> {
    workspace::Entity::find_by_id(workspace_id)
        .lock(LockType::NoKeyUpdate)
        .one(txn)
        .await?;
    Ok(())
}

/// The workspace with this id.
pub async fn get(db: &impl ConnectionTrait, id: WorkspaceId) -> Result<workspace::Model> {
    workspace::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("workspace", id))
}

/// The workspace with this name.
pub async fn find_by_name(db: &impl ConnectionTrait, name: &str) -> Result<workspace::Model> {
    workspace::Entity::find()
        .filter(workspace::Column::Name.eq(name.trim()))
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("workspace", name))
}

/// What the first start against an empty database creates.
pub struct Bootstrap {
    /// The new workspace.
    pub workspace: workspace::Model,
    /// The ADMIN token's secret, to be shown once.
    pub admin_secret: String,
}

/// On an empty database, creates the default workspace with an ADMIN token, both or neither.
/// When several replicas start at once only one succeeds; the others see the workspace (or lose
/// the race on its unique name) and do nothing.
pub async fn bootstrap(db: &DatabaseConnection) -> Result<Option<Bootstrap>> {
    let txn = crate::db::begin_write(db).await?;
    if workspace::Entity::find().count(&txn).await? > 0 {
        return Ok(None);
    }
    let workspace = match create(&txn, DEFAULT_WORKSPACE).await {
        Ok(workspace) => workspace,
        Err(Error::Conflict { .. }) => return Ok(None),
        Err(err) => return Err(err),
    };
    let (_, admin_secret) =
        tokens::create(&txn, workspace.id, "bootstrap admin", Role::Admin).await?;
    txn.commit().await?;
    Ok(Some(Bootstrap {
        workspace,
        admin_secret,
    }))
}
