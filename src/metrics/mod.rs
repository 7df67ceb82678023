//! Prometheus metrics of one server process: GraphQL and chat requests, open WebSockets and
//! subscriptions, provider calls, cache lookups and training jobs, rendered by [`render`] in
//! the text exposition format.
//!
//! Built on `prometheus-client` (the official Rust client: registry, label sets, correct
//! encoding), with a histogram of its own ([`histogram::Latency`]) because the client's takes a
//! mutex per observation. Recording is cheap: cache and gauge handles are resolved once and are
//! plain atomics; a GraphQL request costs two shared (read) lookups of series that exist after
//! the first request of that operation, and no allocation. Label values come from bounded sets:
//! outcomes and routes are fixed strings, providers are the known adapters, and operation names
//! are bounded by [`operations::OperationNames`].

mod handles;
pub mod histogram;
mod labels;
pub mod operations;
pub mod render;

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

pub use self::handles::{CacheLookups, Open, ProviderCalls};
use self::histogram::Latency;
use self::labels::{
    CacheLabels, OperationLabels, OperationOutcomeLabels, ProviderLabels, ProviderOutcomeLabels,
    RouteLabels, RouteStatusLabels, StatusLabels,
};
use self::operations::OperationNames;

/// The error codes a GraphQL answer may carry (`extensions.code`), as outcome labels.
const ERROR_CODES: [&str; 8] = [
    "BAD_USER_INPUT",
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "CONFLICT",
    "INSUFFICIENT_CREDITS",
    "PROVIDER_ERROR",
    "INTERNAL_SERVER_ERROR",
];

type LatencyFamily<S> = Family<S, Latency, fn() -> Latency>;

#[derive(Debug)]
struct Inner {
    registry: Registry,
    operations: OperationNames,
    graphql_requests: Family<OperationOutcomeLabels, Counter>,
    graphql_latency: LatencyFamily<OperationLabels>,
    chat_requests: Family<RouteStatusLabels, Counter>,
    chat_latency: LatencyFamily<RouteLabels>,
    websockets: Gauge,
    subscriptions: Gauge,
    provider_requests: Family<ProviderOutcomeLabels, Counter>,
    provider_latency: LatencyFamily<ProviderLabels>,
    cache_lookups: Family<CacheLabels, Counter>,
    training_jobs: Family<StatusLabels, Gauge>,
}

/// The metrics of one process. Cloning is cheap and shares them.
#[derive(Clone, Debug)]
pub struct Metrics {
    inner: Arc<Inner>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// A request's operation name as a label, taken before the request runs.
#[derive(Clone, Debug)]
pub struct Operation(Arc<str>);

impl Metrics {
    /// Every metric registered, at zero.
    pub fn new() -> Self {
        let latency: fn() -> Latency = Latency::default;
        let mut inner = Inner {
            registry: Registry::with_prefix("tuner"),
            operations: OperationNames::default(),
            graphql_requests: Family::default(),
            graphql_latency: Family::new_with_constructor(latency),
            chat_requests: Family::default(),
            chat_latency: Family::new_with_constructor(latency),
            websockets: Gauge::default(),
            subscriptions: Gauge::default(),
            provider_requests: Family::default(),
            provider_latency: Family::new_with_constructor(latency),
            cache_lookups: Family::default(),
            training_jobs: Family::default(),
        };
        register(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The label of a GraphQL request: its operation name, bounded.
    pub fn operation(&self, operation_name: Option<&str>, query: &str) -> Operation {
        Operation(self.inner.operations.label(operation_name, query))
    }

    /// Counts one GraphQL request that ended with `error_code` (`None`: no error) after
    /// `elapsed`.
    pub fn graphql_request(
        &self,
        operation: Operation,
        error_code: Option<&str>,
        elapsed: Duration,
    ) {
        let outcome = match error_code {
            None => "ok",
            Some(code) => ERROR_CODES
                .iter()
                .find(|known| **known == code)
                .copied()
                .unwrap_or("OTHER_ERROR"),
        };
        let inner = &self.inner;
        inner
            .graphql_latency
            .get_or_create(&OperationLabels {
                operation: operation.0.clone(),
            })
            .observe(elapsed);
        inner
            .graphql_requests
            .get_or_create(&OperationOutcomeLabels {
                operation: operation.0,
                outcome,
            })
            .inc();
    }

    /// Counts one request to the chat endpoint's `route` answered with `status` after `elapsed`
    /// (until the answer's head: a streamed answer goes on after).
    pub fn chat_request(&self, route: &'static str, status: u16, elapsed: Duration) {
        let inner = &self.inner;
        inner
            .chat_latency
            .get_or_create(&RouteLabels { route })
            .observe(elapsed);
        inner
            .chat_requests
            .get_or_create(&RouteStatusLabels { route, status })
            .inc();
    }

    /// Counts an open WebSocket until the guard is dropped.
    pub fn websocket_opened(&self) -> Open {
        Open::new(&self.inner.websockets)
    }

    /// Counts a running subscription until the guard is dropped.
    pub fn subscription_started(&self) -> Open {
        Open::new(&self.inner.subscriptions)
    }

    /// The recorder of calls to `provider`.
    pub fn provider(&self, provider: &str) -> ProviderCalls {
        let labels = ProviderLabels {
            provider: provider.to_owned(),
        };
        ProviderCalls {
            latency: self.inner.provider_latency.get_or_create_owned(&labels),
            requests: self.inner.provider_requests.clone(),
            provider: labels.provider,
        }
    }

    /// The hit and miss counters of the cache called `cache`.
    pub fn cache(&self, cache: &'static str) -> CacheLookups {
        let counter = |result| {
            self.inner
                .cache_lookups
                .get_or_create_owned(&CacheLabels { cache, result })
        };
        CacheLookups {
            hits: counter("hit"),
            misses: counter("miss"),
        }
    }
}

/// Registers every metric of `inner` in its registry.
fn register(inner: &mut Inner) {
    register_requests(inner);
    register_state(inner);
}

/// The build and the requests served.
fn register_requests(inner: &mut Inner) {
    let registry = &mut inner.registry;
    registry.register(
        "build",
        "The tuner version this process runs",
        Info::new([("version", env!("CARGO_PKG_VERSION"))]),
    );
    registry.register(
        "graphql_requests",
        "GraphQL requests over HTTP by operation name and outcome (ok or the first error's code)",
        inner.graphql_requests.clone(),
    );
    registry.register_with_unit(
        "graphql_request_duration",
        "Time to answer a GraphQL request over HTTP, by operation name",
        Unit::Seconds,
        inner.graphql_latency.clone(),
    );
    registry.register(
        "chat_requests",
        "Requests to the OpenAI-compatible chat endpoint (/v1) by route and HTTP status",
        inner.chat_requests.clone(),
    );
    registry.register_with_unit(
        "chat_request_duration",
        "Time to the head of a chat endpoint answer, by route",
        Unit::Seconds,
        inner.chat_latency.clone(),
    );
}

/// What is open or running, what was called and looked up.
fn register_state(inner: &mut Inner) {
    let registry = &mut inner.registry;
    registry.register(
        "websocket_connections",
        "Subscription WebSockets open",
        inner.websockets.clone(),
    );
    registry.register(
        "subscriptions_active",
        "GraphQL operations (subscriptions) running on WebSockets",
        inner.subscriptions.clone(),
    );
    registry.register(
        "provider_requests",
        "HTTP requests to training providers (every attempt) by provider and outcome",
        inner.provider_requests.clone(),
    );
    registry.register_with_unit(
        "provider_request_duration",
        "Time of one HTTP request to a training provider, by provider",
        Unit::Seconds,
        inner.provider_latency.clone(),
    );
    registry.register(
        "cache_lookups",
        "Lookups in the token, available-models, chat-endpoint and parsed-documents caches by result (hit or miss)",
        inner.cache_lookups.clone(),
    );
    registry.register(
        "training_jobs",
        "Training jobs of every workspace by status, counted when scraped",
        inner.training_jobs.clone(),
    );
}
