//! `tuner-emulator`: serves the emulated fine-tuning APIs (OpenAI, Together AI, Fireworks AI,
//! Nebius) on one listener for trying tuner locally.

use anyhow::Context;
use clap::Parser;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;
use tuner_emulator::{serve, ClockMode, EmulatorConfig};

/// Development-only, in-memory emulator of the fine-tuning APIs tuner uses.
///
/// One listener serves every provider under its own path prefix:
///   OpenAI     /v1/...  and Azure OpenAI /openai/v1/...
///   Together   /together/v1/...  (files/upload, fine-tunes, endpoints, models, chat/completions)
///   Fireworks  /fireworks/v1/accounts/{account}/...  (datasets, supervisedFineTuningJobs,
///              models, deployments) and /fireworks/inference/v1/chat/completions
///   Nebius     /nebius/v1/...  (files, fine_tuning/jobs, models, chat/completions) and
///              /nebius/v0/models (custom models from checkpoints)
///   Admin      /_emulator/...  (clock, faults: an error status or {"garbage": true},
///              latency, delays, requests, stream-delay, undeploy-idle; no API key)
#[derive(Parser)]
#[command(
    name = "tuner-emulator",
    version,
    about,
    long_about,
    verbatim_doc_comment
)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "TUNER_EMULATOR_LISTEN", default_value = "127.0.0.1:8090")]
    listen: String,
    /// API key clients must send; any non-empty key is accepted when unset.
    #[arg(long, env = "TUNER_EMULATOR_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Virtual time moves only via `POST /_emulator/clock/advance`.
    #[arg(long, env = "TUNER_EMULATOR_MANUAL_CLOCK")]
    manual_clock: bool,
    /// How many times faster than the wall clock virtual time runs (real clock only).
    #[arg(long, env = "TUNER_EMULATOR_SPEED", default_value_t = 1.0, value_parser = parse_speed)]
    speed: f64,
    /// Seconds a job spends validating its files.
    #[arg(long, env = "TUNER_EMULATOR_VALIDATING_SECS", default_value_t = 2)]
    validating_secs: u64,
    /// Seconds a job spends queued.
    #[arg(long, env = "TUNER_EMULATOR_QUEUED_SECS", default_value_t = 2)]
    queued_secs: u64,
    /// Seconds a job spends running.
    #[arg(long, env = "TUNER_EMULATOR_RUNNING_SECS", default_value_t = 10)]
    running_secs: u64,
    /// Metrics events emitted while a job runs.
    #[arg(long, env = "TUNER_EMULATOR_STEPS", default_value_t = 10)]
    steps: u32,
    /// Seconds a Together endpoint, Fireworks deployment or Nebius custom model takes to start.
    #[arg(long, env = "TUNER_EMULATOR_DEPLOY_SECS", default_value_t = 4)]
    deploy_secs: u64,
    /// Milliseconds between streamed chat-completion chunks.
    #[arg(long, env = "TUNER_EMULATOR_STREAM_DELAY_MS", default_value_t = 30)]
    stream_delay_ms: u64,
    /// Organization named in fine-tuned model ids.
    #[arg(
        long,
        env = "TUNER_EMULATOR_ORGANIZATION",
        default_value = "tuner-emulator"
    )]
    organization: String,
}

impl Args {
    fn config(&self) -> EmulatorConfig {
        EmulatorConfig {
            api_key: self.api_key.clone(),
            clock: if self.manual_clock {
                ClockMode::Manual
            } else {
                ClockMode::Real { speed: self.speed }
            },
            validating_secs: self.validating_secs,
            queued_secs: self.queued_secs,
            running_secs: self.running_secs,
            steps: self.steps,
            organization: self.organization.clone(),
            deploy_secs: self.deploy_secs,
            stream_delay_ms: self.stream_delay_ms,
        }
    }
}

fn parse_speed(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(speed) if speed.is_finite() && speed > 0.0 => Ok(speed),
        _ => Err(format!("speed must be a positive number, not '{value}'")),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let listener = TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener
        .local_addr()
        .context("cannot read the listening address")?;
    println!("tuner-emulator listening on http://{addr}");
    println!("  OpenAI base URL:       http://{addr}/v1");
    println!("  Azure OpenAI base URL: http://{addr}/openai/v1");
    println!("  Together base URL:     http://{addr}/together/v1");
    println!("  Fireworks API:         http://{addr}/fireworks/v1/accounts/{{account}}");
    println!("  Fireworks inference:   http://{addr}/fireworks/inference/v1");
    println!("  Nebius base URL:       http://{addr}/nebius/v1  (custom models: /nebius/v0)");
    if args.manual_clock {
        println!("  manual clock: POST http://{addr}/_emulator/clock/advance {{\"seconds\":N}}");
    }
    serve(listener, args.config(), shutdown_signal())
        .await
        .context("the emulator server failed")?;
    tracing::info!("tuner-emulator stopped");
    Ok(())
}

/// Completes on Ctrl-C or (on Unix) SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
