//! `TestApp`: the real application on its own fresh database (a SQLite file, or a new Postgres
//! database when `TEST_DATABASE_URL` is set), driven through `schema::execute` or real HTTP.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_graphql::{Request, Variables};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{json, Value};
use tuner::app::{self, AppState, HttpOptions};
use tuner::app_context::AppContext;
use tuner::auth::{self, Role};
use tuner::ids::WorkspaceId;
use tuner::schema::{self, AppSchema};
use tuner::secrets::SecretBox;
use tuner::training_jobs::TrainingSettings;
use tuner::{db, workspaces};
use uuid::Uuid;

/// A running tuner on a database of its own.
pub struct TestApp {
    pub db: DatabaseConnection,
    pub schema: AppSchema,
    /// SQL statements run so far (reset with [`TestApp::reset_statements`]).
    statements: Arc<AtomicUsize>,
    /// The statements themselves, while [`TestApp::recorded`] records them.
    recording: Arc<Mutex<Option<Vec<Statement>>>>,
    /// The workspace every token from [`TestApp::token`] belongs to.
    pub workspace_id: WorkspaceId,
    /// An ADMIN token of that workspace.
    pub admin: String,
    /// Training settings: enforced billing, fast provider retries.
    pub training: TrainingSettings,
    /// The context every other context of this app derives from (one change bus, one HTTP
    /// client, one set of provider clients).
    base: AppContext,
    /// The database URL, for tests that start the real binary on it.
    pub database_url: String,
    _dir: tempfile::TempDir,
}

/// A GraphQL response as a client sees it.
#[derive(Debug)]
pub struct Reply {
    pub body: Value,
}

impl Reply {
    /// `data`, failing the test when the response has errors.
    #[track_caller]
    pub fn data(&self) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {:#}",
            self.body
        );
        &self.body["data"]
    }

    /// The first error's `extensions.code`, failing the test when there is no error.
    #[track_caller]
    pub fn code(&self) -> &str {
        self.first_error()["extensions"]["code"]
            .as_str()
            .unwrap_or("<no code>")
    }

    /// The first error's `extensions.field`.
    #[track_caller]
    pub fn field(&self) -> &str {
        self.first_error()["extensions"]["field"]
            .as_str()
            .unwrap_or("<no field>")
    }

    /// The first error's message.
    #[track_caller]
    pub fn message(&self) -> &str {
        self.first_error()["message"]
            .as_str()
            .unwrap_or("<no message>")
    }

    #[track_caller]
    fn first_error(&self) -> &Value {
        let errors = self.body["errors"].as_array();
        let first = errors.and_then(|e| e.first());
        first.unwrap_or_else(|| panic!("expected an error, got {:#}", self.body))
    }
}

impl TestApp {
    /// Boots tuner on a fresh database with one workspace and an ADMIN token.
    pub async fn spawn() -> TestApp {
        let (database_url, dir) = empty_database().await;
        let mut db = db::connect(&database_url).await.expect("connect");
        db::migrate(&db).await.expect("migrate");
        let statements = Arc::new(AtomicUsize::new(0));
        let counter = statements.clone();
        let recording: Arc<Mutex<Option<Vec<Statement>>>> = Arc::default();
        let recorder = recording.clone();
        db.set_metric_callback(move |info| {
            counter.fetch_add(1, Ordering::SeqCst);
            if let Some(log) = recorder.lock().expect("recording").as_mut() {
                log.push(info.statement.clone());
            }
        });
        let workspace = workspaces::create(&db, "test").await.expect("workspace");
        let (_, admin) = workspaces::tokens::create(&db, workspace.id, "admin", Role::Admin)
            .await
            .expect("token");
        let secrets = SecretBox::random();
        let training = test_training_settings();
        let base = AppContext::new(db.clone(), secrets.clone(), training.clone()).expect("context");
        TestApp {
            schema: schema::build(&base, Default::default()),
            base,
            training,
            db,
            statements,
            recording,
            workspace_id: workspace.id,
            admin,
            database_url,
            _dir: dir,
        }
    }

    /// The application context, with the current training settings and the app's change bus.
    pub fn context(&self) -> AppContext {
        self.context_with(self.training.clone())
    }

    /// The application context with other training settings (another replica, say).
    pub fn context_with(&self, training: TrainingSettings) -> AppContext {
        self.base.with_training(training)
    }

    /// Builds the schema again, after a change to the training settings.
    pub fn rebuild_schema(&mut self) {
        self.schema = schema::build(&self.context(), Default::default());
    }

    /// A new token of the test workspace with the given role.
    pub async fn token(&self, role: Role) -> String {
        let (_, secret) = workspaces::tokens::create(&self.db, self.workspace_id, "test", role)
            .await
            .expect("token");
        secret
    }

    /// Another workspace with its own ADMIN token.
    pub async fn other_workspace(&self, name: &str) -> String {
        let workspace = workspaces::create(&self.db, name).await.expect("workspace");
        let (_, secret) = workspaces::tokens::create(&self.db, workspace.id, "admin", Role::Admin)
            .await
            .expect("token");
        secret
    }

    /// Runs a GraphQL operation with `token` (empty: no token) as the HTTP handler would.
    pub async fn gql(&self, token: &str, query: &str, variables: Value) -> Reply {
        let auth = auth::authenticate(&self.db, Some(token))
            .await
            .expect("authenticate");
        let request = Request::new(query).variables(Variables::from_json(variables));
        let response = schema::execute(&self.schema, &self.db, auth, request).await;
        Reply {
            body: serde_json::to_value(&response).expect("response json"),
        }
    }

    /// Runs a GraphQL operation as the test workspace's ADMIN.
    pub async fn admin_gql(&self, query: &str, variables: Value) -> Reply {
        self.gql(&self.admin, query, variables).await
    }

    /// Runs a GraphQL operation as the test workspace's ADMIN and returns its `data` as
    /// written, with the keys in the answer's order; fails the test on errors.
    pub async fn admin_gql_text(&self, query: &str, variables: Value) -> String {
        let auth = auth::authenticate(&self.db, Some(&self.admin))
            .await
            .expect("authenticate");
        let request = Request::new(query).variables(Variables::from_json(variables));
        let response = schema::execute(&self.schema, &self.db, auth, request).await;
        assert!(
            response.errors.is_empty(),
            "unexpected errors: {:?}",
            response.errors
        );
        serde_json::to_string(&response.data).expect("data json")
    }

    /// Sets the statement counter to zero.
    pub fn reset_statements(&self) {
        self.statements.store(0, Ordering::SeqCst);
    }

    /// SQL statements run since the last reset.
    pub fn statements(&self) -> usize {
        self.statements.load(Ordering::SeqCst)
    }

    /// Runs `query` as the test workspace's ADMIN and returns its data with the number of SQL
    /// statements it cost; authentication happens before the count starts.
    pub async fn counted(&self, query: &str) -> (Value, usize) {
        let auth = auth::authenticate(&self.db, Some(&self.admin))
            .await
            .expect("authenticate");
        self.reset_statements();
        let response = schema::execute(&self.schema, &self.db, auth, Request::new(query)).await;
        let statements = self.statements();
        let reply = Reply {
            body: serde_json::to_value(&response).expect("response json"),
        };
        (reply.data().clone(), statements)
    }

    /// Runs `query` as the test workspace's ADMIN and returns its data with the SQL statements
    /// it ran, values included; authentication happens before the recording starts.
    pub async fn recorded(&self, query: &str) -> (Value, Vec<Statement>) {
        let auth = auth::authenticate(&self.db, Some(&self.admin))
            .await
            .expect("authenticate");
        *self.recording.lock().expect("recording") = Some(Vec::new());
        let response = schema::execute(&self.schema, &self.db, auth, Request::new(query)).await;
        let statements = self.recording.lock().expect("recording").take();
        let reply = Reply {
            body: serde_json::to_value(&response).expect("response json"),
        };
        (reply.data().clone(), statements.unwrap_or_default())
    }

    /// Serves the app over real HTTP on a free loopback port; returns its base URL.
    pub async fn serve(&self, options: HttpOptions) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let state = AppState::new(self.context(), &options);
        let usage = state.chat.usage().run(self.db.clone(), Default::default());
        tokio::spawn(usage);
        let router = app::router(state, &options).expect("router");
        tokio::spawn(app::serve(listener, router, std::future::pending()));
        format!("http://{address}")
    }

    /// Creates a custom model and returns its id.
    pub async fn create_model(&self, name: &str) -> String {
        let reply = self
            .admin_gql(
                "mutation($name: String!) { createCustomModel(input: {name: $name}) { id } }",
                json!({ "name": name }),
            )
            .await;
        reply.data()["createCustomModel"]["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }

    /// Creates a NOT_TRAINED block with one exchange per `(prompt, response)` and returns its id.
    pub async fn create_block(&self, exchanges: &[(&str, &str)], tag: Option<&str>) -> String {
        let exchanges: Vec<Value> = exchanges
            .iter()
            .map(|(p, r)| json!({ "prompt": p, "response": r }))
            .collect();
        let reply = self
            .admin_gql(
                "mutation($input: CreateTrainingBlockInput!) { createTrainingBlock(input: $input) { id } }",
                json!({ "input": { "exchanges": exchanges, "tag": tag } }),
            )
            .await;
        reply.data()["createTrainingBlock"]["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }

    /// Creates a global rule and returns its id.
    pub async fn create_rule(&self, text: &str) -> String {
        let reply = self
            .admin_gql(
                "mutation($text: String!) { createGlobalRule(text: $text) { id } }",
                json!({ "text": text }),
            )
            .await;
        reply.data()["createGlobalRule"]["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }
}

/// Training settings for tests: enforced billing, and provider retries that wait milliseconds.
pub fn test_training_settings() -> TrainingSettings {
    let mut settings = TrainingSettings::default();
    settings.provider.initial_backoff = std::time::Duration::from_millis(5);
    settings.provider.max_backoff = std::time::Duration::from_millis(50);
    settings.provider.request_timeout = std::time::Duration::from_secs(10);
    settings.submission_lease = std::time::Duration::ZERO;
    settings
}

/// Default HTTP options for tests (10 MB body limit, no CORS).
pub fn http_options() -> HttpOptions {
    HttpOptions {
        body_limit: 10 * 1024 * 1024,
        cors_origins: Vec::new(),
        request_timeout: std::time::Duration::from_secs(30),
        query: Default::default(),
        sockets: Default::default(),
        chat: Default::default(),
        metrics_token: None,
        panel_dir: None,
    }
}

/// A new database with nothing in it (not even tables), and the directory that holds it when
/// it is a SQLite file: Postgres when `TEST_DATABASE_URL` is set, SQLite otherwise.
pub async fn empty_database() -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = match std::env::var("TEST_DATABASE_URL") {
        Ok(base) if !base.is_empty() => fresh_postgres_database(&base).await,
        _ => format!("sqlite://{}", dir.path().join("tuner.db").display()),
    };
    (url, dir)
}

/// Creates a new, empty Postgres database next to the one `base` names; returns its URL.
async fn fresh_postgres_database(base: &str) -> String {
    let admin = db::connect(base).await.unwrap_or_else(|err| {
        panic!("TEST_DATABASE_URL is set but Postgres is unreachable at {base}: {err}")
    });
    let name = format!("tuner_test_{}", Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    admin.close().await.ok();
    tuner::db::with_database_name(base, &name)
}
