//! The poller's backoff: a job whose refresh failed is skipped for a number of rounds that
//! doubles with each failure in a row, up to about [`MAX_WAIT`]. Kept in memory only: a restart
//! asks every job again, which is harmless.

use crate::ids::JobId;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// Longest time a failing job waits between two attempts.
pub const MAX_WAIT: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, Copy)]
struct Penalty {
    failures: u32,
    skip: u32,
}

/// Failing jobs and how many more rounds each waits.
#[derive(Debug, Default)]
pub struct Backoff {
    jobs: HashMap<JobId, Penalty>,
}

impl Backoff {
    /// Whether the job is asked this round; a waiting job's wait shrinks by one round.
    pub fn due(&mut self, job_id: JobId) -> bool {
        match self.jobs.get_mut(&job_id) {
            Some(penalty) if penalty.skip > 0 => {
                penalty.skip -= 1;
                false
            }
            _ => true,
        }
    }

    /// Records a failed refresh: the job waits 1, 2, 4, ... rounds (rounds of `poll_interval`,
    /// at most [`MAX_WAIT`] in all).
    pub fn failed(&mut self, job_id: JobId, poll_interval: Duration) {
        let penalty = self.jobs.entry(job_id).or_insert(Penalty {
            failures: 0,
            skip: 0,
        });
        penalty.failures = penalty.failures.saturating_add(1);
        penalty.skip = rounds(penalty.failures, poll_interval);
    }

    /// Records a successful refresh: the job is asked every round again.
    pub fn succeeded(&mut self, job_id: JobId) {
        self.jobs.remove(&job_id);
    }

    /// Forgets jobs that are no longer active.
    pub fn retain(&mut self, active: &HashSet<JobId>) {
        self.jobs.retain(|id, _| active.contains(id));
    }

    /// Rounds the job still waits (0 when it is due).
    pub fn waiting(&self, job_id: JobId) -> u32 {
        self.jobs.get(&job_id).map_or(0, |p| p.skip)
    }
}

fn rounds(failures: u32, poll_interval: Duration) -> u32 {
    let interval = poll_interval.as_secs().max(1);
    let cap = u32::try_from(MAX_WAIT.as_secs() / interval)
        .unwrap_or(u32::MAX)
        .max(1);
    let doubled = 1u32.checked_shl(failures.saturating_sub(1)).unwrap_or(cap);
    doubled.min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TypedId;

    #[test]
    fn waits_double_up_to_the_cap_and_end_on_success() {
        let job = JobId::generate();
        let mut backoff = Backoff::default();
        let interval = Duration::from_secs(30);
        let mut waits = Vec::new();
        for _ in 0..8 {
            backoff.failed(job, interval);
            waits.push(backoff.waiting(job));
        }
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 20, 20, 20]);
        assert!(!backoff.due(job));
        backoff.succeeded(job);
        assert!(backoff.due(job));
    }

    #[test]
    fn a_waiting_job_is_due_after_its_rounds() {
        let job = JobId::generate();
        let mut backoff = Backoff::default();
        backoff.failed(job, Duration::from_secs(30));
        backoff.failed(job, Duration::from_secs(30));
        assert_eq!(
            [backoff.due(job), backoff.due(job), backoff.due(job)],
            [false, false, true]
        );
        backoff.retain(&HashSet::new());
        assert_eq!(backoff.waiting(job), 0);
    }
}
