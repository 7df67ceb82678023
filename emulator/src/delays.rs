//! Held answers: a matching request is handled at once (a job it creates exists) but its
//! response leaves only after a delay, like a provider whose answer is slow to come back.
//! A client that gives up (or dies) meanwhile never learns what was done.

use std::sync::Mutex;
use std::time::Duration;

use crate::lock::lock;
use crate::matching::matches;

#[derive(Debug)]
struct Delay {
    method: String,
    path: String,
    millis: u64,
}

/// The response delays in force, by method and path prefix; the first match applies.
#[derive(Debug, Default)]
pub struct Delays {
    rules: Mutex<Vec<Delay>>,
}

impl Delays {
    /// Holds the responses to requests matching `method` and `path` for `millis` after they
    /// are handled (0 removes the rule for that method and path).
    pub fn set(&self, method: &str, path: &str, millis: u64) {
        let mut rules = lock(&self.rules);
        rules.retain(|rule| rule.method != method || rule.path != path);
        if millis > 0 {
            rules.push(Delay {
                method: method.to_owned(),
                path: path.to_owned(),
                millis,
            });
        }
    }

    /// Drops every rule.
    pub fn clear(&self) {
        lock(&self.rules).clear();
    }

    /// How long to hold the response to this request, if a rule matches it.
    pub fn after(&self, method: &str, path: &str) -> Option<Duration> {
        lock(&self.rules)
            .iter()
            .find(|rule| matches(&rule.method, &rule.path, method, path))
            .map(|rule| Duration::from_millis(rule.millis))
    }
}
