//! The `tuner` binary: parses the command line, sets up logging, runs the command.

use clap::Parser;
use tuner::config::Cli;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tuner::telemetry::init(cli.log_format);
    match tuner::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
