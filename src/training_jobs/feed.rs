//! One database read per job change per process: the feed re-reads a changed job, with the
//! events stored since its previous read, once, and hands the result to every watcher, so ten
//! thousand subscribers cost one read rather than ten thousand.
//!
//! The feed starts listening on the [`ChangeBus`] when the first watcher subscribes, before that
//! watcher reads the current state, so no change falls in between. A watcher that cannot use a
//! read (it lacks events from before the read) or that hears [`FeedItem::Unread`] reads the job
//! itself.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::{self, Receiver, Sender};
use uuid::Uuid;

use crate::changes::{Change, ChangeBus, JobChanged, CAPACITY};
use crate::entities::training_job;
use crate::entities::training_job_event as event;
use crate::error::Result;
use crate::ids::JobId;

/// A job as the feed just read it, with the events stored after `events_after`.
#[derive(Debug)]
pub struct JobRead {
    /// Reads are numbered from 1 in the order they begin.
    pub number: u64,
    /// The job, re-read after the change.
    pub job: training_job::Model,
    /// `new_events` are all the job's events stored after this one; all its events when `None`.
    pub events_after: Option<Uuid>,
    /// Those events, oldest first.
    pub new_events: Vec<event::Model>,
}

impl JobRead {
    /// The events after `last` (a watcher's last sent event), when this read holds all of them;
    /// `None` when the watcher must read them itself.
    pub fn events_since(&self, last: Option<Uuid>) -> Option<Vec<event::Model>> {
        covers(self.events_after, last).then(|| {
            let new = self.new_events.iter();
            new.filter(|e| last.is_none_or(|last| e.id > last))
                .cloned()
                .collect()
        })
    }
}

/// Whether a read of the events stored after `events_after` holds every event after `last`.
fn covers(events_after: Option<Uuid>, last: Option<Uuid>) -> bool {
    match (events_after, last) {
        (None, _) => true,
        (Some(after), Some(last)) => after <= last,
        (Some(_), None) => false,
    }
}

/// What watchers hear from the feed.
#[derive(Clone, Debug)]
pub enum FeedItem {
    /// A job changed; here it is, re-read.
    Job(Arc<JobRead>),
    /// A job changed but could not be read: watchers concerned read it themselves.
    Unread(JobChanged),
    /// Changes may have been missed: watchers re-read everything they follow.
    Resync,
}

struct Shared {
    sender: Sender<FeedItem>,
    /// Reads begun so far.
    reads: AtomicU64,
}

/// A watcher's end of the feed.
pub struct Subscription {
    /// What the feed sends from now on.
    pub items: Receiver<FeedItem>,
    /// Reads numbered up to this one began before the subscription: the watcher's own read of
    /// the current state, made after subscribing, is at least as fresh, so it skips them.
    pub fresh_after: u64,
}

/// The process's feed of re-read job changes.
pub struct JobFeed {
    db: DatabaseConnection,
    bus: ChangeBus,
    shared: Arc<Shared>,
    started: OnceLock<()>,
}

impl JobFeed {
    /// A feed of the changes announced on `bus`, read from `db`.
    pub fn new(db: DatabaseConnection, bus: &ChangeBus) -> Self {
        let (sender, _) = broadcast::channel(CAPACITY);
        Self {
            db,
            bus: bus.clone(),
            shared: Arc::new(Shared {
                sender,
                reads: AtomicU64::new(0),
            }),
            started: OnceLock::new(),
        }
    }

    /// A new watcher's end of the feed. Starts the feed on first use.
    pub fn subscribe(&self) -> Subscription {
        let items = self.shared.sender.subscribe();
        let fresh_after = self.shared.reads.load(Ordering::SeqCst);
        self.started.get_or_init(|| {
            let reader = Reader {
                db: self.db.clone(),
                shared: Arc::downgrade(&self.shared),
                last_event: HashMap::new(),
            };
            tokio::spawn(reader.run(self.bus.subscribe()));
        });
        Subscription { items, fresh_after }
    }
}

impl std::fmt::Debug for JobFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobFeed")
            .field("watchers", &self.shared.sender.receiver_count())
            .finish()
    }
}

/// The task that reads each changed job once.
struct Reader {
    db: DatabaseConnection,
    shared: Weak<Shared>,
    /// The last event read of each active job.
    last_event: HashMap<JobId, Uuid>,
}

impl Reader {
    /// Reads and hands out until the bus closes or the feed is dropped.
    async fn run(mut self, mut notices: Receiver<Change>) {
        loop {
            let notice = notices.recv().await;
            let Some(shared) = self.shared.upgrade() else {
                return;
            };
            let item = match notice {
                Ok(Change::Job(notice)) => match self.read(&shared, notice.job_id).await {
                    Ok(Some(read)) => FeedItem::Job(Arc::new(read)),
                    Ok(None) => continue,
                    Err(err) => {
                        tracing::warn!(error = %crate::error::report(&err), job_id = %notice.job_id, "cannot re-read a changed job");
                        FeedItem::Unread(notice)
                    }
                },
                Ok(Change::Catalog(_) | Change::TokenRevoked(_)) => continue,
                Ok(Change::Resync) | Err(RecvError::Lagged(_)) => FeedItem::Resync,
                Err(RecvError::Closed) => return,
            };
            // Nobody watching is fine.
            let _ = shared.sender.send(item);
        }
    }

    /// The job and its events since the previous read; `None` when the job is gone.
    async fn read(&mut self, shared: &Shared, job_id: JobId) -> Result<Option<JobRead>> {
        let number = shared.reads.fetch_add(1, Ordering::SeqCst) + 1;
        let Some(job) = training_job::Entity::find_by_id(job_id)
            .one(&self.db)
            .await?
        else {
            self.last_event.remove(&job_id);
            return Ok(None);
        };
        let events_after = self.last_event.get(&job_id).copied();
        let mut select = event::Entity::find().filter(event::Column::JobId.eq(job_id));
        if let Some(after) = events_after {
            select = select.filter(event::Column::Id.gt(after));
        }
        let new_events = select.order_by_asc(event::Column::Id).all(&self.db).await?;
        match new_events.last() {
            // An ended job changes no more: forget it.
            _ if job.status.is_terminal() => self.last_event.remove(&job_id),
            Some(last) => self.last_event.insert(job_id, last.id),
            None => None,
        };
        Ok(Some(JobRead {
            number,
            job,
            events_after,
            new_events,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_serves_the_watchers_it_leaves_no_gap_for() {
        let [first, second] = [Uuid::now_v7(), Uuid::now_v7()];
        assert!(covers(None, None), "a read from the start holds everything");
        assert!(covers(None, Some(first)));
        assert!(covers(Some(first), Some(first)));
        assert!(covers(Some(first), Some(second)));
        assert!(
            !covers(Some(second), Some(first)),
            "the events in between were not read"
        );
        assert!(!covers(Some(first), None), "the first event was not read");
    }
}
