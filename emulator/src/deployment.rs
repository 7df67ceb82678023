//! Serving a model: Together endpoints, Fireworks deployments and Nebius custom models share
//! one record whose phase follows the virtual clock.

use serde_json::Value;

use crate::clock::Millis;
use crate::dialect::Dialect;

/// Where a deployment is in its life at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Accepted, not yet starting (Together `PENDING`, Fireworks `CREATING`, Nebius `validating`).
    Pending,
    /// Loading the model (Together `STARTING`; Fireworks and Nebius still report the pending state).
    Starting,
    /// Callable (Together `STARTED`, Fireworks `READY`, Nebius `active`).
    Ready,
    /// Stopped by request or for being idle (Together `STOPPED`).
    Stopped,
}

/// One endpoint, deployment or custom model.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub dialect: Dialect,
    /// Together `endpoint-…` id; Fireworks resource name; Nebius model name.
    pub id: String,
    /// The name clients call: Together endpoint name, Fireworks resource name, Nebius model name.
    pub name: String,
    /// The model served (Nebius: the `source` checkpoint).
    pub model: String,
    pub owner: String,
    pub created_ms: Millis,
    /// When the current start began (creation, or a restart).
    pub started_ms: Millis,
    /// How long it takes to become ready.
    pub deploy_ms: Millis,
    pub stopped: bool,
    /// The last time it answered a chat completion.
    pub last_used_ms: Millis,
    /// Together `inactive_timeout`: stops after this long without requests.
    pub idle_stop_ms: Option<Millis>,
    /// Request fields echoed back (hardware, autoscaling, display name, base model...).
    pub settings: Value,
}

impl Deployment {
    /// The phase at `now`.
    pub fn phase(&self, now: Millis) -> Phase {
        if self.stopped {
            return Phase::Stopped;
        }
        let ready_at = self.ready_at();
        if now >= ready_at {
            if let Some(idle) = self.idle_stop_ms {
                if now >= self.last_used_ms.max(ready_at).saturating_add(idle) {
                    return Phase::Stopped;
                }
            }
            return Phase::Ready;
        }
        if now >= self.started_ms.saturating_add(self.deploy_ms / 2) {
            Phase::Starting
        } else {
            Phase::Pending
        }
    }

    /// When the current start completes.
    pub fn ready_at(&self) -> Millis {
        self.started_ms.saturating_add(self.deploy_ms)
    }

    /// How long it has gone without a request at `now` (0 before it is ready).
    pub fn idle_ms(&self, now: Millis) -> Millis {
        now.saturating_sub(self.last_used_ms.max(self.ready_at()))
            .max(0)
    }

    /// Starts it again from `now` (Together `PATCH state=STARTED`).
    pub fn restart(&mut self, now: Millis) {
        self.stopped = false;
        self.started_ms = now;
        self.last_used_ms = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn endpoint() -> Deployment {
        Deployment {
            dialect: Dialect::Together,
            id: "endpoint-1".into(),
            name: "org/model-1".into(),
            model: "model".into(),
            owner: "org".into(),
            created_ms: 0,
            started_ms: 0,
            deploy_ms: 4000,
            stopped: false,
            last_used_ms: 0,
            idle_stop_ms: Some(60_000),
            settings: json!({}),
        }
    }

    #[test]
    fn phases_follow_the_clock_and_idle_endpoints_stop() {
        let e = endpoint();
        assert_eq!(e.phase(0), Phase::Pending);
        assert_eq!(e.phase(2000), Phase::Starting);
        assert_eq!(e.phase(4000), Phase::Ready);
        assert_eq!(e.phase(63_999), Phase::Ready);
        assert_eq!(e.phase(64_000), Phase::Stopped);
    }
}
