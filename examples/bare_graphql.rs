//! The HTTP stack alone: a bare axum server that answers `POST /graphql` with fixed bytes.
//!
//! `bench/graphql_bench.py` starts it with the exact answers tuner gave to the benchmark's two
//! queries, so the same load against it measures what axum, hyper, Tokio and the kernel cost
//! without anything of tuner's (no token check, no GraphQL, no database):
//!
//! ```sh
//! target/release/examples/bare_graphql --listen 127.0.0.1:4000 \
//!     --answer availableModels=q1.json --answer trainingBlocks=q2.json
//! ```
//!
//! A request whose body contains an answer's key (a plain substring, the first that matches)
//! gets that answer; any other request gets 404.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

/// One answer: the key looked for in a request's body, and the bytes sent back.
type Answer = (Vec<u8>, Bytes);
/// The answers, in the order they were given.
type Answers = Arc<Vec<Answer>>;

fn usage() -> &'static str {
    "usage: bare_graphql --listen ADDR --answer KEY=FILE [--answer KEY=FILE ...]"
}

fn parse_args() -> Result<(SocketAddr, Vec<Answer>)> {
    let mut listen = None;
    let mut answers = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value; {}", usage()))?;
        match flag.as_str() {
            "--listen" => listen = Some(value.parse().context("--listen: not an address")?),
            "--answer" => {
                let (key, path) = value
                    .split_once('=')
                    .with_context(|| format!("--answer {value}: expected KEY=FILE"))?;
                let bytes = std::fs::read(path).with_context(|| format!("reading {path}"))?;
                answers.push((key.as_bytes().to_vec(), Bytes::from(bytes)));
            }
            other => bail!("unknown option {other}; {}", usage()),
        }
    }
    let listen = listen.with_context(usage)?;
    if answers.is_empty() {
        bail!("no --answer given; {}", usage());
    }
    Ok((listen, answers))
}

async fn answer(State(answers): State<Answers>, body: Bytes) -> Response {
    let found = answers.iter().find(|(key, _)| {
        body.windows(key.len())
            .any(|window| window == key.as_slice())
    });
    match found {
        Some((_, bytes)) => {
            ([(header::CONTENT_TYPE, "application/json")], bytes.clone()).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bare_graphql: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let (listen, answers) = parse_args()?;
    let app = Router::new()
        .route("/graphql", post(answer))
        .with_state(Arc::new(answers));
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
