//! The `tuner` binary: parses the command line, sets up logging, runs the command.

use clap::Parser;
use tuner::config::Cli;

// jemalloc returns freed memory to the system: after a burst of large answers the server
// shrinks back instead of keeping its peak (measured in BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings: a background thread returns unused pages to the system about a second
/// after they are freed.
#[allow(non_upper_case_globals)]
#[export_name = "_rjem_malloc_conf"]
pub static malloc_conf: &[u8] = b"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:1000\0";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let log = tuner::telemetry::init(cli.log_format);
    let outcome = tuner::cli::run(cli).await;
    // Writes out the waiting log lines before the error below and the exit.
    drop(log);
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
