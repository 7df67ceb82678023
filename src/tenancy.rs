//! Rows that belong to a workspace are reached only through their workspace. Each such table
//! implements [`WorkspaceScoped`]; every query on it starts from `Entity::in_workspace(id)`,
//! and [`get_in`] finds one row there. A row of another workspace is NOT_FOUND, exactly like a
//! row that does not exist. A query that starts from `Entity::find()` on such a table stands out
//! in review: only background work (the poller, webhooks once verified) may do it.

use crate::error::{Error, Result};
use crate::ids::{TypedId, WorkspaceId};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Select};

/// A table whose rows each belong to one workspace.
pub trait WorkspaceScoped: EntityTrait {
    /// What the API calls a row, in NOT_FOUND messages ("training job").
    const NAME: &'static str;

    /// The type of the row's id.
    type Id: TypedId;

    /// The column holding the row's workspace.
    fn workspace_column() -> Self::Column;

    /// The column holding the row's id.
    fn id_column() -> Self::Column;

    /// The rows of one workspace; every client-facing query on the table starts here.
    fn in_workspace(workspace_id: WorkspaceId) -> Select<Self> {
        Self::find().filter(Self::workspace_column().eq(workspace_id))
    }
}

/// The row `id` of the workspace, or NOT_FOUND (also when it belongs to another workspace).
pub async fn get_in<E: WorkspaceScoped>(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
    id: E::Id,
) -> Result<E::Model> {
    E::in_workspace(workspace_id)
        .filter(E::id_column().eq(id))
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found(E::NAME, id))
}

/// Implements [`WorkspaceScoped`] for an entity module with `workspace_id` and `id` columns.
macro_rules! workspace_scoped {
    ($($entity:ident($id:ident) => $name:literal),* $(,)?) => {
        $(
            impl WorkspaceScoped for crate::entities::$entity::Entity {
                const NAME: &'static str = $name;
                type Id = crate::ids::$id;
                fn workspace_column() -> Self::Column {
                    crate::entities::$entity::Column::WorkspaceId
                }
                fn id_column() -> Self::Column {
                    crate::entities::$entity::Column::Id
                }
            }
        )*
    };
}

workspace_scoped! {
    global_rule(RuleId) => "global rule",
    training_block(BlockId) => "training block",
    custom_model(ModelId) => "custom model",
    training_job(JobId) => "training job",
    provider_credential(CredentialId) => "provider credentials",
    api_token(TokenId) => "API token",
}
