//! Injected failures: the next N matching requests answer an error status (optionally with
//! Retry-After), or are carried out and then answered with an unreadable body.

use std::sync::Mutex;

use axum::http::StatusCode;

use crate::error::ApiError;
use crate::lock::lock;
use crate::matching::matches;

/// What a faulty request gets.
#[derive(Debug, Clone, Copy)]
enum Answer {
    /// An error status, the request left undone.
    Status {
        status: StatusCode,
        retry_after: Option<u64>,
    },
    /// The request is carried out, then its answer is replaced by a body no client can read
    /// (a 200 with an HTML page), as a misbehaving proxy or load balancer might.
    Garbage,
}

#[derive(Debug)]
struct Fault {
    method: String,
    path: String,
    answer: Answer,
    remaining: u32,
}

/// The fault a request meets.
#[derive(Debug)]
pub enum Injected {
    /// Answer this error without carrying the request out.
    Error(ApiError),
    /// Carry the request out, then answer [`GARBAGE`] instead.
    Garbage,
}

/// The body of a garbled answer.
pub const GARBAGE: &str = "<html><body><h1>502 Bad Gateway</h1>\x00\u{fffd}</body></html>";

/// Pending injected failures, consumed in the order they were added.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<Fault>>,
}

impl Faults {
    /// Makes the next `count` requests matching `method` and `path` answer `status`.
    pub fn add(&self, method: &str, path: &str, status: u16, count: u32, retry_after: Option<u64>) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        self.push(
            method,
            path,
            Answer::Status {
                status,
                retry_after,
            },
            count,
        );
    }

    /// Makes the next `count` requests matching `method` and `path` take effect but answer an
    /// unreadable body.
    pub fn add_garbage(&self, method: &str, path: &str, count: u32) {
        self.push(method, path, Answer::Garbage, count);
    }

    fn push(&self, method: &str, path: &str, answer: Answer, count: u32) {
        if count == 0 {
            return;
        }
        lock(&self.rules).push(Fault {
            method: method.to_owned(),
            path: path.to_owned(),
            answer,
            remaining: count,
        });
    }

    /// The injected fault for this request, if a pending fault matches it.
    pub fn take(&self, method: &str, path: &str) -> Option<Injected> {
        let mut rules = lock(&self.rules);
        let index = rules
            .iter()
            .position(|f| matches(&f.method, &f.path, method, path))?;
        let fault = &mut rules[index];
        fault.remaining -= 1;
        let injected = match fault.answer {
            Answer::Status {
                status,
                retry_after,
            } => Injected::Error(fault_error(status).retry_after(retry_after)),
            Answer::Garbage => Injected::Garbage,
        };
        if fault.remaining == 0 {
            rules.remove(index);
        }
        Some(injected)
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
