//! Creating, listing and revoking API tokens within a workspace.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ModelTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};

use crate::app_context::AppContext;
use crate::auth::{self, Role};
use crate::entities::api_token;
use crate::error::{Error, Result};
use crate::ids::{TokenId, TypedId, WorkspaceId};
use crate::{db, validate};

/// Creates a token and returns it with its secret, which is not stored and cannot be shown again.
pub async fn create(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
    name: &str,
    role: Role,
) -> Result<(api_token::Model, String)> {
    let name = validate::required_trimmed("name", name)?;
    validate::max_chars("name", &name, 100)?;
    validate::no_control_chars("name", &name)?;
    let secret = auth::generate_secret();
    let row = api_token::ActiveModel {
        id: Set(TokenId::generate()),
        workspace_id: Set(workspace_id),
        name: Set(name),
        role: Set(role),
        token_hash: Set(secret.hash),
        token_prefix: Set(secret.prefix),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
    };
    Ok((row.insert(db).await?, secret.secret))
}

/// The workspace's tokens, oldest first.
pub async fn list(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
) -> Result<Vec<api_token::Model>> {
    Ok(api_token::Entity::find()
        .filter(api_token::Column::WorkspaceId.eq(workspace_id))
        .order_by_asc(api_token::Column::Id)
        .all(db)
        .await?)
}

/// Revokes (deletes) a token. The workspace's last ADMIN token cannot be revoked: nobody could
/// manage the workspace through the API any more.
/// Every replica refuses it from its next request on.
pub async fn revoke(app: &AppContext, workspace_id: WorkspaceId, id: TokenId) -> Result<()> {
    let txn = db::begin_write(&app.db).await?;
    // Two admins revoking each other at once must not both see the other as "not the last".
    super::lock(&txn, workspace_id).await?;
    let token = api_token::Entity::find_by_id(id)
        .filter(api_token::Column::WorkspaceId.eq(workspace_id))
        .one(&txn)
        .await?
        .ok_or_else(|| Error::not_found("API token", id))?;
    if token.role == Role::Admin {
        let admins = api_token::Entity::find()
            .filter(api_token::Column::WorkspaceId.eq(workspace_id))
            .filter(api_token::Column::Role.eq(Role::Admin))
            .count(&txn)
            .await?;
        if admins <= 1 {
            return Err(Error::conflict(
                "id",
                "this is the workspace's last ADMIN token; create another ADMIN token first",
            ));
        }
    }
    token.delete(&txn).await?;
    app.commit_token_revoked(txn, id).await
}
