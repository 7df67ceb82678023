//! Virtual clock: manual (moves only by `advance`) or wall-clock time scaled by a speed factor.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

use crate::config::ClockMode;

/// Milliseconds since the Unix epoch on the virtual clock.
pub type Millis = i64;

/// The emulator's notion of "now".
#[derive(Debug)]
pub struct Clock {
    mode: ClockMode,
    origin_ms: Millis,
    started: Instant,
    offset_ms: AtomicI64,
}

impl Clock {
    /// A clock starting at the current wall-clock time (whole seconds).
    pub fn new(mode: ClockMode) -> Self {
        let origin_ms = chrono::Utc::now().timestamp() * 1000;
        let mode = match mode {
            ClockMode::Real { speed } if !(speed.is_finite() && speed >= 0.0) => {
                ClockMode::Real { speed: 1.0 }
            }
            other => other,
        };
        Self {
            mode,
            origin_ms,
            started: Instant::now(),
            offset_ms: AtomicI64::new(0),
        }
    }

    /// Current virtual time in milliseconds.
    pub fn now_ms(&self) -> Millis {
        let offset = self.offset_ms.load(Ordering::SeqCst);
        let elapsed = match self.mode {
            ClockMode::Manual => 0,
            ClockMode::Real { speed } => (self.started.elapsed().as_millis() as f64 * speed) as i64,
        };
        self.origin_ms
            .saturating_add(elapsed)
            .saturating_add(offset)
    }

    /// Moves virtual time forward (in real mode this skips ahead on top of the wall clock).
    pub fn advance(&self, seconds: u64) {
        let ms = i64::try_from(seconds.saturating_mul(1000)).unwrap_or(i64::MAX / 4);
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

/// Whole seconds of a virtual timestamp (OpenAI timestamps are Unix seconds).
pub fn secs(ms: Millis) -> i64 {
    ms.div_euclid(1000)
}

/// A duration in seconds as milliseconds, saturating instead of overflowing.
pub fn ms_of_secs(seconds: u64) -> Millis {
    i64::try_from(seconds.saturating_mul(1000)).unwrap_or(i64::MAX / 4)
}

/// A virtual timestamp as RFC 3339 with milliseconds (`2024-05-17T17:35:45.123Z`), as Together
/// and Fireworks write them.
pub fn iso(ms: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
