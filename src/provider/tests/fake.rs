//! A scripted fake provider: real HTTP on 127.0.0.1:0 that records every request and answers
//! with the replies it was given, in order.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;

use crate::provider::{connect, Credentials, FineTuningProvider, ProviderSettings};

/// One canned answer.
pub(crate) struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    delay: Duration,
}

impl Reply {
    pub(crate) fn json(status: u16, body: Value) -> Self {
        Self::text(status, &body.to_string()).header("content-type", "application/json")
    }

    pub(crate) fn text(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
            delay: Duration::ZERO,
        }
    }

    pub(crate) fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    /// Answers only after `delay` (to outlast a client timeout).
    pub(crate) fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// A request as the fake received it.
#[derive(Clone, Debug)]
pub(crate) struct Recorded {
    pub(crate) method: String,
    pub(crate) path: String,
    /// Decoded query pairs.
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Recorded {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the request body is JSON")
    }
}

#[derive(Default)]
struct Script {
    replies: VecDeque<Reply>,
    requests: Vec<Recorded>,
}

type Shared = Arc<Mutex<Script>>;

/// The running fake; stops when dropped.
pub(crate) struct FakeProvider {
    /// Base URL ending in `/v1` (no trailing slash).
    pub(crate) base_url: String,
    script: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl FakeProvider {
    pub(crate) async fn start(replies: Vec<Reply>) -> Self {
        let script: Shared = Arc::new(Mutex::new(Script {
            replies: replies.into(),
            requests: Vec::new(),
        }));
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake provider");
        let address = listener.local_addr().expect("fake provider address");
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("fake provider runs");
        });
        Self {
            base_url: format!("http://{address}/v1"),
            script,
            server,
        }
    }

    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.script.lock().expect("script lock").requests.clone()
    }

    /// An adapter for `provider` pointed at this fake with the key "sk-test-key".
    pub(crate) fn connect(
        &self,
        provider: &str,
        settings: &ProviderSettings,
    ) -> Arc<dyn FineTuningProvider> {
        let credentials = Credentials {
            api_key: "sk-test-key".into(),
            base_url: Some(self.base_url.clone()),
            // Read by providers whose paths name an account (Fireworks) only.
            account_id: Some("acme".into()),
        };
        let client = super::super::shared_client(settings).expect("HTTP client");
        connect(
            provider,
            &credentials,
            settings,
            &client,
            &crate::metrics::Metrics::new(),
        )
        .expect("connect to the fake provider")
    }
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn answer(State(script): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let query = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
        .map(|query| query.0)
        .unwrap_or_default();
    let recorded = Recorded {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query,
        headers: parts.headers,
        body,
    };
    let reply = {
        let mut script = script.lock().expect("script lock");
        let unscripted = format!(
            "no reply scripted for {} {}",
            recorded.method, recorded.path
        );
        script.requests.push(recorded);
        script
            .replies
            .pop_front()
            .unwrap_or_else(|| Reply::text(500, &unscripted))
    };
    tokio::time::sleep(reply.delay).await;
    let mut response = Response::builder().status(reply.status);
    for (name, value) in reply.headers {
        response = response.header(name, value);
    }
    response
        .body(Body::from(reply.body))
        .expect("a valid scripted reply")
}
