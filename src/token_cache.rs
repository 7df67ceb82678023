//! Token checks without a database round trip: a bounded in-memory map from a token's hash to
//! who it is. A revocation reaches every replica at once through the change bus (Postgres
//! NOTIFY between replicas), so a revoked token is refused by the next request everywhere.
//! Entries also expire, a safety net for notices that cannot arrive (SQLite has no NOTIFY: a
//! second process on the same file sees a revocation within [`SQLITE_MAX_AGE`]).
//! `lastUsedAt` is still written at most once a minute per token, not per request.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend};
use tokio::sync::broadcast::error::TryRecvError;
use tokio::sync::broadcast::Receiver;

use crate::auth::{self, Auth, Principal};
use crate::changes::{Change, ChangeBus};
use crate::error::Result;
use crate::metrics::CacheLookups;

/// Most tokens kept; past it the map starts afresh (tokens are few; this bounds a flood).
const CAPACITY: usize = 10_000;
/// How long an entry is trusted where revocations arrive as notices (Postgres).
const MAX_AGE: Duration = Duration::from_secs(300);
/// How long an entry is trusted on SQLite, where another process's revocation sends no notice.
pub const SQLITE_MAX_AGE: Duration = Duration::from_secs(2);

struct Entry {
    principal: Principal,
    last_used_at: Option<DateTime<Utc>>,
    cached: Instant,
}

struct State {
    notices: Receiver<Change>,
    entries: HashMap<String, Entry>,
}

/// The token checks of one process.
pub struct TokenCache {
    state: Mutex<State>,
    lookups: CacheLookups,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache").finish_non_exhaustive()
    }
}

impl TokenCache {
    /// An empty cache listening on `bus` from now on, counting its hits and misses in
    /// `lookups`.
    pub fn new(bus: &ChangeBus, lookups: CacheLookups) -> Self {
        Self {
            state: Mutex::new(State {
                notices: bus.subscribe(),
                entries: HashMap::new(),
            }),
            lookups,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The map stays consistent whatever panicked while holding the lock.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Resolves the token a request carried (if any), like [`auth::authenticate`], asking the
    /// database only for tokens not seen lately.
    pub async fn authenticate(
        &self,
        db: &impl ConnectionTrait,
        token: Option<&str>,
    ) -> Result<Auth> {
        let Some(token) = token.filter(|t| auth::plausible_token(t)) else {
            return auth::authenticate(db, token).await;
        };
        let hash = auth::hash_secret(token);
        let max_age = match db.get_database_backend() {
            DbBackend::Sqlite => SQLITE_MAX_AGE,
            _ => MAX_AGE,
        };
        let hit = {
            let mut state = self.lock();
            state.forget_revoked();
            state.entries.get_mut(&hash).and_then(|entry| {
                if entry.cached.elapsed() > max_age {
                    return None;
                }
                let now = Utc::now();
                let stale = auth::needs_touch(entry.last_used_at, now);
                if stale {
                    entry.last_used_at = Some(now);
                }
                Some((entry.principal.clone(), stale))
            })
        };
        if hit.is_some() {
            self.lookups.hit();
        } else {
            self.lookups.miss();
        }
        match hit {
            Some((principal, false)) => Ok(Auth::Valid(principal)),
            Some((principal, true)) => {
                if auth::touch_by_id(db, principal.token_id).await? {
                    Ok(Auth::Valid(principal))
                } else {
                    // Revoked while it was cached.
                    self.lock().entries.remove(&hash);
                    Ok(Auth::Invalid)
                }
            }
            None => {
                let (auth, last_used_at) = auth::authenticate_with_use(db, Some(token)).await?;
                if let Auth::Valid(principal) = &auth {
                    let mut state = self.lock();
                    if state.entries.len() >= CAPACITY {
                        state.entries.clear();
                    }
                    let entry = Entry {
                        principal: principal.clone(),
                        last_used_at,
                        cached: Instant::now(),
                    };
                    state.entries.insert(hash, entry);
                }
                Ok(auth)
            }
        }
    }
}

impl State {
    /// Drops the entries the notices received since the last lookup make untrustworthy.
    fn forget_revoked(&mut self) {
        loop {
            match self.notices.try_recv() {
                Ok(Change::TokenRevoked(id)) => {
                    self.entries
                        .retain(|_, entry| entry.principal.token_id != id);
                }
                Ok(Change::Resync) | Err(TryRecvError::Lagged(_)) => self.entries.clear(),
                Ok(_) => {}
                Err(TryRecvError::Empty | TryRecvError::Closed) => return,
            }
        }
    }
}
