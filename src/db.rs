//! Opening the database (SQLite or Postgres), applying migrations, and write transactions.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::postgres::PgSslMode;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// How long a SQLite writer waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to `url` (`sqlite://...` or `postgres://...`). A SQLite file is created when missing
/// and opened in WAL mode with a busy timeout, so readers never block the writer. A Postgres on
/// this machine (a loopback address or a Unix socket) is reached without TLS unless the URL or
/// `PGSSLMODE` asks for a mode: encrypting loopback traffic protects nothing and costs CPU on
/// every statement.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    if is_sqlite(url) {
        options.max_connections(8).map_sqlx_sqlite_opts(|opts| {
            opts.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
        });
    } else {
        let sslmode_chosen =
            has_query_key(url, &["sslmode", "ssl-mode"]) || std::env::var_os("PGSSLMODE").is_some();
        options
            .max_connections(20)
            .map_sqlx_postgres_opts(move |opts| {
                if !sslmode_chosen && is_local_host(opts.get_host()) {
                    opts.ssl_mode(PgSslMode::Disable)
                } else {
                    opts
                }
            });
    }
    Database::connect(options).await
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Begins a transaction that will write. On SQLite it starts `IMMEDIATE`, taking the write lock
/// up front, so a read-then-write transaction cannot fail half-way on a concurrent writer.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// A server URL (such as `postgres://user@host:5432/db?sslmode=require`) with its database name
/// replaced by `name`, keeping the query.
pub fn with_database_name(url: &str, name: &str) -> String {
    let (without_query, query) = match url.split_once('?') {
        Some((u, q)) => (u, Some(q)),
        None => (url, None),
    };
    let scheme_end = without_query.find("://").map_or(0, |i| i + 3);
    let base = match without_query[scheme_end..].find('/') {
        Some(slash) => &without_query[..scheme_end + slash],
        None => without_query,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Whether the query of `url` has one of `keys`.
fn has_query_key(url: &str, keys: &[&str]) -> bool {
    let Some((_, query)) = url.split_once('?') else {
        return false;
    };
    query
        .split('&')
        .any(|pair| keys.contains(&pair.split('=').next().unwrap_or_default()))
}

/// Whether a Postgres host is this machine: a loopback address, `localhost` or a Unix socket
/// directory.
fn is_local_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.starts_with('/')
        || host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether `url` names a SQLite database.
pub fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hosts_of_this_machine_are_local() {
        for local in [
            "127.0.0.1",
            "127.0.1.1",
            "::1",
            "[::1]",
            "localhost",
            "/var/run/postgresql",
        ] {
            assert!(is_local_host(local), "{local}");
        }
        for remote in [
            "10.0.0.5",
            "db",
            "db.example.com",
            "::2",
            "localhost.example.com",
        ] {
            assert!(!is_local_host(remote), "{remote}");
        }
    }

    #[test]
    fn an_sslmode_in_the_url_is_found() {
        assert!(has_query_key(
            "postgres://h/db?sslmode=require",
            &["sslmode"]
        ));
        assert!(has_query_key(
            "postgres://h/db?a=1&ssl-mode=verify-full",
            &["sslmode", "ssl-mode"]
        ));
        assert!(!has_query_key(
            "postgres://h/db?application_name=sslmode",
            &["sslmode"]
        ));
        assert!(!has_query_key("postgres://h/db", &["sslmode"]));
    }

    #[test]
    fn the_database_name_is_replaced_and_the_query_kept() {
        let url = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable";
        assert_eq!(
            with_database_name(url, "scratch"),
            "postgres://postgres@127.0.0.1:5432/scratch?sslmode=disable"
        );
        assert_eq!(
            with_database_name("postgres://h:5432", "x"),
            "postgres://h:5432/x"
        );
    }
}
