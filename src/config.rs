//! Command line and environment configuration (`TUNER_*` variables).

use std::net::SocketAddr;

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
    Serve(ServeArgs),
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
}

/// Options of `tuner serve`.
#[derive(Args, Clone, Debug)]
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
