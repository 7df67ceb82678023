//! Workspaces (tenants) and their API tokens.

pub mod graphql;
pub mod tokens;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use uuid::Uuid;

use crate::auth::Role;
use crate::entities::workspace;
use crate::error::{is_unique_violation, Error, Result};
use crate::{ids, validate};

/// Name of the workspace created on the first start against an empty database.
pub const DEFAULT_WORKSPACE: &str = "default";

/// Creates a workspace; names are unique across the server.
pub async fn create(db: &impl ConnectionTrait, name: &str) -> Result<workspace::Model> {
    let name = validate::required_trimmed("name", name)?;
    validate::max_chars("name", &name, 100)?;
    validate::no_control_chars("name", &name)?;
    let row = workspace::ActiveModel {
        id: Set(ids::new_id()),
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

/// The workspace with this id.
pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<workspace::Model> {
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

/// On an empty database, creates the default workspace with an ADMIN token. When several
/// replicas start at once only one succeeds; the others see the workspace and do nothing.
pub async fn bootstrap(db: &impl ConnectionTrait) -> Result<Option<Bootstrap>> {
    if workspace::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let workspace = match create(db, DEFAULT_WORKSPACE).await {
        Ok(workspace) => workspace,
        Err(Error::Conflict { .. }) => return Ok(None),
        Err(err) => return Err(err),
    };
    let (_, admin_secret) =
        tokens::create(db, workspace.id, "bootstrap admin", Role::Admin).await?;
    Ok(Some(Bootstrap {
        workspace,
        admin_secret,
    }))
}
