//! Injected failures: the next N matching requests answer an error status (optionally with Retry-After).

use std::sync::Mutex;

use axum::http::StatusCode;

use crate::error::ApiError;
use crate::lock::lock;
use crate::matching::matches;

#[derive(Debug)]
struct Fault {
    method: String,
    path: String,
    status: StatusCode,
    remaining: u32,
    retry_after: Option<u64>,
}

/// Pending injected failures, consumed in the order they were added.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<Fault>>,
}

impl Faults {
    /// Makes the next `count` requests matching `method` and `path` answer `status`.
    pub fn add(&self, method: &str, path: &str, status: u16, count: u32, retry_after: Option<u64>) {
        if count == 0 {
            return;
        }
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        lock(&self.rules).push(Fault {
            method: method.to_owned(),
            path: path.to_owned(),
            status,
            remaining: count,
            retry_after,
        });
    }

    /// The injected error for this request, if a pending fault matches it.
    pub fn take(&self, method: &str, path: &str) -> Option<ApiError> {
        let mut rules = lock(&self.rules);
        let index = rules
            .iter()
            .position(|f| matches(&f.method, &f.path, method, path))?;
        let fault = &mut rules[index];
        fault.remaining -= 1;
        let error = fault_error(fault.status).retry_after(fault.retry_after);
        if fault.remaining == 0 {
            rules.remove(index);
        }
        Some(error)
    }

    /// Drops every pending fault.
    pub fn clear(&self) {
        lock(&self.rules).clear();
    }

    /// How many injected failures are still pending.
    pub fn pending(&self) -> u32 {
        lock(&self.rules).iter().map(|f| f.remaining).sum()
    }
}

fn fault_error(status: StatusCode) -> ApiError {
    let message =
        format!("Injected fault: tuner-emulator answers {status} to this request on purpose.");
    match status.as_u16() {
        429 => ApiError::new(status, "requests", message).code("rate_limit_exceeded"),
        500..=599 => ApiError::new(status, "server_error", message),
        _ => ApiError::new(status, "invalid_request_error", message),
    }
}
