//! What each `tuner` subcommand does.

use anyhow::Context as _;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::app::{self, AppState, HttpOptions};
use crate::app_context::AppContext;
use crate::config::{Cli, Command, CreditsCommand, ServeArgs, TokenCommand, WorkspaceCommand};
use crate::error::for_cli;
use crate::secrets::SecretBox;
use crate::supervisor::Supervisor;
use crate::training_jobs::{self, TrainingSettings};
use crate::{auth, change_relay, credits, db, schema, transfer, workspaces};

/// How long a shutting-down server waits for its WebSockets to close.
const SOCKETS_GRACE: std::time::Duration = std::time::Duration::from_secs(5);
/// How long a shutting-down server waits for the round its background tasks are in.
const BACKGROUND_GRACE: std::time::Duration = std::time::Duration::from_secs(20);

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Schema => {
            print!("{}", schema::sdl());
            Ok(())
        }
        Command::Migrate => {
            open(&cli.database_url).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Serve(args) => serve(&cli.database_url, *args).await,
        Command::Credits(CreditsCommand::Grant { workspace, amount }) => {
            let db = open(&cli.database_url).await?;
            let workspace = workspaces::find_by_name(&db, &workspace)
                .await
                .map_err(for_cli)?;
            let entry = credits::grant(&db, workspace.id, amount)
                .await
                .map_err(for_cli)?;
            println!(
                "granted {amount} credits to workspace {:?}; balance is now {}",
                workspace.name, entry.balance_after
            );
            Ok(())
        }
        Command::Import(args) => {
            let db = open(&cli.database_url).await?;
            transfer::cli::import(&db, args).await
        }
        Command::Export(args) => {
            let db = open(&cli.database_url).await?;
            transfer::cli::export(&db, args).await
        }
        Command::Workspace(WorkspaceCommand::Create { name }) => {
            let db = open(&cli.database_url).await?;
            let workspace = workspaces::create(&db, &name).await.map_err(for_cli)?;
            println!(
                "created workspace {:?} (id {})",
                workspace.name, workspace.id
            );
            Ok(())
        }
        Command::Token(TokenCommand::Create {
            workspace,
            role,
            name,
        }) => {
            let db = open(&cli.database_url).await?;
            let workspace = workspaces::find_by_name(&db, &workspace)
                .await
                .map_err(for_cli)?;
            let (token, secret) = workspaces::tokens::create(&db, workspace.id, &name, role.into())
                .await
                .map_err(for_cli)?;
            println!(
                "created {} token {:?} (id {}) for workspace {:?}; its secret, shown only this once:\n\n    {secret}\n",
                auth::role_name(token.role),
                token.name,
                token.id,
                workspace.name
            );
            println!("send it as the header `Authorization: Bearer {secret}`");
            Ok(())
        }
    }
}

/// Opens the database and applies pending migrations.
async fn open(url: &str) -> anyhow::Result<DatabaseConnection> {
    let db = db::connect(url)
        .await
        .context("cannot open the database (check --database-url / TUNER_DATABASE_URL)")?;
    db::migrate(&db)
        .await
        .context("cannot apply database migrations")?;
    Ok(db)
}

async fn serve(database_url: &str, args: ServeArgs) -> anyhow::Result<()> {
    let db = open(database_url).await?;
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    let shutdown = app::shutdown_signal();
    if let Some(created) = workspaces::bootstrap(&db).await.map_err(for_cli)? {
        print_bootstrap_banner(&created, address);
    }
    let (secrets, created) = SecretBox::load_or_create(
        args.training.secret_key.as_deref(),
        &args.training.secret_key_file,
    )?;
    if created {
        tracing::warn!(
            file = %args.training.secret_key_file.display(),
            "created a new secret key for provider credentials; back it up and give every replica the same key"
        );
    }
    let training = TrainingSettings::from_args(&args.training)?;
    let context = AppContext::new(db.clone(), secrets, training)?;
    let background = Supervisor::new();
    // Its first rounds run at once: interrupted submissions are reconciled on start.
    background.spawn("job poller", |stop| {
        training_jobs::poller::poll(context.clone(), stop)
    });
    background.spawn("change relay", |stop| {
        change_relay::run(db.clone(), context.changes.clone(), stop)
    });
    let options = HttpOptions::from(&args);
    let state = AppState::new(context, &options);
    let usage = state.chat.usage();
    background.spawn("chat usage", |stop| usage.run(db.clone(), stop));
    if let Some(address) = args.metrics_listen {
        serve_metrics(&background, address, state.clone()).await?;
    }
    let sockets = state.sockets.clone();
    let router = app::router(state, &options)?;
    tracing::info!(%address, "tuner is listening; admin panel at http://{address}/");
    let grace = std::time::Duration::from_secs(args.shutdown_grace);
    app::serve_with_grace(listener, router, shutdown, grace).await?;
    sockets.close_all(SOCKETS_GRACE).await;
    // A poll round under way is finished (and committed) before the pool closes.
    background.shutdown(BACKGROUND_GRACE).await;
    db.close().await.context("cannot close the database")?;
    Ok(())
}

/// Serves `GET /metrics` alone on `address` until the background tasks stop.
async fn serve_metrics(
    background: &Supervisor,
    address: std::net::SocketAddr,
    state: AppState,
) -> anyhow::Result<()> {
    let listener = TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen for metrics on {address}"))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, "metrics at http://{address}/metrics");
    let router = app::metrics::router(state);
    background.spawn("metrics listener", |stop| async move {
        if let Err(err) = app::serve(listener, router, stop.cancelled_owned()).await {
            tracing::error!(error = %err, "the metrics listener stopped");
        }
    });
    Ok(())
}

fn print_bootstrap_banner(created: &workspaces::Bootstrap, address: std::net::SocketAddr) {
    let secret = &created.admin_secret;
    println!(
        "\nCreated workspace {:?} with an ADMIN API token. It is shown only this once:\n\n    {secret}\n\n\
         Send it as the header `Authorization: Bearer {secret}`.\n\
         Sign in to the admin panel at http://{address}/ with it.\n",
        created.workspace.name
    );
}
