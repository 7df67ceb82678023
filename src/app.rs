//! The HTTP application: routes, middleware, the GraphQL handler, and serving with graceful
//! shutdown. The only module that knows axum.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::app_context::AppContext;
use crate::auth;
use crate::chat::{ChatGateway, ChatSettings};
use crate::config::ServeArgs;
use crate::graphql::QueryLimits;
use crate::schema::{self, AppSchema};
use crate::webhooks;

mod chat;
mod endpoints;
mod graphql_http;
pub mod metrics;
mod panel;
mod websocket;

pub use metrics::MetricsToken;
pub use panel::PanelSource;

pub use websocket::{SocketLimits, Sockets};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The GraphQL schema.
    pub schema: AppSchema,
    /// The process's shared state.
    pub app: AppContext,
    /// The open subscription sockets.
    pub sockets: Sockets,
    /// The OpenAI-compatible chat endpoint.
    pub chat: ChatGateway,
    /// Where the admin panel's files come from.
    pub panel: PanelSource,
}

impl AppState {
    /// State serving `app` with the limits of `options`.
    pub fn new(app: AppContext, options: &HttpOptions) -> Self {
        Self {
            schema: schema::build(&app, options.query),
            chat: ChatGateway::new(app.clone(), options.chat.clone()),
            app,
            sockets: Sockets::new(options.sockets),
            panel: PanelSource {
                dir: options.panel_dir.clone().map(Arc::new),
            },
        }
    }
}

/// HTTP settings taken from the command line.
#[derive(Clone, Debug)]
pub struct HttpOptions {
    /// Largest request body, in bytes.
    pub body_limit: usize,
    /// Origins allowed by CORS; empty disables CORS, `*` allows any.
    pub cors_origins: Vec<String>,
    /// Longest a request may take.
    pub request_timeout: Duration,
    /// What one GraphQL operation may ask for and answer.
    pub query: QueryLimits,
    /// Limits on subscription sockets.
    pub sockets: SocketLimits,
    /// Settings of the chat endpoint.
    pub chat: ChatSettings,
    /// The token that opens `GET /metrics` on this listener; `None`: no `/metrics` here.
    pub metrics_token: Option<MetricsToken>,
    /// Serve the admin panel's files from this directory instead of the binary.
    pub panel_dir: Option<PathBuf>,
}

impl From<&ServeArgs> for HttpOptions {
    fn from(args: &ServeArgs) -> Self {
        Self {
            body_limit: args.body_limit,
            cors_origins: args.cors_origins.clone(),
            request_timeout: Duration::from_secs(args.request_timeout),
            query: QueryLimits {
                max_fields: args.max_query_fields,
                max_answer_bytes: args.max_answer_bytes,
            },
            sockets: SocketLimits {
                init_timeout: Duration::from_secs(args.ws_init_timeout.max(1)),
                max_subscriptions: args.max_subscriptions_per_connection,
                max_connections_per_token: args.max_connections_per_token,
            },
            chat: ChatSettings::from(&args.chat),
            metrics_token: args.metrics_token.as_deref().and_then(MetricsToken::new),
            panel_dir: args.panel_dir.clone(),
        }
    }
}

/// The application's routes with their middleware.
pub fn router(state: AppState, options: &HttpOptions) -> anyhow::Result<Router> {
    let trace = TraceLayer::new_for_http().make_span_with(|request: &Request| {
        let request_id = request
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id)
    })
    .on_response(DefaultOnResponse::new().level(Level::INFO));
    // Chat answers stream for as long as the provider writes and bring their own body limit
    // and timeout (`--chat-*`), so the general ones apply to the other routes only.
    let bounded = ServiceBuilder::new()
        .layer(RequestBodyLimitLayer::new(options.body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            options.request_timeout,
        ));
    let chat = Router::new()
        .route("/v1/chat/completions", post(chat::completions))
        .route("/v1/models", get(chat::list_models))
        .route("/v1/models/{model}", get(chat::get_model))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            chat::measure,
        ))
        .layer(DefaultBodyLimit::disable());
    let middleware = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(trace)
        .layer(PropagateRequestIdLayer::x_request_id());
    let mut routes = Router::new()
        .route(
            "/graphql",
            get(graphql_http::graphql_get).post(graphql_http::graphql_post),
        )
        .route(
            "/export/training-blocks",
            get(endpoints::export_training_blocks),
        )
        .route(
            "/webhooks/openai",
            post(endpoints::openai_webhook).layer(DefaultBodyLimit::max(webhooks::MAX_BODY_BYTES)),
        )
        .route(
            "/webhooks/openai/{credential_id}",
            post(endpoints::credential_webhook)
                .layer(DefaultBodyLimit::max(webhooks::MAX_BODY_BYTES)),
        )
        .route("/", get(panel::index))
        .route("/assets/{*path}", get(panel::asset))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .layer(bounded)
        .merge(chat);
    if let Some(token) = options.metrics_token.clone() {
        routes = routes.merge(metrics::guarded(token));
    }
    let mut router = routes.with_state(state).layer(middleware);
    if let Some(cors) = cors_layer(&options.cors_origins)? {
        router = router.layer(cors);
    }
    Ok(router)
}

fn cors_layer(origins: &[String]) -> anyhow::Result<Option<CorsLayer>> {
    let origins: Vec<&str> = origins
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
        .collect();
    if origins.is_empty() {
        return Ok(None);
    }
    let allow = if origins == ["*"] {
        AllowOrigin::any()
    } else {
        let values = origins
            .iter()
            .map(|o| HeaderValue::from_str(o).with_context(|| format!("invalid CORS origin {o:?}")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        AllowOrigin::list(values)
    };
    Ok(Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .max_age(Duration::from_secs(3600)),
    ))
}

/// The token of an `Authorization` header; a header that is not `Bearer <token>` counts as an
/// invalid token, not a missing one.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?;
    Some(
        value
            .to_str()
            .ok()
            .and_then(auth::bearer_token)
            .unwrap_or("malformed"),
    )
}

/// A panic is a bug: log it, and answer 500 rather than dropping the connection.
fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    tracing::error!("a request handler panicked");
    let body = serde_json::json!({ "errors": [{ "message": "internal server error", "extensions": { "code": "INTERNAL_SERVER_ERROR" } }] });
    (StatusCode::INTERNAL_SERVER_ERROR, axum::Json(body)).into_response()
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.app.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(err) => {
            tracing::warn!(error = %err, "database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// [`serve`], but once `shutdown` resolves the requests still open get `grace` to finish;
/// those that have not (chat answers streaming for minutes, typically) are then left to be
/// cut off when the process exits, instead of holding the shutdown for as long as they last.
/// Returns whether every request finished.
pub async fn serve_with_grace(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<bool> {
    let (signalled, on_signal) = tokio::sync::oneshot::channel();
    let server = serve(listener, router, async move {
        shutdown.await;
        let _ = signalled.send(());
    });
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => return result.map(|()| true),
        Ok(()) = on_signal => {}
    }
    match tokio::time::timeout(grace, server).await {
        Ok(result) => result.map(|()| true),
        Err(_) => {
            tracing::warn!(
                grace_secs = grace.as_secs_f64(),
                "requests still open after the shutdown grace period are cut off"
            );
            Ok(false)
        }
    }
}

/// A future that resolves on SIGINT (Ctrl-C) or SIGTERM. The signals are caught from the
/// moment this is called, so a signal arriving before the server runs still shuts it down
/// gracefully.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        )
    };
    async move {
        #[cfg(unix)]
        match signals {
            (Ok(mut interrupt), Ok(mut terminate)) => {
                tokio::select! {
                    _ = interrupt.recv() => {},
                    _ = terminate.recv() => {},
                }
            }
            (Err(err), _) | (_, Err(err)) => {
                tracing::error!(error = %err, "cannot listen for SIGINT and SIGTERM; stop the process with SIGKILL");
                std::future::pending::<()>().await;
            }
        }
        #[cfg(not(unix))]
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!("shutting down");
    }
}
