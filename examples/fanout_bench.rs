//! Benchmarks of a real `tuner serve` process against the provider emulator, on loopback.
//!
//! **Subscription fan-out** (the default). Opens N WebSocket clients (`graphql-transport-ws`,
//! default 10,000), each subscribed to the workspace-wide `trainingJobUpdates`, then changes the
//! job once per round (`--rounds`, default 20, after one warm-up round): each round moves the
//! emulator's clock so that the job has exactly one new metrics event and sends
//! `refreshTrainingJob`. Every client notes when the update carrying
//! the new event arrives. Prints, over all deliveries, p50/p99/max of the time from sending
//! the refresh to the update's arrival, and per round the time until the last subscriber had
//! it; and the server's memory per idle subscriber (VmRSS of the server process once all N are
//! subscribed and idle, minus VmRSS before connecting, divided by N).
//!
//! ```sh
//! cargo build --release --bins --example fanout_bench
//! target/release/examples/fanout_bench --subscribers 10000 --rounds 20
//! ```
//!
//! **`availableModels` under load** (`--wrk`). Trains a model to READY, checks that a READER
//! token sees it with its system prompt, then runs `wrk` with `bench/available_models.lua`
//! against the server and prints wrk's report (`--wrk-runs 3` for a median of three).
//! `--serve-trained` sets up the same server, prints its URL and the READER token, and stays up
//! until Ctrl-C, to point any load tool at it.
//!
//! The server is `target/release/tuner` (next to this example's directory; `--tuner PATH` for
//! another), started on `127.0.0.1:0` with a fresh SQLite database and secret key in a
//! temporary directory, JSON logs and a one-hour poll interval, so that only the benchmark's
//! refreshes change the job. `--database-url postgres://USER@HOST:PORT/DB` instead creates a
//! scratch database `tuner_bench_...` on that Postgres server and drops it afterwards. The
//! emulator runs in this process with a manual clock. `RUST_LOG` is passed on to the server.
//! Exits non-zero on any failure (a subscriber missing a change, an error, the server logging
//! an error).
//!
//! Each subscriber takes one file descriptor here and one in the server: the soft limit of
//! open files is raised to the hard limit when needed (`ulimit -n` shows it; the server
//! inherits it). Results are recorded in BENCHMARKS.md.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, ensure, Context, Result};
use base64::Engine;
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tuner_emulator::{ClockMode, Emulator, EmulatorConfig};

/// API key the emulator expects.
const PROVIDER_KEY: &str = "sk-bench-emulator-0000";
/// Training blocks in the job; with `EPOCHS` epochs of batch 1 the job has 100 steps.
const BLOCKS: usize = 10;
const EPOCHS: u32 = 10;
/// Metrics events the emulator emits while the job runs (one per step here).
const SAMPLES: u32 = 100;
/// Virtual seconds between two metrics events.
const SECONDS_PER_SAMPLE: u64 = 10;
/// Emulator phases before running (seconds).
const VALIDATING_SECS: u64 = 2;
const QUEUED_SECS: u64 = 2;
/// The job ends with its last metrics event: at most this many rounds (warm-up included).
const MAX_ROUNDS: usize = SAMPLES as usize - 2;
const RULES: [&str; 2] = [
    "Always answer in a friendly, professional tone.",
    "Keep answers under three sentences.",
];
/// What a bot platform asks (the same query as `bench/available_models.lua`).
const AVAILABLE_MODELS: &str = "{ availableModels { id name providerModel systemPrompt \
    baseModel retiresAt rulesChangedSinceTraining } }";
const UPDATES: &str = "subscription { trainingJobUpdates { job { id status } \
    newEvents { id } newMetrics { step trainLoss } } }";

/// Benchmarks a `tuner serve` process: subscription fan-out (default) or `availableModels`
/// under wrk (`--wrk`).
#[derive(Parser, Debug)]
#[command(name = "fanout_bench")]
struct Args {
    /// Concurrent WebSocket subscribers.
    #[arg(long, default_value_t = 10_000)]
    subscribers: usize,
    /// Measured rounds (one job change each).
    #[arg(long, default_value_t = 20)]
    rounds: usize,
    /// Unmeasured rounds before them.
    #[arg(long, default_value_t = 1)]
    warmup_rounds: usize,
    /// Subscribers connecting at the same time.
    #[arg(long, default_value_t = 200)]
    connect_concurrency: usize,
    /// Seconds every subscriber has to receive a round's change.
    #[arg(long, default_value_t = 60)]
    round_timeout: u64,
    /// Seconds to wait, once all are subscribed, before sampling the server's memory.
    #[arg(long, default_value_t = 3)]
    idle_secs: u64,
    /// Milliseconds of quiet after each round (late or extra updates are counted then).
    #[arg(long, default_value_t = 500)]
    pause_ms: u64,
    /// The `tuner` binary [default: `tuner` in the directory above this example's].
    #[arg(long)]
    tuner: Option<PathBuf>,
    /// A Postgres server to bench on instead of SQLite: `postgres://USER@HOST:PORT/DB` (DB is
    /// only used to create and drop a scratch database).
    #[arg(long)]
    database_url: Option<String>,
    /// Run wrk against `availableModels` of a READY model instead of the fan-out.
    #[arg(long, conflicts_with = "serve_trained")]
    wrk: bool,
    /// Set up a server with a READY model, print its URL and a READER token, stay up until
    /// Ctrl-C.
    #[arg(long)]
    serve_trained: bool,
    /// wrk threads.
    #[arg(long, default_value_t = 2)]
    wrk_threads: usize,
    /// wrk connections.
    #[arg(long, default_value_t = 64)]
    wrk_connections: usize,
    /// wrk duration.
    #[arg(long, default_value = "30s")]
    wrk_duration: String,
    /// wrk runs on the same server (the summary gives their median).
    #[arg(long, default_value_t = 1)]
    wrk_runs: usize,
    /// Have wrk check every answer (costs client CPU).
    #[arg(long)]
    wrk_check: bool,
    /// The wrk script.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/available_models.lua"))]
    wrk_script: PathBuf,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("fanout_bench failed: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<()> {
    let tuner = match &args.tuner {
        Some(path) => path.clone(),
        None => default_tuner()?,
    };
    ensure!(
        tuner.is_file(),
        "{} not found: build it with `cargo build --release --bins` or pass --tuner",
        tuner.display()
    );
    let database = Scratch::create(args.database_url.as_deref()).await?;
    let result = bench(&args, &tuner, &database).await;
    let dropped = database.remove().await;
    result.and(dropped)
}

async fn bench(args: &Args, tuner: &Path, database: &Scratch) -> Result<()> {
    if !args.wrk && !args.serve_trained {
        ensure!(args.subscribers > 0, "--subscribers must be at least 1");
        ensure!(args.rounds > 0, "--rounds must be at least 1");
        ensure!(
            args.rounds + args.warmup_rounds <= MAX_ROUNDS,
            "at most {MAX_ROUNDS} rounds (warm-up included): the job ends after that"
        );
        ensure_open_files(args.subscribers + 256)?;
    }
    let setup = Setup::start(tuner, database).await?;
    let result = if args.wrk || args.serve_trained {
        available_models(args, &setup).await
    } else {
        fan_out(args, &setup).await
    };
    let stopped = setup.server.stop();
    let logged = setup.server.logged_problems();
    result?;
    stopped?;
    logged
}

/// `tuner` next to the directory this example lives in (`target/release/examples/..`).
fn default_tuner() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find this executable")?;
    let target = exe
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| anyhow!("{} has no grandparent directory", exe.display()))?;
    Ok(target.join("tuner"))
}

// ---------------------------------------------------------------------------------------------
// The database: a SQLite file in a temporary directory, or a scratch Postgres database.

struct Scratch {
    url: String,
    /// The server's working directory (and the SQLite file's).
    dir: tempfile::TempDir,
    /// Postgres: (admin URL, scratch database name) to drop at the end.
    postgres: Option<(String, String)>,
}

impl Scratch {
    async fn create(postgres: Option<&str>) -> Result<Scratch> {
        let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
        let Some(admin) = postgres else {
            let url = format!("sqlite://{}", dir.path().join("tuner.db").display());
            return Ok(Scratch {
                url,
                dir,
                postgres: None,
            });
        };
        ensure!(
            admin.starts_with("postgres://") || admin.starts_with("postgresql://"),
            "--database-url must be a postgres:// URL"
        );
        let name = format!("tuner_bench_{}", uuid::Uuid::now_v7().simple());
        let db = tuner::db::connect(admin)
            .await
            .with_context(|| format!("cannot connect to {admin}"))?;
        db.execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .with_context(|| format!("cannot create database {name}"))?;
        db.close().await.ok();
        Ok(Scratch {
            url: tuner::db::with_database_name(admin, &name),
            dir,
            postgres: Some((admin.to_owned(), name)),
        })
    }

    /// Drops the scratch Postgres database (the temporary directory goes with `self`).
    async fn remove(self) -> Result<()> {
        let Some((admin, name)) = &self.postgres else {
            return Ok(());
        };
        let db = tuner::db::connect(admin).await?;
        db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .with_context(|| format!("cannot drop database {name}"))?;
        db.close().await.ok();
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The server process.

/// What the server logged at WARN or ERROR.
#[derive(Default)]
struct Problems {
    warnings: usize,
    errors: usize,
    first: Vec<String>,
}

/// A running `tuner serve`; killed when dropped without `stop`.
struct Server {
    child: Mutex<Child>,
    pid: u32,
    /// `host:port`.
    address: String,
    stdout: Arc<Mutex<Vec<String>>>,
    /// The last log lines, for a failure report.
    recent: Arc<Mutex<VecDeque<String>>>,
    problems: Arc<Mutex<Problems>>,
}

impl Server {
    fn start(tuner: &Path, scratch: &Scratch) -> Result<Server> {
        let key = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>());
        let mut command = Command::new(tuner);
        // The server's RUST_LOG is this process's, but the line saying where it listens (logged
        // by `tuner::cli` at INFO) must get through.
        match std::env::var("RUST_LOG") {
            Ok(filter) if !filter.trim().is_empty() => {
                command.env("RUST_LOG", format!("{filter},tuner::cli=info"))
            }
            _ => command.env_remove("RUST_LOG"),
        };
        let mut child = command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .current_dir(scratch.dir.path())
            .env("TUNER_DATABASE_URL", &scratch.url)
            .env("TUNER_LOG_FORMAT", "json")
            .env("TUNER_SECRET_KEY", key)
            .env(
                "TUNER_SECRET_KEY_FILE",
                scratch.dir.path().join("tuner.key"),
            )
            .env("TUNER_POLL_INTERVAL", "3600")
            // Every subscriber connects with the same token.
            .env("TUNER_MAX_CONNECTIONS_PER_TOKEN", "1000000")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {}", tuner.display()))?;
        let pid = child.id();
        let (stderr, stdout_pipe) = match (child.stderr.take(), child.stdout.take()) {
            (Some(stderr), Some(stdout)) => (stderr, stdout),
            _ => {
                let _ = child.kill();
                bail!("the server's output pipes are missing");
            }
        };
        let (sender, receiver) = mpsc::channel();
        let recent = Arc::new(Mutex::new(VecDeque::new()));
        let problems = Arc::new(Mutex::new(Problems::default()));
        {
            let recent = recent.clone();
            let problems = problems.clone();
            std::thread::spawn(move || read_log(stderr, &sender, &recent, &problems));
        }
        let stdout = Arc::new(Mutex::new(Vec::new()));
        {
            let lines = stdout.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout_pipe).lines().map_while(Result::ok) {
                    if let Ok(mut lines) = lines.lock() {
                        lines.push(line);
                    }
                }
            });
        }
        let Ok(address) = receiver.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            let _ = child.wait();
            let lines = recent
                .lock()
                .map(|lines| lines.iter().cloned().collect::<Vec<_>>().join("\n"))
                .unwrap_or_default();
            bail!(
                "the server did not say where it listens within 60 s; its last log lines:\n{lines}"
            );
        };
        Ok(Server {
            child: Mutex::new(child),
            pid,
            address,
            stdout,
            recent,
            problems,
        })
    }

    fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The ADMIN token of the first-start banner.
    async fn printed_secret(&self) -> Result<String> {
        for _ in 0..600 {
            let found = self.stdout.lock().ok().and_then(|lines| {
                lines.iter().find_map(|l| {
                    l.split_whitespace()
                        .find(|w| w.starts_with("tnr_"))
                        .map(str::to_owned)
                })
            });
            if let Some(secret) = found {
                return Ok(secret);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("the server printed no ADMIN token (is the database really new?)")
    }

    /// VmRSS of the server process, in kB.
    fn rss_kb(&self) -> Result<u64> {
        status_kb(&format!("/proc/{}/status", self.pid), "VmRSS:")
    }

    /// User + system CPU time of the server process.
    fn cpu(&self) -> Result<Duration> {
        cpu_time(&format!("/proc/{}/stat", self.pid))
    }

    fn recent_log(&self) -> String {
        self.recent
            .lock()
            .map(|lines| lines.iter().cloned().collect::<Vec<_>>().join("\n"))
            .unwrap_or_default()
    }

    /// Fails when the server logged an error; prints warnings.
    fn logged_problems(&self) -> Result<()> {
        let problems = self
            .problems
            .lock()
            .map_err(|_| anyhow!("log reader panicked"))?;
        if problems.warnings + problems.errors > 0 {
            println!(
                "server log: {} warnings, {} errors; first of them:\n{}",
                problems.warnings,
                problems.errors,
                problems.first.join("\n")
            );
        }
        ensure!(problems.errors == 0, "the server logged errors");
        Ok(())
    }

    /// SIGTERM, then up to 20 s for a clean exit (SIGKILL after that).
    fn stop(&self) -> Result<()> {
        let mut child = self
            .child
            .lock()
            .map_err(|_| anyhow!("server handle poisoned"))?;
        if let Some(status) = child.try_wait()? {
            // Ctrl-C in a terminal reaches the server too: a clean exit is fine.
            ensure!(
                status.success(),
                "the server exited with {status} before the end; its last log lines:\n{}",
                self.recent_log()
            );
            return Ok(());
        }
        let killed = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .context("cannot run kill")?;
        ensure!(killed.success(), "kill -TERM {} failed", self.pid);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait()? {
                ensure!(status.success(), "the server exited with {status}");
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        child.kill().ok();
        child.wait().ok();
        bail!("the server did not stop within 20 s of SIGTERM (killed)")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(child) = self.child.get_mut() {
            if let Ok(None) = child.try_wait() {
                child.kill().ok();
                child.wait().ok();
            }
        }
    }
}

/// Reads the server's JSON log: sends the listening address once, counts problems, keeps the
/// last lines. Keeps draining the pipe so the server never blocks on it.
fn read_log(
    stderr: std::process::ChildStderr,
    address: &mpsc::Sender<String>,
    recent: &Mutex<VecDeque<String>>,
    problems: &Mutex<Problems>,
) {
    let mut listening = false;
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if !listening {
            let log: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
            if let Some(found) = log["address"].as_str() {
                listening = true;
                let _ = address.send(found.to_owned());
            }
        }
        let error = line.contains("\"level\":\"ERROR\"");
        if error || line.contains("\"level\":\"WARN\"") {
            if let Ok(mut problems) = problems.lock() {
                if error {
                    problems.errors += 1;
                } else {
                    problems.warnings += 1;
                }
                if problems.first.len() < 10 {
                    problems.first.push(line.clone());
                }
            }
        }
        if let Ok(mut recent) = recent.lock() {
            if recent.len() == 30 {
                recent.pop_front();
            }
            recent.push_back(line);
        }
    }
}

/// A `kB` field of a `/proc/*/status` file.
fn status_kb(path: &str, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
        .ok_or_else(|| anyhow!("no {field} in {path}"))
}

/// utime + stime of a `/proc/*/stat` file (in clock ticks of 1/100 s, Linux's USER_HZ).
fn cpu_time(path: &str) -> Result<Duration> {
    let stat = std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?;
    // Fields after the command name (which may hold spaces) start with the state, field 3.
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| anyhow!("unexpected {path}"))?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| -> Result<u64> {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| anyhow!("unexpected {path}"))
    };
    // utime and stime are fields 14 and 15, i.e. 11 and 12 after the state.
    Ok(Duration::from_millis((ticks(11)? + ticks(12)?) * 10))
}

/// Makes sure this process (and the server it starts) may open `needed` files, raising the
/// soft limit to the hard one with `prlimit` when it is lower.
fn ensure_open_files(needed: usize) -> Result<()> {
    let read = || -> Result<(u64, String)> {
        let limits = std::fs::read_to_string("/proc/self/limits")?;
        let line = limits
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .ok_or_else(|| anyhow!("no open-files limit in /proc/self/limits"))?;
        let mut numbers = line["Max open files".len()..].split_whitespace();
        let soft = numbers.next().unwrap_or("0");
        let hard = numbers.next().unwrap_or("0").to_owned();
        let soft = if soft == "unlimited" {
            u64::MAX
        } else {
            soft.parse()?
        };
        Ok((soft, hard))
    };
    let (soft, hard) = read()?;
    if soft >= needed as u64 {
        return Ok(());
    }
    let pid = std::process::id().to_string();
    let raised = Command::new("prlimit")
        .args(["--pid", &pid, &format!("--nofile={hard}:{hard}")])
        .status();
    let (soft, _) = read()?;
    ensure!(
        soft >= needed as u64,
        "{needed} open files are needed but the limit is {soft} (hard {hard}; prlimit: {raised:?}): \
         raise it with `ulimit -n {needed}` or use fewer --subscribers"
    );
    println!("raised the open-files limit to {soft}");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Setting up: emulator, server, credentials, rules, model, blocks, credits and a running job.

struct Setup {
    emulator: Emulator,
    server: Server,
    http: reqwest::Client,
    admin: String,
    job_id: String,
}

impl Setup {
    async fn start(tuner: &Path, scratch: &Scratch) -> Result<Setup> {
        let emulator = Emulator::spawn(EmulatorConfig {
            api_key: Some(PROVIDER_KEY.to_owned()),
            clock: ClockMode::Manual,
            validating_secs: VALIDATING_SECS,
            queued_secs: QUEUED_SECS,
            running_secs: u64::from(SAMPLES) * SECONDS_PER_SAMPLE,
            steps: SAMPLES,
            ..EmulatorConfig::default()
        })
        .await
        .context("cannot start the emulator")?;
        let server = Server::start(tuner, scratch)?;
        let admin = server.printed_secret().await?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()?;
        let mut setup = Setup {
            emulator,
            server,
            http,
            admin,
            job_id: String::new(),
        };
        grant_credits(tuner, scratch).await?;
        setup
            .admin_gql(
                "mutation($key: String!, $url: String!) { setProviderCredentials(provider: \"openai\", \
                 apiKey: $key, baseUrl: $url) { provider } }",
                json!({ "key": PROVIDER_KEY, "url": setup.emulator.base_url() }),
            )
            .await?;
        for rule in RULES {
            setup
                .admin_gql(
                    "mutation($text: String!) { createGlobalRule(text: $text) { id } }",
                    json!({ "text": rule }),
                )
                .await?;
        }
        let model = setup
            .admin_gql(
                "mutation { createCustomModel(input: { name: \"support\" }) { id } }",
                json!({}),
            )
            .await?;
        let model_id = text(&model["createCustomModel"]["id"])?;
        for i in 0..BLOCKS {
            setup
                .admin_gql(
                    "mutation($prompt: String!, $response: String!) { createTrainingBlock(input: \
                     { exchanges: [{ prompt: $prompt, response: $response }] }) { id } }",
                    json!({
                        "prompt": format!("Question {i}: where is my order?"),
                        "response": format!("Answer {i}: it ships within two days; here is how to track it."),
                    }),
                )
                .await?;
        }
        let run = setup
            .admin_gql(
                "mutation($id: ID!, $epochs: Int!) { runTrainingJob(modelId: $id, input: { suffix: \
                 \"bench\", hyperparameters: { nEpochs: $epochs, batchSize: 1 } }) { id status } }",
                json!({ "id": model_id, "epochs": EPOCHS }),
            )
            .await?;
        setup.job_id = text(&run["runTrainingJob"]["id"])?;
        // Past validation and queueing: the job runs, its first metrics event still ahead.
        setup.emulator.advance(VALIDATING_SECS + QUEUED_SECS + 1);
        let status = setup.refresh().await?;
        ensure!(status == "RUNNING", "the job is {status}, not RUNNING");
        Ok(setup)
    }

    async fn gql(&self, token: &str, query: &str, variables: Value) -> Result<Value> {
        let response = self
            .http
            .post(format!("{}/graphql", self.server.base_url()))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .context("GraphQL request failed")?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .with_context(|| format!("GraphQL answer ({status}) is not JSON"))?;
        let errors = &body["errors"];
        ensure!(
            status.is_success() && errors.is_null(),
            "GraphQL error ({status}) for `{query}`: {errors}"
        );
        Ok(body["data"].clone())
    }

    async fn admin_gql(&self, query: &str, variables: Value) -> Result<Value> {
        self.gql(&self.admin, query, variables).await
    }

    /// `refreshTrainingJob`; returns the job's status.
    async fn refresh(&self) -> Result<String> {
        let data = self
            .admin_gql(
                "mutation($id: ID!) { refreshTrainingJob(id: $id) { id status } }",
                json!({ "id": self.job_id }),
            )
            .await?;
        text(&data["refreshTrainingJob"]["status"])
    }
}

fn text(value: &Value) -> Result<String> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("expected a string, got {value}"))
}

/// `tuner credits grant --workspace default 1000` on the server's database.
async fn grant_credits(tuner: &Path, scratch: &Scratch) -> Result<()> {
    let mut command = Command::new(tuner);
    command
        .args(["credits", "grant", "--workspace", "default", "1000"])
        .current_dir(scratch.dir.path())
        .env("TUNER_DATABASE_URL", &scratch.url)
        .env("TUNER_LOG_FORMAT", "json");
    let output = tokio::task::spawn_blocking(move || command.output())
        .await?
        .context("cannot run tuner credits grant")?;
    ensure!(
        output.status.success(),
        "tuner credits grant failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Subscription fan-out.

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What every client shares: where to connect, the time base and the current round.
struct Target {
    url: String,
    token: String,
    base: Instant,
    round: AtomicUsize,
}

/// What a client tells the benchmark.
enum Report {
    /// Subscribed, and the current state arrived.
    Ready,
    /// An update arrived `at` (since `Target::base`) while `round` was current; `first` when
    /// it is the first in that round to carry new events.
    Update {
        round: usize,
        at: Duration,
        first: bool,
    },
    Failed {
        client: usize,
        error: String,
    },
}

async fn fan_out(args: &Args, setup: &Setup) -> Result<()> {
    let n = args.subscribers;
    let server = &setup.server;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = server.rss_kb()?;
    let target = Arc::new(Target {
        url: format!("ws://{}/graphql", server.address),
        token: setup.admin.clone(),
        base: Instant::now(),
        round: AtomicUsize::new(0),
    });
    let (reports, mut inbox) = unbounded_channel();
    let gate = Arc::new(Semaphore::new(args.connect_concurrency.max(1)));
    println!(
        "connecting {n} subscribers to {} ({} at a time)...",
        target.url, args.connect_concurrency
    );
    let started = Instant::now();
    let clients: Vec<_> = (0..n)
        .map(|i| tokio::spawn(client(i, target.clone(), gate.clone(), reports.clone())))
        .collect();
    drop(reports);
    let outcome = measure(args, setup, &target, &mut inbox, rss_before, started).await;
    for client in &clients {
        client.abort();
    }
    for client in clients {
        let _ = client.await;
    }
    outcome
}

async fn measure(
    args: &Args,
    setup: &Setup,
    target: &Target,
    inbox: &mut UnboundedReceiver<Report>,
    rss_before: u64,
    started: Instant,
) -> Result<()> {
    let n = args.subscribers;
    let server = &setup.server;
    let mut ready = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
    while ready < n {
        match tokio::time::timeout_at(deadline, inbox.recv()).await {
            Err(_) => bail!("only {ready} of {n} subscribers were subscribed after 600 s"),
            Ok(None) => bail!("every client ended"),
            Ok(Some(Report::Ready)) => {
                ready += 1;
                if ready % 1000 == 0 && ready < n {
                    println!("  {ready} subscribed");
                }
            }
            Ok(Some(Report::Update { .. })) => {}
            Ok(Some(Report::Failed { client, error })) => {
                bail!("subscriber {client} failed after {ready} were subscribed: {error}")
            }
        }
    }
    let connect_time = started.elapsed();
    tokio::time::sleep(Duration::from_secs(args.idle_secs)).await;
    let rss_idle = server.rss_kb()?;
    let own_rss = status_kb("/proc/self/status", "VmRSS:")?;
    println!(
        "{n} subscribed in {:.1} s; server RSS {} before, {} with all idle: {:.1} KiB per subscriber",
        connect_time.as_secs_f64(),
        mib(rss_before),
        mib(rss_idle),
        rss_idle.saturating_sub(rss_before) as f64 / n as f64
    );

    let total = args.warmup_rounds + args.rounds;
    let mut all = Vec::with_capacity(n * args.rounds);
    let mut rounds = Vec::with_capacity(args.rounds);
    let cpu_start = server.cpu()?;
    let own_cpu_start = cpu_time("/proc/self/stat")?;
    println!(
        "\n{:>6} {:>11} {:>9} {:>9} {:>9} {:>8}",
        "round", "refresh ms", "p50 ms", "p99 ms", "last ms", "extra"
    );
    for round in 1..=total {
        setup.emulator.advance(SECONDS_PER_SAMPLE);
        target.round.store(round, Ordering::SeqCst);
        let t0 = target.base.elapsed();
        let status = setup.refresh().await?;
        let answered = target.base.elapsed().saturating_sub(t0);
        ensure!(
            status == "RUNNING",
            "round {round}: the job is {status}, not RUNNING"
        );
        let mut latencies = Vec::with_capacity(n);
        let mut extra = 0usize;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(args.round_timeout);
        while latencies.len() < n {
            match tokio::time::timeout_at(deadline, inbox.recv()).await {
                Err(_) => bail!(
                    "round {round}: only {} of {n} subscribers got the change within {} s ({} missing)",
                    latencies.len(),
                    args.round_timeout,
                    n - latencies.len()
                ),
                Ok(None) => bail!("every client ended"),
                Ok(Some(Report::Update { round: r, at, first })) => {
                    if first && r == round {
                        latencies.push(at.saturating_sub(t0));
                    } else {
                        extra += 1;
                    }
                }
                Ok(Some(Report::Ready)) => {}
                Ok(Some(Report::Failed { client, error })) => {
                    bail!("round {round}: subscriber {client} failed: {error}")
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(args.pause_ms)).await;
        while let Ok(report) = inbox.try_recv() {
            match report {
                Report::Update { .. } => extra += 1,
                Report::Ready => {}
                Report::Failed { client, error } => {
                    bail!("round {round}: subscriber {client} failed: {error}")
                }
            }
        }
        latencies.sort_unstable();
        let last = latencies[latencies.len() - 1];
        let warmup = round <= args.warmup_rounds;
        println!(
            "{:>6} {:>11.1} {:>9.1} {:>9.1} {:>9.1} {:>8}{}",
            round,
            ms(answered),
            ms(percentile(&latencies, 0.50)),
            ms(percentile(&latencies, 0.99)),
            ms(last),
            extra,
            if warmup { "  (warm-up)" } else { "" }
        );
        if warmup {
            continue;
        }
        all.extend_from_slice(&latencies);
        rounds.push(Round {
            answered,
            last,
            extra,
        });
    }
    let cpu = server.cpu()?.saturating_sub(cpu_start);
    let own_cpu = cpu_time("/proc/self/stat")?.saturating_sub(own_cpu_start);
    let rss_end = server.rss_kb()?;

    all.sort_unstable();
    let mut lasts: Vec<Duration> = rounds.iter().map(|r| r.last).collect();
    lasts.sort_unstable();
    let mut answers: Vec<Duration> = rounds.iter().map(|r| r.answered).collect();
    answers.sort_unstable();
    let extra: usize = rounds.iter().map(|r| r.extra).sum();
    let measured = rounds.len() as u32;
    println!(
        "\n== subscription fan-out: {n} subscribers, {measured} changes ({} warm-up), {} ==",
        args.warmup_rounds,
        if args.database_url.is_some() {
            "Postgres"
        } else {
            "SQLite"
        }
    );
    println!(
        "connect + subscribe      {:.1} s ({} at a time)",
        connect_time.as_secs_f64(),
        args.connect_concurrency
    );
    println!(
        "server RSS               {} before connecting, {} all idle, {} at the end",
        mib(rss_before),
        mib(rss_idle),
        mib(rss_end)
    );
    println!(
        "memory per idle sub.     {:.1} KiB",
        rss_idle.saturating_sub(rss_before) as f64 / n as f64
    );
    println!(
        "delivery (all {:>7})    p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        all.len(),
        ms(percentile(&all, 0.50)),
        ms(percentile(&all, 0.99)),
        ms(all[all.len() - 1])
    );
    println!(
        "time to last subscriber  p50 {:.1} ms, max {:.1} ms (per change)",
        ms(percentile(&lasts, 0.50)),
        ms(lasts[lasts.len() - 1])
    );
    println!(
        "refresh mutation answer  p50 {:.1} ms, max {:.1} ms",
        ms(percentile(&answers, 0.50)),
        ms(answers[answers.len() - 1])
    );
    println!(
        "server CPU               {:.0} ms per change ({:.1} µs per delivery)",
        ms(cpu / measured),
        cpu.as_secs_f64() * 1e6 / all.len() as f64
    );
    println!(
        "bench (client) CPU       {:.0} ms per change, on the same cores",
        ms(own_cpu / measured)
    );
    println!("extra updates            {extra} (beyond one per subscriber and change)");
    println!("bench process RSS        {}", mib(own_rss));
    Ok(())
}

struct Round {
    answered: Duration,
    last: Duration,
    extra: usize,
}

/// One subscriber: connects, subscribes, reports the first update as `Ready`, then every
/// update, until it fails or is aborted.
async fn client(
    index: usize,
    target: Arc<Target>,
    gate: Arc<Semaphore>,
    reports: UnboundedSender<Report>,
) {
    let fail = |error: String| {
        let _ = reports.send(Report::Failed {
            client: index,
            error,
        });
    };
    let Ok(permit) = gate.acquire_owned().await else {
        return;
    };
    let opened = tokio::time::timeout(Duration::from_secs(60), subscribe(&target)).await;
    let mut ws = match opened {
        Ok(Ok(ws)) => ws,
        Ok(Err(error)) => return fail(format!("{error:#}")),
        Err(_) => return fail("no first update within 60 s".to_owned()),
    };
    drop(permit);
    if reports.send(Report::Ready).is_err() {
        return;
    }
    let mut recorded = 0;
    loop {
        let message = ws.next().await;
        let at = target.base.elapsed();
        let text = match message {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
            Some(Ok(other)) => return fail(format!("unexpected message {other:?}")),
            Some(Err(error)) => return fail(format!("connection failed: {error}")),
            None => return fail("the server closed the connection".to_owned()),
        };
        let parsed = serde_json::from_str(text.as_str()).map_err(anyhow::Error::from);
        match parsed.and_then(|message| classify(&message)) {
            Ok(Some(new_events)) => {
                let round = target.round.load(Ordering::SeqCst);
                let first = new_events && round > recorded;
                if first {
                    recorded = round;
                }
                if reports.send(Report::Update { round, at, first }).is_err() {
                    return;
                }
            }
            Ok(None) => {
                let pong = json!({ "type": "pong" }).to_string();
                if let Err(error) = ws.send(Message::Text(pong.into())).await {
                    return fail(format!("cannot answer a ping: {error}"));
                }
            }
            Err(error) => return fail(format!("{error:#}")),
        }
    }
}

/// Opens the WebSocket, authenticates, subscribes and waits for the current state.
async fn subscribe(target: &Target) -> Result<Ws> {
    let mut request = target.url.as_str().into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    // Small read buffers: 10,000 clients with the default 128 KiB would take over 1 GiB here.
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let (mut ws, _) =
        tokio_tungstenite::connect_async_with_config(request, Some(config), true).await?;
    let init = json!({
        "type": "connection_init",
        "payload": { "authorization": format!("Bearer {}", target.token) },
    });
    ws.send(Message::Text(init.to_string().into())).await?;
    let ack = next_json(&mut ws).await?;
    ensure!(
        ack["type"] == "connection_ack",
        "expected connection_ack, got {ack}"
    );
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": UPDATES } });
    ws.send(Message::Text(subscribe.to_string().into())).await?;
    let first = next_json(&mut ws).await?;
    classify(&first)?.ok_or_else(|| anyhow!("expected an update, got {first}"))?;
    Ok(ws)
}

async fn next_json(ws: &mut Ws) -> Result<Value> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(text.as_str())?),
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
            Some(Ok(other)) => bail!("unexpected message {other:?}"),
            Some(Err(error)) => return Err(error.into()),
            None => bail!("the server closed the connection"),
        }
    }
}

/// A server message: `Some(whether it carries new events)` for an update, `None` for a ping;
/// an error for anything else (errors, completion).
fn classify(message: &Value) -> Result<Option<bool>> {
    match message["type"].as_str() {
        Some("next") => {
            let payload = &message["payload"];
            ensure!(payload["errors"].is_null(), "subscription error: {message}");
            let update = &payload["data"]["trainingJobUpdates"];
            ensure!(
                update["job"]["id"].is_string(),
                "unexpected update: {message}"
            );
            Ok(Some(
                update["newEvents"]
                    .as_array()
                    .is_some_and(|events| !events.is_empty()),
            ))
        }
        Some("ping") => Ok(None),
        _ => bail!("unexpected message {message}"),
    }
}

/// Nearest-rank percentile of sorted durations.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn mib(kb: u64) -> String {
    format!("{:.1} MiB", kb as f64 / 1024.0)
}

// ---------------------------------------------------------------------------------------------
// availableModels: a READY model, checked, then wrk (or a server left up).

async fn available_models(args: &Args, setup: &Setup) -> Result<()> {
    setup
        .emulator
        .advance(u64::from(SAMPLES) * SECONDS_PER_SAMPLE + 60);
    let status = setup.refresh().await?;
    ensure!(status == "SUCCEEDED", "the job is {status}, not SUCCEEDED");
    let created = setup
        .admin_gql(
            "mutation { createApiToken(name: \"bench-reader\", role: READER) { secret } }",
            json!({}),
        )
        .await?;
    let reader = text(&created["createApiToken"]["secret"])?;
    check_available_models(setup, &reader).await?;
    let url = format!("{}/graphql", setup.server.base_url());
    if args.serve_trained {
        println!("\ntuner serves one READY model at {url}");
        println!("READER token: {reader}");
        println!(
            "  TUNER_TOKEN={reader} wrk -t2 -c64 -d30s --latency -s {} {url}",
            args.wrk_script.display()
        );
        println!("Ctrl-C stops it.");
        tokio::signal::ctrl_c()
            .await
            .context("cannot wait for Ctrl-C")?;
        return Ok(());
    }
    let mut results = Vec::new();
    for run in 1..=args.wrk_runs.max(1) {
        let rss_before = setup.server.rss_kb()?;
        let cpu_before = setup.server.cpu()?;
        let output = wrk(args, &url, &reader).await?;
        let cpu = setup.server.cpu()?.saturating_sub(cpu_before);
        println!("--- wrk run {run} ---\n{output}");
        let mut result = WrkResult::parse(&output)?;
        result.server_cpu_us = cpu.as_secs_f64() * 1e6 / result.requests.max(1) as f64;
        ensure!(
            result.bad == 0,
            "{} requests got a bad answer (non-2xx, socket errors or wrong body)",
            result.bad
        );
        check_available_models(setup, &reader).await?;
        let rss_after = setup.server.rss_kb()?;
        println!(
            "server RSS {} before, {} after; server CPU {:.1} s ({:.0} µs per request)",
            mib(rss_before),
            mib(rss_after),
            cpu.as_secs_f64(),
            result.server_cpu_us
        );
        results.push(result);
    }
    let median = |value: fn(&WrkResult) -> f64| {
        let mut values: Vec<f64> = results.iter().map(value).collect();
        values.sort_by(f64::total_cmp);
        values[(values.len() - 1) / 2]
    };
    println!(
        "\n== availableModels: wrk -t{} -c{} -d{}, {} run(s), median, {} ==",
        args.wrk_threads,
        args.wrk_connections,
        args.wrk_duration,
        results.len(),
        if args.database_url.is_some() {
            "Postgres"
        } else {
            "SQLite"
        }
    );
    println!(
        "requests/s {:.0}, latency p50 {:.2} ms, p99 {:.2} ms, server CPU {:.0} µs per request",
        median(|r| r.requests_per_sec),
        median(|r| r.p50_ms),
        median(|r| r.p99_ms),
        median(|r| r.server_cpu_us)
    );
    for (i, r) in results.iter().enumerate() {
        println!(
            "  run {}: {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms, server CPU {:.0} µs per request",
            i + 1,
            r.requests_per_sec,
            r.p50_ms,
            r.p99_ms,
            r.server_cpu_us
        );
    }
    println!("server RSS at the end {}", mib(setup.server.rss_kb()?));
    Ok(())
}

/// The READER sees exactly the trained model, with the rules as its system prompt.
async fn check_available_models(setup: &Setup, reader: &str) -> Result<()> {
    let data = setup.gql(reader, AVAILABLE_MODELS, json!({})).await?;
    let models = data["availableModels"]
        .as_array()
        .ok_or_else(|| anyhow!("no availableModels in {data}"))?;
    ensure!(models.len() == 1, "expected one available model: {data}");
    let model = &models[0];
    ensure!(
        model["name"] == "support"
            && model["systemPrompt"] == RULES.join("\n").as_str()
            && model["providerModel"]
                .as_str()
                .is_some_and(|m| m.starts_with("ft:")),
        "unexpected available model: {model}"
    );
    Ok(())
}

async fn wrk(args: &Args, url: &str, reader: &str) -> Result<String> {
    let mut command = Command::new("wrk");
    command
        .arg(format!("-t{}", args.wrk_threads))
        .arg(format!("-c{}", args.wrk_connections))
        .arg(format!("-d{}", args.wrk_duration))
        .arg("--latency")
        .arg("-s")
        .arg(&args.wrk_script)
        .arg(url)
        .env("TUNER_TOKEN", reader)
        .env("WRK_CHECK_BODY", if args.wrk_check { "1" } else { "0" });
    let output = tokio::task::spawn_blocking(move || command.output())
        .await?
        .context("cannot run wrk (install it: apt-get install wrk)")?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    ensure!(
        output.status.success(),
        "wrk failed ({}): {}{}",
        output.status,
        stdout,
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(stdout)
}

struct WrkResult {
    requests: u64,
    requests_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// Non-2xx answers, socket errors and (with --wrk-check) wrong bodies.
    bad: u64,
    /// Server CPU time per request (filled in by the caller).
    server_cpu_us: f64,
}

impl WrkResult {
    fn parse(output: &str) -> Result<WrkResult> {
        let mut requests = None;
        let mut requests_per_sec = None;
        let mut p50_ms = None;
        let mut p99_ms = None;
        let mut bad = 0;
        for line in output.lines().map(str::trim) {
            let mut words = line.split_whitespace();
            match (words.next(), words.next()) {
                (Some("Requests/sec:"), Some(value)) => requests_per_sec = value.parse().ok(),
                (Some("50%"), Some(value)) => p50_ms = wrk_ms(value),
                (Some("99%"), Some(value)) => p99_ms = wrk_ms(value),
                (Some(count), Some("requests")) => requests = count.parse().ok(),
                _ => {}
            }
            if let Some(n) = line.strip_prefix("Non-2xx or 3xx responses:") {
                bad += n.trim().parse::<u64>()?;
            }
            if let Some(n) = line.strip_prefix("Bad answers:") {
                bad += n.trim().parse::<u64>()?;
            }
            if let Some(errors) = line.strip_prefix("Socket errors:") {
                // "connect 0, read 0, write 0, timeout 0"
                for part in errors.split(',') {
                    if let Some(n) = part.split_whitespace().nth(1) {
                        bad += n.parse::<u64>()?;
                    }
                }
            }
        }
        match (requests, requests_per_sec, p50_ms, p99_ms) {
            (Some(requests), Some(requests_per_sec), Some(p50_ms), Some(p99_ms)) => Ok(WrkResult {
                requests,
                requests_per_sec,
                p50_ms,
                p99_ms,
                bad,
                server_cpu_us: 0.0,
            }),
            _ => bail!("cannot read wrk's report:\n{output}"),
        }
    }
}

/// A wrk duration (`850.00us`, `1.23ms`, `2.01s`, `1.00m`) in milliseconds.
fn wrk_ms(value: &str) -> Option<f64> {
    let split = value.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = value.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match unit {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        _ => return None,
    };
    Some(number * factor)
}
