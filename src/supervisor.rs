//! The background tasks of one server process (the job poller, the change relay), owned in one
//! place. Each task is told when to stop and finishes the round it is in; shutdown waits for
//! them, so the database pool is closed only once no work is in flight.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Starts background tasks and stops them together.
#[derive(Clone, Debug, Default)]
pub struct Supervisor {
    stop: CancellationToken,
    tasks: TaskTracker,
}

impl Supervisor {
    /// A supervisor with no tasks yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `task` in the background. It gets a token that is cancelled when the supervisor
    /// shuts down, and should return soon after, once the work in hand is done.
    pub fn spawn<F, T>(&self, name: &'static str, task: T)
    where
        T: FnOnce(CancellationToken) -> F,
        F: Future<Output = ()> + Send + 'static,
    {
        let work = task(self.stop.child_token());
        self.tasks.spawn(async move {
            work.await;
            tracing::debug!(task = name, "background task stopped");
        });
    }

    /// Tells every task to stop and waits up to `grace` for them to finish what they are doing;
    /// true when they all did.
    pub async fn shutdown(&self, grace: Duration) -> bool {
        self.stop.cancel();
        self.tasks.close();
        let finished = tokio::time::timeout(grace, self.tasks.wait()).await.is_ok();
        if !finished {
            tracing::warn!(
                running = self.tasks.len(),
                "background tasks did not stop in time"
            );
        }
        finished
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn shutdown_waits_for_the_work_in_hand() {
        let supervisor = Supervisor::new();
        let finished = Arc::new(AtomicBool::new(false));
        let done = finished.clone();
        supervisor.spawn("slow round", |stop| async move {
            stop.cancelled().await;
            // The round that was under way when the stop came.
            tokio::time::sleep(Duration::from_millis(200)).await;
            done.store(true, Ordering::SeqCst);
        });
        assert!(supervisor.shutdown(Duration::from_secs(10)).await);
        assert!(finished.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn a_task_that_does_not_stop_is_given_up_after_the_grace() {
        let supervisor = Supervisor::new();
        supervisor.spawn("stubborn", |_| std::future::pending());
        assert!(!supervisor.shutdown(Duration::from_millis(50)).await);
    }
}
