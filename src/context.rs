//! What resolvers take from the GraphQL context: the process's shared state and the
//! authenticated caller.

use async_graphql::Context;
use sea_orm::DatabaseConnection;

use crate::app_context::AppContext;
use crate::auth::{Auth, Principal, Role};
use crate::error::Error;
use crate::secrets::SecretBox;
use crate::training_jobs::TrainingSettings;

/// Accessors on [`Context`] that turn a missing piece into a proper error.
pub trait ContextExt {
    /// The process's shared state.
    fn app(&self) -> async_graphql::Result<&AppContext>;
    /// The caller, provided their role is at least `role`.
    fn principal(&self, role: Role) -> async_graphql::Result<&Principal>;

    /// The database connection pool.
    fn db(&self) -> async_graphql::Result<&DatabaseConnection> {
        Ok(&self.app()?.db)
    }
    /// The key that encrypts secrets at rest.
    fn secrets(&self) -> async_graphql::Result<&SecretBox> {
        Ok(&self.app()?.secrets)
    }
    /// Training, billing and provider settings.
    fn training(&self) -> async_graphql::Result<&TrainingSettings> {
        Ok(&self.app()?.training)
    }
}

impl ContextExt for Context<'_> {
    fn app(&self) -> async_graphql::Result<&AppContext> {
        self.data::<AppContext>().map_err(|_| {
            Error::Internal(anyhow::anyhow!("no application context in the schema data")).into()
        })
    }

    fn principal(&self, role: Role) -> async_graphql::Result<&Principal> {
        let auth = self.data::<Auth>().unwrap_or(&Auth::Missing);
        Ok(auth.require(role)?)
    }
}
