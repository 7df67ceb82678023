//! The HTTP application: routes, middleware, the GraphQL handler, and serving with graceful
//! shutdown. The only module that knows axum.

use std::future::Future;
use std::time::Duration;

use anyhow::Context as _;
use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use futures_util::TryStreamExt;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::auth;
use crate::config::ServeArgs;
use crate::error::Error;
use crate::schema::{self, AppSchema};
use crate::secrets::SecretBox;
use crate::training_jobs::TrainingSettings;
use crate::transfer::export::{self, ExportQuery};
use crate::webhooks::{self, Rejection};

mod websocket;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The GraphQL schema.
    pub schema: AppSchema,
    /// The database pool.
    pub db: DatabaseConnection,
    /// The key that encrypts secrets at rest (webhook secrets among them).
    pub secrets: SecretBox,
    /// Training settings (refreshing a job a webhook announces).
    pub training: TrainingSettings,
}

impl AppState {
    /// State serving from `db`, with the secrets key and training settings.
    pub fn new(db: DatabaseConnection, secrets: SecretBox, training: TrainingSettings) -> Self {
        Self {
            schema: schema::build(db.clone(), secrets.clone(), training.clone()),
            db,
            secrets,
            training,
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
}

impl From<&ServeArgs> for HttpOptions {
    fn from(args: &ServeArgs) -> Self {
        Self {
            body_limit: args.body_limit,
            cors_origins: args.cors_origins.clone(),
            request_timeout: Duration::from_secs(args.request_timeout),
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
    let middleware = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(trace)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(RequestBodyLimitLayer::new(options.body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            options.request_timeout,
        ));
    let mut router = Router::new()
        .route("/graphql", get(graphql_get).post(graphql))
        .route("/export/training-blocks", get(export_training_blocks))
        .route(
            "/webhooks/openai",
            post(openai_webhook).layer(DefaultBodyLimit::max(webhooks::MAX_BODY_BYTES)),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
        .layer(middleware);
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

async fn graphql(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> GraphQLResponse {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| auth::bearer_token(v).unwrap_or("malformed"));
    let request = request.into_inner();
    let auth = match auth::authenticate(&state.db, token).await {
        Ok(auth) => auth,
        Err(err) => {
            return async_graphql::Response::from_errors(vec![
                async_graphql::Error::from(err).into_server_error(Default::default())
            ])
            .into()
        }
    };
    schema::execute(&state.schema, &state.db, auth, request)
        .await
        .into()
}

/// `GET /export/training-blocks[?status=S&tag=T]`: the caller's training blocks as OpenAI chat
/// JSONL, streamed a page at a time. EDITOR and up.
async fn export_training_blocks(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ExportQuery>,
) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| auth::bearer_token(v).unwrap_or("malformed"));
    match export::export_for(&state.db, token, &query).await {
        Ok(chunks) => {
            let body = Body::from_stream(chunks.map_err(|err| {
                tracing::error!(error = ?err, "export stopped");
                std::io::Error::other("the export stopped on an internal error")
            }));
            ([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response()
        }
        Err(err) => error_response(err),
    }
}

/// `POST /webhooks/openai`: a Standard Webhooks delivery about a fine-tuning job. 200 with
/// `{"status": "processed"|"duplicate"|"ignored"}`, 401 when unsigned, 400/413 when malformed.
async fn openai_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let received = webhooks::Headers {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
    };
    let outcome = webhooks::receive(
        &state.db,
        &state.secrets,
        &state.training,
        received,
        &body,
        chrono::Utc::now(),
    )
    .await;
    match outcome {
        Ok(outcome) => {
            axum::Json(serde_json::json!({ "status": outcome.as_str() })).into_response()
        }
        Err(Rejection::Internal(err)) => error_response(err),
        Err(refused) => {
            let status =
                StatusCode::from_u16(refused.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            (
                status,
                axum::Json(serde_json::json!({ "error": refused.reason() })),
            )
                .into_response()
        }
    }
}

/// A service error as an HTTP response: status from its code, `{"error": {code, message}}`.
fn error_response(err: Error) -> Response {
    let status = match err.code() {
        "BAD_USER_INPUT" => StatusCode::BAD_REQUEST,
        "UNAUTHENTICATED" => StatusCode::UNAUTHORIZED,
        "FORBIDDEN" => StatusCode::FORBIDDEN,
        "NOT_FOUND" => StatusCode::NOT_FOUND,
        "CONFLICT" => StatusCode::CONFLICT,
        _ => {
            tracing::error!(error = ?err, "request failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    let body = serde_json::json!({ "error": { "code": err.code(), "message": err.message() } });
    (status, axum::Json(body)).into_response()
}

/// `GET /graphql`: subscriptions over WebSocket when the request is an upgrade, else GraphiQL.
async fn graphql_get(State(state): State<AppState>, request: Request) -> Response {
    if websocket::is_upgrade(&request) {
        websocket::upgrade(state, request).await
    } else {
        graphiql().await.into_response()
    }
}

async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql")
            .title("tuner GraphiQL")
            .finish(),
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
    match state.db.ping().await {
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

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
