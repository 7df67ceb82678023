//! The change bus: an in-process broadcast of "this changed" notices (ids only; listeners re-read
//! the rows). Services publish after each commit that changes a training job, the global rules or
//! a custom model; the `trainingJobUpdates` subscription and the `availableModels` cache listen.
//! Any other source of notices (such as Postgres LISTEN/NOTIFY relaying other replicas' changes)
//! feeds the same bus through [`ChangeBus::publish`].

use crate::ids::{JobId, ModelId, TokenId, WorkspaceId};
use tokio::sync::broadcast;

/// Notices kept for a slow listener before it lags (and then re-reads the latest state).
pub const CAPACITY: usize = 1024;

/// A training job changed (status, events, ...): ids only, the rows are re-read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobChanged {
    /// The job's workspace.
    pub workspace_id: WorkspaceId,
    /// The job.
    pub job_id: JobId,
    /// The custom model the job trains.
    pub model_id: ModelId,
}

impl JobChanged {
    /// The notice for `job`.
    pub fn of(job: &crate::entities::training_job::Model) -> Self {
        Self {
            workspace_id: job.workspace_id,
            job_id: job.id,
            model_id: job.model_id,
        }
    }
}

/// One notice on the bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// A training job changed.
    Job(JobChanged),
    /// The global rules or the custom models of this workspace changed.
    Catalog(WorkspaceId),
    /// An API token was revoked: no cached check of it may be trusted any more.
    TokenRevoked(TokenId),
    /// Notices may have been lost (the Postgres listener reconnected): re-read everything.
    Resync,
}

/// A cloneable handle on one broadcast channel of [`Change`] notices; clones share it.
#[derive(Clone)]
pub struct ChangeBus {
    sender: broadcast::Sender<Change>,
}

impl ChangeBus {
    /// A new bus keeping up to `capacity` notices per listener.
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        Self { sender }
    }

    /// Announces a change to every current listener; nobody listening is fine.
    pub fn publish(&self, notice: Change) {
        // `send` fails only when there is no listener, which is no error here.
        let _ = self.sender.send(notice);
    }

    /// Announces that `job` changed.
    pub fn job_changed(&self, job: &crate::entities::training_job::Model) {
        self.publish(Change::Job(JobChanged::of(job)));
    }

    /// Announces that the global rules or custom models of a workspace changed.
    pub fn catalog_changed(&self, workspace_id: WorkspaceId) {
        self.publish(Change::Catalog(workspace_id));
    }

    /// A new listener: it receives the notices published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.sender.subscribe()
    }
}

impl Default for ChangeBus {
    fn default() -> Self {
        Self::new(CAPACITY)
    }
}

impl std::fmt::Debug for ChangeBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeBus")
            .field("listeners", &self.sender.receiver_count())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TypedId;

    #[tokio::test]
    async fn listeners_receive_what_is_published_after_they_subscribe() {
        let bus = ChangeBus::new(4);
        let notice = Change::Job(JobChanged {
            workspace_id: WorkspaceId::generate(),
            job_id: JobId::generate(),
            model_id: ModelId::generate(),
        });
        bus.publish(notice);
        let mut listener = bus.clone().subscribe();
        bus.publish(notice);
        assert_eq!(listener.recv().await.ok(), Some(notice));
        assert!(listener.try_recv().is_err());
    }

    #[tokio::test]
    async fn a_slow_listener_lags_instead_of_growing() {
        let bus = ChangeBus::new(2);
        let mut listener = bus.subscribe();
        for _ in 0..5 {
            bus.publish(Change::Catalog(WorkspaceId::generate()));
        }
        assert!(matches!(
            listener.recv().await,
            Err(broadcast::error::RecvError::Lagged(3))
        ));
    }
}
