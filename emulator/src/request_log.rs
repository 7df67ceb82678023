//! Log of API requests that arrived (admin routes excluded), for tests that count retries.

use std::sync::Mutex;

use serde::Serialize;

use crate::lock::lock;
use crate::matching::matches;

/// One request as it arrived, with the status it was answered with once known.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Virtual time (Unix seconds) when the request arrived.
    pub received_at: i64,
    pub status: Option<u16>,
}

/// Every API request received so far.
#[derive(Debug, Default)]
pub struct RequestLog {
    entries: Mutex<Vec<Entry>>,
}

impl RequestLog {
    /// Records an arriving request; returns its index for [`RequestLog::finish`].
    pub fn record(&self, method: &str, path: &str, query: Option<&str>, received_at: i64) -> usize {
        let mut entries = lock(&self.entries);
        entries.push(Entry {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.map(str::to_owned),
            received_at,
            status: None,
        });
        entries.len() - 1
    }

    /// Notes the status a recorded request was answered with.
    pub fn finish(&self, index: usize, status: u16) {
        if let Some(entry) = lock(&self.entries).get_mut(index) {
            entry.status = Some(status);
        }
    }

    /// Requests matching the method filter and path prefix, oldest first.
    pub fn matching(&self, method: &str, path_prefix: &str) -> Vec<Entry> {
        lock(&self.entries)
            .iter()
            .filter(|e| matches(method, path_prefix, &e.method, &e.path))
            .cloned()
            .collect()
    }

    /// How many requests match the method filter and path prefix.
    pub fn count(&self, method: &str, path_prefix: &str) -> usize {
        lock(&self.entries)
            .iter()
            .filter(|e| matches(method, path_prefix, &e.method, &e.path))
            .count()
    }
}
