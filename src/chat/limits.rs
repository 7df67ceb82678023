//! Per-token limits of one replica: requests started per minute (a token bucket) and requests
//! in flight (a count released when the answer, streamed or not, is done).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use super::errors::ChatError;
use crate::ids::TokenId;

/// Limits of the chat endpoint per API token.
#[derive(Debug, Clone, Copy)]
pub struct TokenLimits {
    /// Requests a token may start per minute; 0: no limit.
    pub requests_per_minute: u32,
    /// Requests a token may have in flight at once.
    pub max_concurrent: usize,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

#[derive(Debug, Default)]
struct State {
    buckets: HashMap<TokenId, Bucket>,
    in_flight: HashMap<TokenId, usize>,
}

/// The limits' bookkeeping, shared by every request of the process.
#[derive(Debug, Clone)]
pub struct Limiter {
    limits: TokenLimits,
    state: Arc<Mutex<State>>,
}

/// A request in flight; dropping it frees its place.
#[derive(Debug)]
pub struct Slot {
    token: TokenId,
    state: Arc<Mutex<State>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut state = lock(&self.state);
        if let Some(count) = state.in_flight.get_mut(&self.token) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                state.in_flight.remove(&self.token);
            }
        }
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // The counts stay usable whatever panicked while holding the lock.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Limiter {
    /// Bookkeeping for `limits`.
    pub fn new(limits: TokenLimits) -> Self {
        Self {
            limits,
            state: Arc::default(),
        }
    }

    /// Admits one request of `token`, or says how long to wait.
    pub fn admit(&self, token: TokenId) -> Result<Slot, ChatError> {
        let mut state = lock(&self.state);
        let in_flight = state.in_flight.get(&token).copied().unwrap_or(0);
        if in_flight >= self.limits.max_concurrent {
            return Err(ChatError::RateLimited {
                message: format!(
                    "this token has {in_flight} chat requests in flight, the most allowed \
                     (--chat-max-concurrent-per-token); wait for one to finish"
                ),
                code: "concurrency_limit_exceeded",
                retry_after_secs: 1,
            });
        }
        self.take_from_bucket(&mut state, token)?;
        *state.in_flight.entry(token).or_insert(0) += 1;
        Ok(Slot {
            token,
            state: Arc::clone(&self.state),
        })
    }

    fn take_from_bucket(&self, state: &mut State, token: TokenId) -> Result<(), ChatError> {
        let per_minute = self.limits.requests_per_minute;
        if per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(per_minute);
        let per_second = capacity / 60.0;
        let now = Instant::now();
        let bucket = state.buckets.entry(token).or_insert(Bucket {
            tokens: capacity,
            refilled: now,
        });
        let elapsed = now.duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let wait = ((1.0 - bucket.tokens) / per_second).ceil().max(1.0);
        Err(ChatError::RateLimited {
            message: format!(
                "this token made {per_minute} chat requests in the last minute, the most allowed \
                 (--chat-requests-per-minute); try again in {wait} s"
            ),
            code: "rate_limit_exceeded",
            retry_after_secs: wait as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TypedId;

    #[test]
    fn a_token_gets_its_quota_and_then_a_wait() {
        let limiter = Limiter::new(TokenLimits {
            requests_per_minute: 2,
            max_concurrent: 10,
        });
        let token = TokenId::generate();
        let first = limiter.admit(token);
        let second = limiter.admit(token);
        assert!(first.is_ok() && second.is_ok());
        let third = limiter.admit(token).err();
        assert_eq!(
            third.as_ref().and_then(ChatError::retry_after_secs),
            Some(30)
        );
        assert!(
            limiter.admit(TokenId::generate()).is_ok(),
            "other tokens have their own"
        );
    }

    #[test]
    fn requests_in_flight_are_counted_until_their_slot_is_dropped() {
        let limiter = Limiter::new(TokenLimits {
            requests_per_minute: 0,
            max_concurrent: 1,
        });
        let token = TokenId::generate();
        let slot = limiter.admit(token);
        assert!(slot.is_ok());
        assert!(limiter.admit(token).is_err());
        drop(slot);
        assert!(limiter.admit(token).is_ok());
    }
}
