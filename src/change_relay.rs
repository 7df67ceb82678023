//! Announcing job changes across replicas that share one Postgres database: each change is
//! NOTIFYed (ids only) in the transaction that makes it, and every replica LISTENs and relays
//! the notices to its own [`ChangeBus`]. After the listening connection is lost and restored,
//! every active job is announced again, so no change is missed. SQLite runs one process, whose
//! bus hears everything already.

use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    Statement,
};
use uuid::Uuid;

use crate::changes::{ChangeBus, JobChanged};
use crate::entities::training_job::{self, JobStatus};

/// The Postgres channel job changes are announced on.
pub const CHANNEL: &str = "tuner_job_changes";

/// Announces to the other replicas, within `txn` (delivered when it commits), that `job`
/// changed. Does nothing on SQLite.
pub async fn announce(txn: &impl ConnectionTrait, job: &training_job::Model) -> Result<(), DbErr> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let payload = format!("{},{},{}", job.workspace_id, job.id, job.model_id);
    let notify = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), payload.into()],
    );
    txn.execute_raw(notify).await?;
    Ok(())
}

fn parse(payload: &str) -> Option<JobChanged> {
    let mut ids = payload.split(',').map(Uuid::try_parse);
    let notice = JobChanged {
        workspace_id: ids.next()?.ok()?,
        job_id: ids.next()?.ok()?,
        model_id: ids.next()?.ok()?,
    };
    ids.next().is_none().then_some(notice)
}

/// On Postgres, relays the other replicas' announcements to `bus` until the process ends.
pub fn spawn(db: DatabaseConnection, bus: ChangeBus) -> Option<tokio::task::JoinHandle<()>> {
    if db.get_database_backend() != DbBackend::Postgres {
        return None;
    }
    Some(tokio::spawn(async move {
        loop {
            if let Err(err) = relay(&db, &bus).await {
                tracing::warn!(error = %err, "lost the change announcements; listening again");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }))
}

/// Listens and relays; returns on an error the listener cannot recover from by itself.
async fn relay(db: &DatabaseConnection, bus: &ChangeBus) -> Result<(), sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect_with(db.get_postgres_connection_pool()).await?;
    listener.listen(CHANNEL).await?;
    announce_active_jobs(db, bus).await;
    loop {
        match listener.try_recv().await? {
            Some(notification) => match parse(notification.payload()) {
                Some(notice) => bus.publish(notice),
                None => {
                    tracing::warn!(payload = notification.payload(), "unreadable change notice")
                }
            },
            // The connection was lost and is being restored: what changed meanwhile is unknown.
            None => announce_active_jobs(db, bus).await,
        }
    }
}

/// Tells local listeners to re-read every active job.
async fn announce_active_jobs(db: &DatabaseConnection, bus: &ChangeBus) {
    let active = training_job::Entity::find()
        .filter(training_job::Column::Status.is_in(JobStatus::ACTIVE))
        .all(db)
        .await;
    match active {
        Ok(jobs) => jobs.iter().for_each(|job| bus.job_changed(job)),
        Err(err) => tracing::warn!(error = %err, "cannot list active jobs to announce"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_carry_three_ids() {
        let ids = [Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7()];
        let notice = parse(&format!("{},{},{}", ids[0], ids[1], ids[2])).expect("notice");
        assert_eq!(
            (notice.workspace_id, notice.job_id, notice.model_id),
            (ids[0], ids[1], ids[2])
        );
        assert_eq!(parse("not,ids,here"), None);
        assert_eq!(parse(&format!("{},{}", ids[0], ids[1])), None);
    }
}
