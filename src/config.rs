//! Command line and environment configuration (`TUNER_*` variables).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::auth::Role;

/// tuner: a GraphQL API server that turns curated example conversations into fine-tuned chat
/// models and tells every app which models exist.
#[derive(Parser)]
#[command(name = "tuner", version, about)]
pub struct Cli {
    /// Database URL: `sqlite://FILE` (created if missing) or `postgres://USER@HOST/DB`.
    #[arg(
        long,
        env = "TUNER_DATABASE_URL",
        default_value = "sqlite://tuner.db",
        global = true,
        hide_env_values = true
    )]
    pub database_url: String,

    /// Log format.
    #[arg(long, env = "TUNER_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Log output formats.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// tuner's subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Run the GraphQL server (applies pending migrations first).
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Manage workspaces.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage workspace credits.
    #[command(subcommand)]
    Credits(CreditsCommand),
    /// Import training blocks from an OpenAI chat JSONL file.
    Import(ImportArgs),
    /// Export training blocks as OpenAI chat JSONL.
    Export(ExportArgs),
}

/// `tuner credits ...`
#[derive(Subcommand)]
pub enum CreditsCommand {
    /// Add credits to a workspace's balance (a negative amount takes them away).
    Grant {
        /// Name of the workspace.
        #[arg(long)]
        workspace: String,
        /// Number of credits.
        #[arg(allow_negative_numbers = true)]
        amount: i64,
    },
}

/// Options of `tuner import`.
#[derive(Args, Clone, Debug)]
pub struct ImportArgs {
    /// The JSONL file: one `{"messages": [...]}` example per line.
    pub file: std::path::PathBuf,
    /// Name of the workspace to import into.
    #[arg(long)]
    pub workspace: String,
    /// Check the file and report what would be imported, without importing.
    #[arg(long)]
    pub dry_run: bool,
    /// Tag to give every imported block.
    #[arg(long)]
    pub tag: Option<String>,
}

/// Options of `tuner export`.
#[derive(Args, Clone, Debug)]
pub struct ExportArgs {
    /// Name of the workspace to export from.
    #[arg(long)]
    pub workspace: String,
    /// Only blocks with this status (NOT_TRAINED, TRAINED or DRAFT).
    #[arg(long)]
    pub status: Option<String>,
    /// Only blocks with this tag.
    #[arg(long)]
    pub tag: Option<String>,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<std::path::PathBuf>,
}

/// Options of `tuner serve` (no `Debug`: they hold secrets).
#[derive(Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TUNER_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "TUNER_BODY_LIMIT", default_value_t = 10 * 1024 * 1024)]
    pub body_limit: usize,

    /// Origins allowed to call the API from a browser (comma-separated, such as
    /// `https://admin.example.com`); none by default.
    #[arg(long, env = "TUNER_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Seconds a request may take before it is cut off.
    #[arg(long, env = "TUNER_REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout: u64,

    /// Seconds the requests still open at SIGTERM/SIGINT (chat streams, mostly) get to finish
    /// before they are cut off and the process exits.
    #[arg(long, env = "TUNER_SHUTDOWN_GRACE", default_value_t = 20)]
    pub shutdown_grace: u64,

    /// Most field selections one GraphQL document may make once its fragments are expanded
    /// (aliases and `__typename` count). Larger documents are refused before they run.
    #[arg(long, env = "TUNER_MAX_QUERY_FIELDS", default_value_t = 5_000)]
    pub max_query_fields: usize,

    /// Most bytes of text one GraphQL answer may hold; a larger answer is replaced by an error.
    #[arg(long, env = "TUNER_MAX_ANSWER_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_answer_bytes: usize,

    /// Seconds a subscription WebSocket may wait before sending `connection_init`.
    #[arg(long, env = "TUNER_WS_INIT_TIMEOUT", default_value_t = 10)]
    pub ws_init_timeout: u64,

    /// Most operations running at once on one subscription WebSocket.
    #[arg(
        long,
        env = "TUNER_MAX_SUBSCRIPTIONS_PER_CONNECTION",
        default_value_t = 100
    )]
    pub max_subscriptions_per_connection: usize,

    /// Most subscription WebSockets open at once with one API token.
    #[arg(long, env = "TUNER_MAX_CONNECTIONS_PER_TOKEN", default_value_t = 100)]
    pub max_connections_per_token: usize,

    /// Token that opens `GET /metrics` on the main listener (sent as `Authorization: Bearer
    /// TOKEN`). Without it the main listener has no `/metrics`.
    #[arg(long, env = "TUNER_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Address of a listener of its own that serves only `GET /metrics`, without a token (such
    /// as `127.0.0.1:9464`); keep it off the internet. None by default.
    #[arg(long, env = "TUNER_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Serve the admin panel's files from this directory (a checkout's `panel/`) instead of
    /// the copies compiled into the binary, so changes show on reload.
    #[arg(long, env = "TUNER_PANEL_DIR")]
    pub panel_dir: Option<PathBuf>,

    /// Training settings.
    #[command(flatten)]
    pub training: TrainingArgs,

    /// Chat endpoint settings.
    #[command(flatten)]
    pub chat: ChatArgs,
}

/// Settings of the OpenAI-compatible chat endpoint (`/v1/chat/completions`, `/v1/models`).
#[derive(Args, Clone, Debug)]
pub struct ChatArgs {
    /// Credits charged per chat request (0: chat is free). Charged when the request is sent to
    /// the provider and given back when the provider does not answer; with `--billing-mode
    /// enforce` an empty balance gets 402 `insufficient_quota`.
    #[arg(long, env = "TUNER_CHAT_CREDITS_PER_REQUEST", default_value_t = 0)]
    pub chat_credits_per_request: i64,

    /// Largest chat request body, in bytes.
    #[arg(long, env = "TUNER_CHAT_MAX_REQUEST_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub chat_max_request_bytes: usize,

    /// Seconds a chat request may take at the provider, streaming included, before it is cut off.
    #[arg(long, env = "TUNER_CHAT_UPSTREAM_TIMEOUT", default_value_t = 600)]
    pub chat_upstream_timeout: u64,

    /// Most chat requests one API token may have in flight at once (per replica).
    #[arg(
        long,
        env = "TUNER_CHAT_MAX_CONCURRENT_PER_TOKEN",
        default_value_t = 32
    )]
    pub chat_max_concurrent_per_token: usize,

    /// Most chat requests one API token may start per minute (per replica); 0: no limit.
    #[arg(long, env = "TUNER_CHAT_REQUESTS_PER_MINUTE", default_value_t = 600)]
    pub chat_requests_per_minute: u32,
}

/// Default length of a submission's lease, in seconds (`--submission-lease`).
pub const DEFAULT_SUBMISSION_LEASE_SECS: u64 = 30;

/// Whether training jobs are refused when a workspace's balance is short.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum BillingMode {
    /// Refuse a job the balance cannot pay for (`INSUFFICIENT_CREDITS`).
    Enforce,
    /// Record charges in the ledger only; balances may go negative.
    Record,
}

/// Settings of training jobs, credentials and billing (no `Debug`: they hold secrets).
#[derive(Args, Clone)]
pub struct TrainingArgs {
    /// File holding the key that encrypts provider API keys at rest (32 random bytes, base64);
    /// created on first start if missing. Every replica needs the same key.
    #[arg(long, env = "TUNER_SECRET_KEY_FILE", default_value = "tuner.key")]
    pub secret_key_file: std::path::PathBuf,

    /// The encryption key itself (base64 of 32 bytes); takes precedence over the key file.
    #[arg(long, env = "TUNER_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,

    /// `enforce`: refuse jobs the balance cannot pay for; `record`: only record charges.
    #[arg(long, env = "TUNER_BILLING_MODE", value_enum, default_value_t = BillingMode::Enforce)]
    pub billing_mode: BillingMode,

    /// Platform fee per training job, in credits (100 credits = 1 dollar).
    #[arg(long, env = "TUNER_JOB_FEE_CREDITS", default_value_t = 100)]
    pub job_fee_credits: i64,

    /// Training prices overriding the built-in table, in USD per million training tokens,
    /// such as `gpt-4o-mini-2024-07-18=3.0,my-model=1.5`.
    #[arg(long, env = "TUNER_TRAINING_PRICES", default_value = "")]
    pub training_prices: String,

    /// Retirement dates of base models, `MODEL=YYYY-MM-DD,...`: models tuned from them are no
    /// longer listed in `availableModels` from that day.
    #[arg(long, env = "TUNER_MODEL_RETIREMENTS", default_value = crate::retirements::DEFAULT_RETIREMENTS)]
    pub model_retirements: String,

    /// Seconds between two looks at the provider for each active job.
    #[arg(long, env = "TUNER_POLL_INTERVAL", default_value_t = 30)]
    pub poll_interval: u64,

    /// Seconds a job's submission lease lasts: the process submitting a job renews it every
    /// third of that while it uploads and creates the provider job; once it runs out (the
    /// process died), any replica repairs the job left SUBMITTING.
    #[arg(long, env = "TUNER_SUBMISSION_LEASE", default_value_t = DEFAULT_SUBMISSION_LEASE_SECS)]
    pub submission_lease: u64,

    /// Seconds one provider request may take (uploads get 20 times as long).
    #[arg(long, env = "TUNER_PROVIDER_TIMEOUT", default_value_t = 30)]
    pub provider_timeout: u64,

    /// How many times a provider request is retried on 429, 5xx and connection errors.
    #[arg(long, env = "TUNER_PROVIDER_RETRIES", default_value_t = 4)]
    pub provider_retries: u32,
}

/// `tuner workspace ...`
#[derive(Subcommand)]
pub enum WorkspaceCommand {
    /// Create a workspace.
    Create {
        /// The workspace's unique name.
        name: String,
    },
}

/// `tuner token ...`
#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an API token and print its secret (shown only this once).
    Create {
        /// Name of the workspace the token is for.
        #[arg(long)]
        workspace: String,
        /// What the token may do.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Who or what will use the token.
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

/// Roles as the command line spells them (`ADMIN`, `EDITOR`, `READER`, any case).
#[derive(Copy, Clone, Debug, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum RoleArg {
    /// Everything, including API tokens.
    #[value(alias = "admin")]
    Admin,
    /// Rules, training blocks, custom models.
    #[value(alias = "editor")]
    Editor,
    /// Read custom models only.
    #[value(alias = "reader")]
    Reader,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Admin => Role::Admin,
            RoleArg::Editor => Role::Editor,
            RoleArg::Reader => Role::Reader,
        }
    }
}
