//! `availableModels` from memory: each workspace's list is read from the database once and
//! kept until the change bus says that one of its jobs, rules or models changed.
//!
//! The cache listens on the bus from the start and reads the notices waiting for it at every
//! lookup, before answering: a change published before a lookup starts is never missed, without
//! a background task. Concurrent lookups of a missing list share one database read. A list is
//! also re-read after [`MAX_AGE`], which bounds how long a change made behind tuner's back (by
//! hand in SQL) stays unseen.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;
use tokio::sync::broadcast::error::TryRecvError;
use tokio::sync::broadcast::Receiver;
use tokio::sync::OnceCell;

use super::{load, AvailableModel, Retirements};
use crate::changes::{Change, ChangeBus};
use crate::error::Result;
use crate::ids::WorkspaceId;
use crate::metrics::CacheLookups;

/// The cache's name in the `tuner_cache_lookups_total` metric (GraphQL's and the chat
/// endpoint's caches count together).
pub const AVAILABLE_MODELS_CACHE: &str = "available_models";

/// How long a list is served before it is read again even without a change notice.
pub const MAX_AGE: Duration = Duration::from_secs(60);

/// A workspace's models, shared by every lookup until a change drops them.
pub type Models = Arc<Vec<Arc<AvailableModel>>>;

/// One workspace's list: loaded at most once, by whichever lookup gets there first.
struct Entry {
    created: Instant,
    models: Arc<OnceCell<Models>>,
}

struct State {
    notices: Receiver<Change>,
    entries: HashMap<WorkspaceId, Entry>,
}

/// The `availableModels` lists of the workspaces asked about, kept fresh by the change bus.
pub struct AvailableModelsCache {
    state: Mutex<State>,
    lookups: CacheLookups,
}

impl AvailableModelsCache {
    /// An empty cache listening on `bus` from now on, counting its hits and misses in
    /// `lookups` (a miss is a lookup that read the database).
    pub fn new(bus: &ChangeBus, lookups: CacheLookups) -> Self {
        Self {
            state: Mutex::new(State {
                notices: bus.subscribe(),
                entries: HashMap::new(),
            }),
            lookups,
        }
    }

    /// The workspace's READY models, retired ones included (the caller filters by date).
    pub async fn get(
        &self,
        db: &DatabaseConnection,
        retirements: &Retirements,
        workspace_id: WorkspaceId,
    ) -> Result<Models> {
        let cell = {
            let mut state = self.lock();
            state.forget_changed();
            let entry = state.entries.entry(workspace_id).or_insert_with(Entry::new);
            if entry.created.elapsed() > MAX_AGE {
                *entry = Entry::new();
            }
            Arc::clone(&entry.models)
        };
        let mut loaded = false;
        let ran = &mut loaded;
        let models = cell
            .get_or_try_init(|| async move {
                *ran = true;
                let models = load(db, retirements, workspace_id).await?;
                Ok::<_, crate::error::Error>(Arc::new(models.into_iter().map(Arc::new).collect()))
            })
            .await?;
        if loaded {
            self.lookups.miss();
        } else {
            self.lookups.hit();
        }
        Ok(Arc::clone(models))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent whatever panicked while holding the lock.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Entry {
    fn new() -> Self {
        Self {
            created: Instant::now(),
            models: Arc::default(),
        }
    }
}

impl State {
    /// Drops the lists the notices received since the last lookup make stale.
    fn forget_changed(&mut self) {
        loop {
            match self.notices.try_recv() {
                Ok(Change::Job(job)) => self.forget(job.workspace_id),
                Ok(Change::Catalog(workspace_id)) => self.forget(workspace_id),
                Ok(Change::TokenRevoked(_)) => {}
                Ok(Change::Resync) | Err(TryRecvError::Lagged(_)) => self.entries.clear(),
                Err(TryRecvError::Empty | TryRecvError::Closed) => return,
            }
        }
    }

    fn forget(&mut self, workspace_id: WorkspaceId) {
        self.entries.remove(&workspace_id);
    }
}

impl std::fmt::Debug for AvailableModelsCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvailableModelsCache")
            .field("workspaces", &self.lock().entries.len())
            .finish()
    }
}
