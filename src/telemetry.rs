//! Structured logging with `tracing`: text or JSON, filtered by `RUST_LOG` (default `info`).
//!
//! Lines are formatted where they happen and written to stderr by a writer thread, in batches
//! while more are waiting: a request does not pay a system call for its access-log line, and
//! no line is dropped (a full queue makes the logging code wait instead).

use std::io::{BufWriter, Stderr};

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Lines waiting for the writer thread before logging waits for it.
const QUEUED_LINES: usize = 64 * 1024;

/// Keeps the writer thread; dropping it writes out every waiting line.
pub struct LogGuard {
    _writer: WorkerGuard,
}

/// Installs the global subscriber; logs go to stderr so stdout stays for command output. Keep
/// the guard until the process ends, so the last lines are written.
pub fn init(format: LogFormat) -> LogGuard {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm_migration=warn"));
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(QUEUED_LINES)
        .thread_name("tuner-log-writer")
        .finish(batched_stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init(),
    }
    LogGuard { _writer: guard }
}

/// Stderr behind a buffer: the writer thread flushes it whenever the queue is empty, so lines
/// that arrive together leave in one write.
fn batched_stderr() -> BufWriter<Stderr> {
    BufWriter::with_capacity(64 * 1024, std::io::stderr())
}
