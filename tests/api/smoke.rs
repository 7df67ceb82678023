//! Real HTTP: health checks, the admin panel's files, authentication headers, body limit, request ids, CORS.

use serde_json::{json, Value};
use tuner::app::HttpOptions;

use crate::harness::{http_options, TestApp};

async fn post(base: &str, token: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request")
}

#[tokio::test]
async fn health_and_readiness_answer_ok() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    for path in ["/healthz", "/readyz"] {
        let response = reqwest::get(format!("{base}{path}"))
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    app.db.clone().close().await.expect("close");
    let response = reqwest::get(format!("{base}/readyz"))
        .await
        .expect("request");
    assert_eq!(response.status(), 503);
}

#[tokio::test]
async fn the_panel_is_served_from_the_binary_with_its_own_files_only() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    for path in ["/", "/graphql"] {
        let response = reqwest::get(format!("{base}{path}"))
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "{path}");
        let policy = response.headers()["content-security-policy"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(policy.contains("default-src 'self'"), "{policy}");
        let page = response.text().await.expect("body");
        assert!(
            page.contains("/assets/js/main.js"),
            "the panel's page: {page}"
        );
        assert!(!page.contains("https://"), "nothing loaded from elsewhere");
    }
    let script = reqwest::get(format!("{base}/assets/js/main.js"))
        .await
        .expect("request");
    assert_eq!(script.status(), 200);
    assert_eq!(
        script.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let etag = script.headers()["etag"].clone();
    let again = reqwest::Client::new()
        .get(format!("{base}/assets/js/main.js"))
        .header("if-none-match", etag)
        .send()
        .await
        .expect("request");
    assert_eq!(again.status(), 304);
    let missing = reqwest::get(format!("{base}/assets/../Cargo.toml"))
        .await
        .expect("request");
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn a_query_over_http_uses_the_bearer_token() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    let query = json!({ "query": "{ viewer { role workspace { name } } }" });
    let response = post(&base, Some(&app.admin), &query).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers().contains_key("x-request-id"),
        "every response carries a request id"
    );
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body["data"]["viewer"],
        json!({ "role": "ADMIN", "workspace": { "name": "test" } })
    );
}

#[tokio::test]
async fn missing_and_invalid_tokens_are_unauthenticated_over_http() {
    let app = TestApp::spawn().await;
    let base = app.serve(http_options()).await;
    let query = json!({ "query": "{ customModels { id } }" });
    for token in [None, Some("tnr_not-a-real-token"), Some("garbage")] {
        let body: Value = post(&base, token, &query).await.json().await.expect("json");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{token:?}"
        );
        assert_eq!(body["data"], Value::Null);
    }
    let response = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .header("authorization", "Basic abc")
        .json(&query)
        .send()
        .await
        .expect("request");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let base = app
        .serve(HttpOptions {
            body_limit: 4096,
            ..http_options()
        })
        .await;
    let text = "x".repeat(8192);
    let query = json!({
        "query": "mutation($t: String!) { createGlobalRule(text: $t) { id } }",
        "variables": { "t": text },
    });
    let response = post(&base, Some(&app.admin), &query).await;
    assert_eq!(response.status(), 413);
    let rules = app.admin_gql("{ globalRules { id } }", json!({})).await;
    assert_eq!(rules.data()["globalRules"], json!([]));
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins() {
    let app = TestApp::spawn().await;
    let options = HttpOptions {
        cors_origins: vec!["https://admin.example.com".into()],
        ..http_options()
    };
    let base = app.serve(options).await;
    let preflight = |origin: &'static str| {
        reqwest::Client::new()
            .request(reqwest::Method::OPTIONS, format!("{base}/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let allowed = preflight("https://admin.example.com")
        .await
        .expect("request");
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.as_bytes()),
        Some(&b"https://admin.example.com"[..])
    );
    let denied = preflight("https://evil.example.com")
        .await
        .expect("request");
    assert!(denied
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}
