//! How tuner connects to its database.

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

async fn uses_tls(db: &DatabaseConnection) -> bool {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        ))
        .await
        .unwrap()
        .expect("a row for this backend");
    row.try_get_by_index::<bool>(0).unwrap()
}

/// TLS to a Postgres on loopback protects nothing and costs CPU on every statement, so it is
/// used there only when the URL asks for it. (On the SQLite run there is nothing to check.)
#[tokio::test]
async fn a_postgres_on_this_machine_is_reached_without_tls_unless_the_url_asks() {
    let base = match std::env::var("TEST_DATABASE_URL") {
        Ok(base) if !base.is_empty() => base,
        _ => return,
    };
    let base = base.split('?').next().unwrap().to_owned();
    let plain = tuner::db::connect(&base).await.unwrap();
    assert!(!uses_tls(&plain).await, "{base} was reached over TLS");

    let server_offers_tls = plain
        .query_one_raw(Statement::from_string(
            plain.get_database_backend(),
            "SHOW ssl",
        ))
        .await
        .unwrap()
        .and_then(|row| row.try_get_by_index::<String>(0).ok())
        == Some("on".to_owned());
    if server_offers_tls {
        let asked = tuner::db::connect(&format!("{base}?sslmode=require"))
            .await
            .unwrap();
        assert!(uses_tls(&asked).await, "sslmode=require was not honoured");
    }
}
