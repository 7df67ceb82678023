//! The `tuner` binary itself: first start, CLI commands, graceful shutdown.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::{empty_database, TestApp};

fn tuner(database_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tuner"))
        .args(args)
        .env("TUNER_DATABASE_URL", database_url)
        .env("TUNER_LOG_FORMAT", "json")
        .output()
        .expect("run tuner")
}

/// A running `tuner serve` process.
pub(crate) struct Server {
    child: Child,
    /// `host:port` it listens on.
    pub(crate) address: String,
    stdout: Arc<Mutex<Vec<String>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Starts `tuner serve` on a free port and waits until it listens.
    pub(crate) fn start(database_url: &str) -> Server {
        Self::start_with(database_url, &[])
    }

    /// Starts `tuner serve` with these extra environment variables and waits until it listens.
    pub(crate) fn start_with(database_url: &str, env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tuner"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .envs(env.iter().copied())
            .env("TUNER_DATABASE_URL", database_url)
            .env("TUNER_LOG_FORMAT", "json")
            .env(
                "TUNER_SECRET_KEY",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tuner serve");
        let (sender, receiver) = mpsc::channel();
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let log: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
                if let Some(address) = log["address"].as_str() {
                    let _ = sender.send(address.to_owned());
                }
            }
        });
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let pipe = child.stdout.take().expect("stdout");
        let lines = stdout.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                lines.lock().expect("lock").push(line);
            }
        });
        let address = receiver
            .recv_timeout(Duration::from_secs(60))
            .expect("server listens");
        Server {
            child,
            address,
            stdout,
            reader: Some(reader),
        }
    }

    /// The token the banner printed; the banner is written before the server listens, so it
    /// is only a matter of the reader thread catching up.
    fn printed_secret(&self) -> Option<String> {
        for _ in 0..600 {
            if let Some(secret) = secret_in(&self.stdout.lock().expect("lock")) {
                return Some(secret);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// Sends SIGTERM, waits for the exit, and returns the status with everything printed.
    pub(crate) fn stop(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        let status = self.child.wait().expect("wait");
        if let Some(reader) = self.reader.take() {
            reader.join().expect("reader");
        }
        let printed = self.stdout.lock().expect("lock").clone();
        (status, printed)
    }
}

impl Server {
    /// Kills the process with SIGKILL (it gets no chance to clean up) and waits for it.
    pub(crate) fn kill(mut self) -> std::process::ExitStatus {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait")
    }
}

impl Drop for Server {
    /// A failing test must not leave its server running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn secret_in(lines: &[String]) -> Option<String> {
    lines.iter().find_map(|l| {
        l.split_whitespace()
            .find(|w| w.starts_with("tnr_"))
            .map(str::to_owned)
    })
}

#[tokio::test]
async fn first_start_creates_a_workspace_and_prints_a_working_admin_token_once() {
    let (url, _dir) = empty_database().await;
    let server = Server::start(&url);
    let secret = server
        .printed_secret()
        .expect("the first start prints an ADMIN token");
    let body: Value = reqwest::Client::new()
        .post(format!("http://{}/graphql", server.address))
        .bearer_auth(&secret)
        .json(&json!({ "query": "{ viewer { role workspace { name } } }" }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(
        body["data"]["viewer"],
        json!({ "role": "ADMIN", "workspace": { "name": "default" } })
    );
    let (status, printed) = server.stop();
    assert!(status.success(), "SIGTERM shuts the server down cleanly");
    assert!(
        printed.iter().any(|l| l.contains("Authorization: Bearer")),
        "says how to use the token"
    );

    let (status, printed) = Server::start(&url).stop();
    assert!(status.success());
    assert_eq!(
        secret_in(&printed),
        None,
        "the token is printed only on the first start"
    );
}

#[tokio::test]
async fn cli_creates_workspaces_and_tokens_that_the_api_accepts() {
    let app = TestApp::spawn().await;
    let created = tuner(&app.database_url, &["workspace", "create", "acme"]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(String::from_utf8_lossy(&created.stdout).contains("acme"));

    let token = tuner(
        &app.database_url,
        &["token", "create", "--workspace", "acme", "--role", "EDITOR"],
    );
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    let stdout = String::from_utf8_lossy(&token.stdout)
        .lines()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    let secret = secret_in(&stdout).expect("the secret is printed");

    let reply = app
        .gql(&secret, "{ viewer { role workspace { name } } }", json!({}))
        .await;
    assert_eq!(
        reply.data()["viewer"],
        json!({ "role": "EDITOR", "workspace": { "name": "acme" } })
    );
}

#[tokio::test]
async fn cli_refuses_an_unknown_workspace_and_a_duplicate_name() {
    let app = TestApp::spawn().await;
    let token = tuner(
        &app.database_url,
        &["token", "create", "--workspace", "nope", "--role", "READER"],
    );
    assert!(!token.status.success());
    assert!(String::from_utf8_lossy(&token.stderr).contains("not found"));

    let duplicate = tuner(&app.database_url, &["workspace", "create", "test"]);
    assert!(!duplicate.status.success());
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("already exists"));
}

#[test]
fn cli_prints_the_checked_in_schema() {
    let output = Command::new(env!("CARGO_BIN_EXE_tuner"))
        .arg("schema")
        .output()
        .expect("run");
    assert!(output.status.success());
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        checked_in.expect("schema.graphql")
    );
}

#[tokio::test]
async fn migrate_prepares_an_empty_database() {
    let (url, _dir) = empty_database().await;
    let output = tuner(&url, &["migrate"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let db = tuner::db::connect(&url).await.expect("connect");
    assert!(
        tuner::workspaces::create(&db, "after-migrate")
            .await
            .is_ok(),
        "tables exist"
    );
}
