//! Token checks without a database round trip: a known token costs no SQL, and a revoked one
//! is refused at once, by this server and by another sharing the database.

use serde_json::{json, Value};
use tuner::auth::Role;

use crate::cli::Server;
use crate::harness::{http_options, TestApp};

const VIEWER: &str = "{ viewer { role } }";

async fn post(base: &str, token: &str, query: &str, variables: Value) -> Value {
    reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json")
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

async fn token_id(base: &str, admin: &str, role: &str) -> String {
    let body = post(base, admin, "{ apiTokens { id role } }", json!({})).await;
    let tokens = body["data"]["apiTokens"].as_array().expect("tokens");
    let found = tokens.iter().find(|t| t["role"] == role).expect("token");
    found["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn a_known_token_is_checked_without_sql_and_refused_once_revoked() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    let reader = app.token(Role::Reader).await;
    assert_eq!(
        post(&base, &reader, VIEWER, json!({})).await["data"]["viewer"]["role"],
        "READER"
    );
    app.reset_statements();
    let again = post(&base, &reader, VIEWER, json!({})).await;
    assert_eq!(again["data"]["viewer"]["role"], "READER");
    assert_eq!(
        app.statements(),
        0,
        "the second request asked the database nothing"
    );

    let id = token_id(&base, &app.admin, "READER").await;
    let revoke = "mutation($id: ID!) { revokeApiToken(id: $id) }";
    post(&base, &app.admin, revoke, json!({ "id": id })).await;
    assert_eq!(
        code(&post(&base, &reader, VIEWER, json!({})).await),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn a_token_revoked_through_one_server_is_refused_by_another() {
    let app = TestApp::spawn().await;
    let first = Server::start(&app.database_url);
    let second = Server::start(&app.database_url);
    let (a, b) = (
        format!("http://{}", first.address),
        format!("http://{}", second.address),
    );
    let reader = app.token(Role::Reader).await;
    for _ in 0..2 {
        assert_eq!(
            post(&b, &reader, VIEWER, json!({})).await["data"]["viewer"]["role"],
            "READER"
        );
    }
    let id = token_id(&a, &app.admin, "READER").await;
    let revoke = "mutation($id: ID!) { revokeApiToken(id: $id) }";
    let revoked = post(&a, &app.admin, revoke, json!({ "id": id })).await;
    assert_eq!(revoked["data"]["revokeApiToken"], id.as_str(), "{revoked}");
    // Postgres: the other server hears of it through NOTIFY within moments; SQLite has no
    // notices, and a second process trusts what it knows for 2 s at most.
    let mut refused = false;
    for _ in 0..100 {
        if code(&post(&b, &reader, VIEWER, json!({})).await) == "UNAUTHENTICATED" {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(refused, "the other server still accepts the revoked token");
    first.stop();
    second.stop();
}
