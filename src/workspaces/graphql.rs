//! GraphQL API of workspaces and API tokens: `viewer`, `apiTokens`, token mutations.

use async_graphql::{Context, Enum, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use crate::auth::Role;
use crate::context::ContextExt;
use crate::entities::{api_token, workspace};
use crate::ids::{TokenId, TypedId};

/// What an API token may do.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "Role", remote = "Role")]
pub enum RoleGql {
    /// Read custom models only: what bot platforms get.
    Reader,
    /// Manage rules, training blocks and custom models.
    Editor,
    /// Everything, including API tokens.
    Admin,
}

/// A workspace: the tenant that owns rules, blocks, models and tokens.
pub struct Workspace(workspace::Model);

/// A workspace: the tenant that owns rules, blocks, models and tokens.
#[Object]
impl Workspace {
    /// The workspace's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The workspace's unique name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Credit balance, spent by training jobs. EDITOR and up.
    async fn credits(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        ctx.principal(Role::Editor)?;
        Ok(self.0.credits)
    }
    /// When the workspace was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// The caller: the workspace their token belongs to and the token's role.
pub struct Viewer {
    role: Role,
}

/// The caller: the workspace their token belongs to and the token's role.
#[Object]
impl Viewer {
    /// The workspace every request of this token is confined to.
    async fn workspace(&self, ctx: &Context<'_>) -> async_graphql::Result<Workspace> {
        let principal = ctx.principal(Role::Reader)?;
        Ok(Workspace(
            super::get(ctx.db()?, principal.workspace_id).await?,
        ))
    }
    /// The role of the token used for this request.
    async fn role(&self) -> RoleGql {
        self.role.into()
    }
}

/// An API token. Its secret is shown only once, when it is created.
#[derive(SimpleObject)]
pub struct ApiToken {
    /// The token's id, used to revoke it.
    id: ID,
    /// A name saying who or what uses the token.
    name: String,
    /// What the token may do.
    role: RoleGql,
    /// The first characters of the secret, to tell tokens apart.
    prefix: String,
    /// When the token was created.
    created_at: DateTime<Utc>,
    /// When the token was last used (to the minute); null if never.
    last_used_at: Option<DateTime<Utc>>,
}

impl From<api_token::Model> for ApiToken {
    fn from(token: api_token::Model) -> Self {
        Self {
            id: ID(token.id.to_string()),
            name: token.name,
            role: token.role.into(),
            prefix: token.token_prefix,
            created_at: token.created_at,
            last_used_at: token.last_used_at,
        }
    }
}

/// A new API token with its secret.
#[derive(SimpleObject)]
pub struct CreatedApiToken {
    /// The stored token.
    token: ApiToken,
    /// The secret to send as `Authorization: Bearer <secret>`. It is not stored and cannot be
    /// shown again.
    secret: String,
}

/// Queries about the caller and the workspace's tokens.
#[derive(Default)]
pub struct WorkspaceQuery;

#[Object]
impl WorkspaceQuery {
    /// The caller: their workspace and role. Any valid token may ask.
    async fn viewer(&self, ctx: &Context<'_>) -> async_graphql::Result<Viewer> {
        Ok(Viewer {
            role: ctx.principal(Role::Reader)?.role,
        })
    }

    /// The workspace's API tokens, oldest first (never their secrets). ADMIN only.
    async fn api_tokens(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ApiToken>> {
        let principal = ctx.principal(Role::Admin)?;
        let tokens = super::tokens::list(ctx.db()?, principal.workspace_id).await?;
        Ok(tokens.into_iter().map(ApiToken::from).collect())
    }
}

/// Mutations on the workspace's API tokens.
#[derive(Default)]
pub struct WorkspaceMutation;

#[Object]
impl WorkspaceMutation {
    /// Creates an API token for the caller's workspace. ADMIN only.
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Who or what will use the token (1 to 100 characters).")] name: String,
        #[graphql(desc = "What the token may do.")] role: RoleGql,
    ) -> async_graphql::Result<CreatedApiToken> {
        let principal = ctx.principal(Role::Admin)?;
        let (token, secret) =
            super::tokens::create(ctx.db()?, principal.workspace_id, &name, role.into()).await?;
        Ok(CreatedApiToken {
            token: token.into(),
            secret,
        })
    }

    /// Revokes an API token at once; returns its id. The last ADMIN token cannot be revoked.
    /// ADMIN only.
    async fn revoke_api_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token's id.")] id: ID,
    ) -> async_graphql::Result<ID> {
        let principal = ctx.principal(Role::Admin)?;
        let token_id = TokenId::parse("id", &id)?;
        super::tokens::revoke(ctx.app()?, principal.workspace_id, token_id).await?;
        Ok(ID(token_id.to_string()))
    }
}
