//! A command-line dashboard for tuner's training jobs: a reference client of the
//! `trainingJobUpdates` subscription.
//!
//! ```sh
//! cargo run --example watch_job -- --url http://127.0.0.1:8080 --token TOKEN --job JOB_ID
//! TUNER_TOKEN=tnr_... cargo run --example watch_job -- --model MODEL_ID
//! ```
//!
//! It opens a WebSocket on `/graphql` (`http` becomes `ws`, `https` becomes `wss`) with the
//! `graphql-transport-ws` sub-protocol, sends the token (any role) in the `connection_init`
//! payload, subscribes to `trainingJobUpdates` for one job or for one custom model's jobs, and
//! prints a line for each status change, provider message and training metrics point:
//!
//! ```text
//! 12:00:01 SUBMITTING        job 01a200c2-656b-733a-bcaa-da48cb83ad29
//! 12:00:07                   step 10/96  train loss 1.536
//! 12:00:07 RUNNING           training
//! 12:00:17 SUCCEEDED         fine-tuned model ft:gpt-4o-mini-2024-07-18:tuner-emulator:support:7kirGXSP
//! ```
//!
//! It exits 0 when the job has ended: with `--job`, when the server completes the
//! subscription; with `--model`, when one of the model's jobs reaches SUCCEEDED, FAILED or
//! CANCELLED (start it before `runTrainingJob` to see the new job from its first status). It
//! exits 1 with a message when the token or id is refused, on any other GraphQL error, and when
//! the connection is lost. `wss://` needs a TLS feature of `tokio-tungstenite` that this
//! crate does not enable.

use std::collections::HashMap;
use std::error::Error;
use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::UrlError;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{connect_async, MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Result<T, E = Box<dyn Error>> = std::result::Result<T, E>;

const PROTOCOL: &str = "graphql-transport-ws";
const SUBSCRIPTION_ID: &str = "1";
const UPDATES: &str = "subscription($jobId: ID, $modelId: ID) {
  trainingJobUpdates(jobId: $jobId, modelId: $modelId) {
    job { id status fineTunedModel error { code message } }
    newEvents { message kind }
    newMetrics { step totalSteps trainLoss validLoss }
  }
}";

/// How long the server may take to accept the connection and acknowledge `connection_init`.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the client pings the server (WebSocket ping frames).
const PING_EVERY: Duration = Duration::from_secs(20);
/// Silence after which the connection counts as lost (pings are answered well before).
const SILENCE_LIMIT: Duration = Duration::from_secs(60);
/// Width of the status column: the longest status, `VALIDATING_FILES`.
const STATUS_WIDTH: usize = 16;

/// Follows tuner's training jobs live and prints their status, messages and loss.
#[derive(Parser)]
#[command(
    name = "watch_job",
    group(clap::ArgGroup::new("filter").required(true).args(["job", "model"]))
)]
struct Args {
    /// tuner's address.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// An API token of the workspace (READER is enough).
    #[arg(long, env = "TUNER_TOKEN", hide_env_values = true)]
    token: String,
    /// Follow this training job until it ends.
    #[arg(long, value_name = "JOB_ID")]
    job: Option<String>,
    /// Follow this custom model's jobs until one of them ends.
    #[arg(long, value_name = "MODEL_ID")]
    model: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("watch_job: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &Args) -> Result<()> {
    let url = websocket_url(&args.url)?;
    let mut ws = timeout(HANDSHAKE_TIMEOUT, connect(&url, &args.token))
        .await
        .map_err(|_| format!("{url} did not accept the connection within 10 s"))??;
    let variables = json!({ "jobId": args.job, "modelId": args.model });
    let subscribe = json!({
        "id": SUBSCRIPTION_ID,
        "type": "subscribe",
        "payload": { "query": UPDATES, "variables": variables },
    });
    send(&mut ws, &subscribe).await?;
    let mut dashboard = Dashboard::new(io::stdout());
    match (&args.job, &args.model) {
        (Some(job), _) => dashboard.note(&format!("watching job {job}"))?,
        (None, Some(model)) => dashboard.note(&format!("watching the jobs of model {model}"))?,
        (None, None) => return Err("give --job or --model".into()),
    }
    let outcome = follow(&mut ws, &mut dashboard, args.job.is_none()).await;
    if outcome.is_ok() {
        // Best effort: the dashboard has what it came for even if the goodbye fails.
        let done = json!({ "id": SUBSCRIPTION_ID, "type": "complete" });
        let _ = send(&mut ws, &done).await;
        let _ = ws.close(None).await;
    }
    outcome
}

/// `http(s)://HOST[/graphql]` as the subscription endpoint `ws(s)://HOST/graphql`.
fn websocket_url(base: &str) -> Result<String> {
    let base = base.trim_end_matches('/');
    let url = if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if base.starts_with("ws://") || base.starts_with("wss://") {
        base.to_owned()
    } else {
        return Err(format!("--url must start with http:// or https://, not {base:?}").into());
    };
    if url.ends_with("/graphql") {
        Ok(url)
    } else {
        Ok(format!("{url}/graphql"))
    }
}

/// Opens the WebSocket and authenticates: returns once the server sent `connection_ack`.
async fn connect(url: &str, token: &str) -> Result<Ws> {
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", HeaderValue::from_static(PROTOCOL));
    let (mut ws, _response) = connect_async(request).await.map_err(|error| match error {
        tungstenite::Error::Url(UrlError::TlsFeatureNotEnabled) => {
            format!("cannot open {url}: this build has no TLS support for WebSocket")
        }
        other => format!("cannot open {url}: {other}"),
    })?;
    let init = json!({
        "type": "connection_init",
        "payload": { "authorization": format!("Bearer {token}") },
    });
    send(&mut ws, &init).await?;
    loop {
        let message = receive(&mut ws).await?;
        match message["type"].as_str() {
            Some("connection_ack") => return Ok(ws),
            Some("ping") => send(&mut ws, &json!({ "type": "pong" })).await?,
            _ => return Err(refusal("the server refused the connection", &message).into()),
        }
    }
}

/// Prints every update until the followed job ends; with `until_ended` (following a model)
/// returns as soon as a job reaches SUCCEEDED, FAILED or CANCELLED.
async fn follow(
    ws: &mut Ws,
    dashboard: &mut Dashboard<impl Write>,
    until_ended: bool,
) -> Result<()> {
    let mut pings = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
    let mut last_heard = Instant::now();
    loop {
        let message = tokio::select! {
            message = receive(ws) => message?,
            _ = pings.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT {
                    return Err("connection lost: no answer from the server for 60 s".into());
                }
                ws.send(Message::Ping(Vec::new().into())).await?;
                continue;
            }
        };
        last_heard = Instant::now();
        match message["type"].as_str() {
            Some("next") => {
                let payload = &message["payload"];
                if payload["errors"].as_array().is_some_and(|e| !e.is_empty()) {
                    return Err(refusal("the subscription failed", &message).into());
                }
                let ended = dashboard.update(&payload["data"]["trainingJobUpdates"])?;
                if ended && until_ended {
                    return Ok(());
                }
            }
            Some("complete") => {
                dashboard.note("the server ended the subscription")?;
                return Ok(());
            }
            Some("ping") => send(ws, &json!({ "type": "pong" })).await?,
            Some("pong") => {}
            _ => return Err(refusal("the server sent an error", &message).into()),
        }
    }
}

/// Prints updates as lines `HH:MM:SS STATUS  text`, remembering each job's last status.
struct Dashboard<W> {
    out: W,
    statuses: HashMap<String, String>,
}

impl<W: Write> Dashboard<W> {
    fn new(out: W) -> Self {
        Self {
            out,
            statuses: HashMap::new(),
        }
    }

    /// Prints one update in the order things happened: the job's new messages and metrics
    /// points (with an empty status column), then its status when it changed. A job seen for
    /// the first time gets a line with its current status and id first (and its outcome last,
    /// if it had already ended). Returns true when the job has ended.
    fn update(&mut self, update: &Value) -> io::Result<bool> {
        let job = &update["job"];
        let id = job["id"].as_str().unwrap_or("?");
        let status = job["status"].as_str().unwrap_or("?");
        let previous = self.statuses.insert(id.to_owned(), status.to_owned());
        if previous.is_none() {
            self.line(status, &format!("job {id}"))?;
        }
        // `newMetrics` holds the figures of the METRICS events among `newEvents`, in order.
        let mut metrics = update["newMetrics"].as_array().into_iter().flatten();
        for event in update["newEvents"].as_array().into_iter().flatten() {
            let figures = if event["kind"] == "METRICS" {
                metrics.next()
            } else {
                None
            };
            let text = match figures {
                Some(figures) => describe_metrics(figures),
                None => event["message"].as_str().unwrap_or_default().to_owned(),
            };
            self.line("", &text)?;
        }
        for figures in metrics {
            self.line("", &describe_metrics(figures))?;
        }
        let ended = matches!(status, "SUCCEEDED" | "FAILED" | "CANCELLED");
        // A job that had already ended when first seen still gets its outcome.
        if previous.map_or(ended, |p| p != status) {
            self.line(status, &describe_status(job))?;
        }
        Ok(ended)
    }

    fn line(&mut self, status: &str, text: &str) -> io::Result<()> {
        writeln!(self.out, "{} {status:<STATUS_WIDTH$}  {text}", clock())
    }

    /// A line about the dashboard itself rather than a job.
    fn note(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.out, "{} {text}", clock())
    }
}

/// `step 4/30  train loss 1.820  valid loss 1.910`, leaving out what the provider did not send.
fn describe_metrics(metrics: &Value) -> String {
    let mut parts = Vec::new();
    match (metrics["step"].as_i64(), metrics["totalSteps"].as_i64()) {
        (Some(step), Some(total)) => parts.push(format!("step {step}/{total}")),
        (Some(step), None) => parts.push(format!("step {step}")),
        _ => {}
    }
    if let Some(loss) = metrics["trainLoss"].as_f64() {
        parts.push(format!("train loss {loss:.3}"));
    }
    if let Some(loss) = metrics["validLoss"].as_f64() {
        parts.push(format!("valid loss {loss:.3}"));
    }
    parts.join("  ")
}

/// What a job's new status means, for the reader of the dashboard.
fn describe_status(job: &Value) -> String {
    match job["status"].as_str().unwrap_or_default() {
        "SUCCEEDED" => match job["fineTunedModel"].as_str() {
            Some(model) => format!("fine-tuned model {model}"),
            None => "done".to_owned(),
        },
        "FAILED" => {
            let error = &job["error"];
            let message = error["message"].as_str().unwrap_or("no reason given");
            match error["code"].as_str() {
                Some(code) => format!("failed: {code}: {message}"),
                None => format!("failed: {message}"),
            }
        }
        "CANCELLED" => "cancelled".to_owned(),
        "VALIDATING_FILES" => "the provider is checking the training file".to_owned(),
        "QUEUED" => "waiting for the provider to start training".to_owned(),
        "RUNNING" => "training".to_owned(),
        "PAUSED" => "paused at the provider".to_owned(),
        other => format!("now {other}"),
    }
}

/// `description: CODE: message; ...` from an `error`, `connection_error` or failed `next`.
fn refusal(description: &str, message: &Value) -> String {
    let payload = &message["payload"];
    let errors = payload["errors"].as_array().or(payload.as_array());
    let details: Vec<String> = match errors {
        Some(errors) => errors.iter().map(describe_error).collect(),
        None if payload.is_null() => vec![format!("unexpected message {message}")],
        None => vec![describe_error(payload)],
    };
    format!("{description}: {}", details.join("; "))
}

/// `CODE: message` of one GraphQL error.
fn describe_error(error: &Value) -> String {
    let message = error["message"].as_str().unwrap_or("no message");
    match error["extensions"]["code"].as_str() {
        Some(code) => format!("{code}: {message}"),
        None => message.to_owned(),
    }
}

async fn send(ws: &mut Ws, message: &Value) -> Result<()> {
    ws.send(Message::Text(message.to_string().into())).await?;
    Ok(())
}

/// The server's next protocol message; an error when the connection ends or breaks.
async fn receive(ws: &mut Ws) -> Result<Value> {
    loop {
        let message = match ws.next().await {
            Some(Ok(message)) => message,
            Some(Err(error)) => return Err(format!("connection lost: {error}").into()),
            None => return Err("connection lost: the server went away".into()),
        };
        match message {
            Message::Text(text) => return Ok(serde_json::from_str(&text)?),
            Message::Close(Some(frame)) => {
                let reason = match frame.reason.as_str() {
                    "" => String::new(),
                    reason => format!(": {reason}"),
                };
                let code = u16::from(frame.code);
                return Err(format!("the server closed the connection ({code}{reason})").into());
            }
            Message::Close(None) => return Err("the server closed the connection".into()),
            // Pings are answered by tungstenite; binary frames are not part of the protocol.
            Message::Ping(_) | Message::Pong(_) | Message::Binary(_) | Message::Frame(_) => {}
        }
    }
}

/// The local wall-clock time, `HH:MM:SS`.
fn clock() -> String {
    chrono::Local::now().format("%H:%M:%S").to_string()
}
