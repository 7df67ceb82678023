//! The provider endpoints chat requests go to, from memory: a workspace's stored key is read
//! and decrypted once per provider, then kept until the change bus says the workspace's
//! catalog changed (`setProviderCredentials` announces that, on every replica) or for at most
//! [`MAX_AGE`].
//!
//! Like the available-models cache, it reads the notices waiting for it at every lookup, before
//! answering, so a key replaced before a request starts is never used by it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::broadcast::error::TryRecvError;
use tokio::sync::broadcast::Receiver;

use crate::app_context::AppContext;
use crate::changes::Change;
use crate::error::Result;
use crate::ids::WorkspaceId;
use crate::metrics::CacheLookups;
use crate::provider::ChatEndpoint;
use crate::workspaces::credentials;

/// The cache's name in the `tuner_cache_lookups_total` metric.
pub const CHAT_ENDPOINTS_CACHE: &str = "chat_endpoints";

/// How long an endpoint is used before its credentials are read again without a notice.
pub const MAX_AGE: Duration = Duration::from_secs(60);

/// Most endpoints kept; past it the cache starts over (a workspace has a few providers).
const MAX_ENTRIES: usize = 10_000;

type Key = (WorkspaceId, String);

struct State {
    notices: Receiver<Change>,
    entries: HashMap<Key, (Instant, Option<Arc<ChatEndpoint>>)>,
}

/// Each workspace's chat endpoint per provider, kept fresh by the change bus.
pub struct ChatEndpoints {
    state: Mutex<State>,
    lookups: CacheLookups,
}

impl ChatEndpoints {
    /// An empty cache listening on `app`'s change bus from now on.
    pub fn new(app: &AppContext) -> Self {
        Self {
            state: Mutex::new(State {
                notices: app.changes.subscribe(),
                entries: HashMap::new(),
            }),
            lookups: app.metrics.cache(CHAT_ENDPOINTS_CACHE),
        }
    }

    /// Where the workspace's `provider` answers chats; `None` when it has no credentials.
    pub async fn get(
        &self,
        app: &AppContext,
        workspace_id: WorkspaceId,
        provider: &str,
    ) -> Result<Option<Arc<ChatEndpoint>>> {
        let key = (workspace_id, provider.to_owned());
        {
            let mut state = self.lock();
            state.forget_changed();
            if let Some((at, endpoint)) = state.entries.get(&key) {
                if at.elapsed() <= MAX_AGE {
                    self.lookups.hit();
                    return Ok(endpoint.clone());
                }
            }
        }
        self.lookups.miss();
        let read_at = Instant::now();
        let endpoint = credentials::chat_endpoint(app, workspace_id, provider)
            .await?
            .map(Arc::new);
        let mut state = self.lock();
        // A notice that arrived during the read may concern what was read: keep nothing then.
        if !state.forget_changed() {
            if state.entries.len() >= MAX_ENTRIES {
                state.entries.clear();
            }
            state.entries.insert(key, (read_at, endpoint.clone()));
        }
        Ok(endpoint)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The map stays consistent whatever panicked while holding the lock.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl State {
    /// Drops the endpoints of workspaces whose catalog changed; returns whether any notice
    /// could concern credentials.
    fn forget_changed(&mut self) -> bool {
        let mut changed = false;
        loop {
            match self.notices.try_recv() {
                Ok(Change::Catalog(workspace_id)) => {
                    self.entries.retain(|(ws, _), _| *ws != workspace_id);
                    changed = true;
                }
                Ok(Change::Job(_) | Change::TokenRevoked(_)) => {}
                Ok(Change::Resync) | Err(TryRecvError::Lagged(_)) => {
                    self.entries.clear();
                    changed = true;
                }
                Err(TryRecvError::Empty | TryRecvError::Closed) => return changed,
            }
        }
    }
}

impl std::fmt::Debug for ChatEndpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatEndpoints")
            .field("entries", &self.lock().entries.len())
            .finish()
    }
}
