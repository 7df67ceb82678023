//! What resolvers take from the GraphQL context: the database and the authenticated caller.

use async_graphql::Context;
use sea_orm::DatabaseConnection;

use crate::auth::{Auth, Principal, Role};
use crate::error::Error;
use crate::secrets::SecretBox;
use crate::training_jobs::TrainingSettings;

/// Accessors on [`Context`] that turn a missing piece into a proper error.
pub trait ContextExt {
    /// The database connection pool.
    fn db(&self) -> async_graphql::Result<&DatabaseConnection>;
    /// The caller, provided their role is at least `role`.
    fn principal(&self, role: Role) -> async_graphql::Result<&Principal>;
    /// The key that encrypts secrets at rest.
    fn secrets(&self) -> async_graphql::Result<&SecretBox>;
    /// Training, billing and provider settings.
    fn training(&self) -> async_graphql::Result<&TrainingSettings>;
}

impl ContextExt for Context<'_> {
    fn db(&self) -> async_graphql::Result<&DatabaseConnection> {
        self.data::<DatabaseConnection>()
            .map_err(|_| Error::Internal(anyhow::anyhow!("no database in the schema data")).into())
    }

    fn principal(&self, role: Role) -> async_graphql::Result<&Principal> {
        let auth = self.data::<Auth>().unwrap_or(&Auth::Missing);
        Ok(auth.require(role)?)
    }

    fn secrets(&self) -> async_graphql::Result<&SecretBox> {
        self.data::<SecretBox>().map_err(|_| {
            Error::Internal(anyhow::anyhow!("no secret box in the schema data")).into()
        })
    }

    fn training(&self) -> async_graphql::Result<&TrainingSettings> {
        self.data::<TrainingSettings>().map_err(|_| {
            Error::Internal(anyhow::anyhow!("no training settings in the schema data")).into()
        })
    }
}
