//! Announcing changes across replicas that share one Postgres database: each change is NOTIFYed
//! (ids only) in the transaction that makes it, and every replica LISTENs and relays the notices
//! to its own [`ChangeBus`]. When the listening connection is (re)established, a
//! [`Change::Resync`] tells local listeners to re-read everything, so no change is missed. SQLite
//! runs one process, whose bus hears everything already.

use std::convert::Infallible;
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::changes::{Change, ChangeBus, JobChanged};
use crate::entities::training_job;
use crate::ids::{JobId, ModelId, TokenId, TypedId, WorkspaceId};

/// The Postgres channel changes are announced on.
pub const CHANNEL: &str = "tuner_job_changes";

/// Announces to the other replicas, within `txn` (delivered when it commits), that `job`
/// changed. Does nothing on SQLite.
pub async fn announce(txn: &impl ConnectionTrait, job: &training_job::Model) -> Result<(), DbErr> {
    notify(
        txn,
        format!("{},{},{}", job.workspace_id, job.id, job.model_id),
    )
    .await
}

/// Announces to the other replicas, within `txn`, that the workspace's global rules or custom
/// models changed. Does nothing on SQLite.
pub async fn announce_catalog(
    txn: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
) -> Result<(), DbErr> {
    notify(txn, workspace_id.to_string()).await
}

/// Announces to the other replicas, within `txn`, that an API token was revoked. Does nothing
/// on SQLite.
pub async fn announce_token_revoked(
    txn: &impl ConnectionTrait,
    token_id: TokenId,
) -> Result<(), DbErr> {
    notify(txn, format!("{TOKEN_TAG}{token_id}")).await
}

/// Marks a revoked token's notice (`t:<token id>`).
const TOKEN_TAG: &str = "t:";

async fn notify(txn: &impl ConnectionTrait, payload: String) -> Result<(), DbErr> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let notify = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), payload.into()],
    );
    txn.execute_raw(notify).await?;
    Ok(())
}

/// Reads a payload: `workspace,job,model` for a job, `workspace` for rules or models,
/// `t:token` for a revoked token.
fn parse(payload: &str) -> Option<Change> {
    if let Some(token) = payload.strip_prefix(TOKEN_TAG) {
        let id = Uuid::try_parse(token).ok()?;
        return Some(Change::TokenRevoked(TokenId::from_uuid(id)));
    }
    let ids = payload
        .split(',')
        .map(|id| Uuid::try_parse(id).ok())
        .collect::<Option<Vec<_>>>()?;
    match ids[..] {
        [workspace_id, job_id, model_id] => Some(Change::Job(JobChanged {
            workspace_id: WorkspaceId::from_uuid(workspace_id),
            job_id: JobId::from_uuid(job_id),
            model_id: ModelId::from_uuid(model_id),
        })),
        [workspace_id] => Some(Change::Catalog(WorkspaceId::from_uuid(workspace_id))),
        _ => None,
    }
}

/// On Postgres, relays the other replicas' announcements to `bus` until `stop` is cancelled
/// (or the pool is closed).
pub async fn run(db: DatabaseConnection, bus: ChangeBus, stop: CancellationToken) {
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    loop {
        let err = tokio::select! {
            () = stop.cancelled() => return,
            Err(err) = relay(&db, &bus) => err,
        };
        if matches!(err, sea_orm::sqlx::Error::PoolClosed) {
            // The server is shutting down.
            return;
        }
        tracing::warn!(error = %err, "lost the change announcements; listening again");
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// Listens and relays; returns on an error the listener cannot recover from by itself.
async fn relay(
    db: &DatabaseConnection,
    bus: &ChangeBus,
) -> Result<Infallible, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect_with(db.get_postgres_connection_pool()).await?;
    listener.listen(CHANNEL).await?;
    // Whatever changed before this listener started (or while it was down) was not heard.
    bus.publish(Change::Resync);
    loop {
        match listener.try_recv().await? {
            Some(notification) => match parse(notification.payload()) {
                Some(notice) => bus.publish(notice),
                None => {
                    tracing::warn!(payload = notification.payload(), "unreadable change notice")
                }
            },
            // The connection was lost and is being restored: what changed meanwhile is unknown.
            None => bus.publish(Change::Resync),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_notices_carry_three_ids_and_catalog_notices_one() {
        let ids = [Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7()];
        let notice = parse(&format!("{},{},{}", ids[0], ids[1], ids[2]));
        let job = JobChanged {
            workspace_id: WorkspaceId::from_uuid(ids[0]),
            job_id: JobId::from_uuid(ids[1]),
            model_id: ModelId::from_uuid(ids[2]),
        };
        assert_eq!(notice, Some(Change::Job(job)));
        let catalog = Change::Catalog(WorkspaceId::from_uuid(ids[0]));
        assert_eq!(parse(&ids[0].to_string()), Some(catalog));
        assert_eq!(parse("not,ids,here"), None);
        assert_eq!(parse(&format!("{},{}", ids[0], ids[1])), None);
        assert_eq!(parse(""), None);
        let token = TokenId::from_uuid(ids[1]);
        assert_eq!(
            parse(&format!("t:{token}")),
            Some(Change::TokenRevoked(token))
        );
        assert_eq!(parse("t:nope"), None);
    }
}
