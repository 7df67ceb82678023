//! Webhooks over real HTTP, on each credential's URL (`POST /webhooks/openai/{credentialId}`) and
//! on the deprecated shared one (`POST /webhooks/openai`): signed deliveries refresh the job at
//! once; unsigned, stale or replayed ones change nothing; nobody can tell another workspace's
//! jobs from jobs that do not exist; the webhook secret is write-only.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sea_orm::EntityTrait;
use serde_json::{json, Value};
use tuner::webhook_signature as signature;

use crate::harness::{http_options, TestApp};

mod tenants;
use crate::training_jobs::{Fixture, API_KEY};

/// The secret set on the fixture's credentials.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

const SET: &str = "mutation($k: String!, $u: String, $w: String) { setProviderCredentials(provider: \"openai\", apiKey: $k, baseUrl: $u, webhookSecret: $w) { provider webhookSecretSet } }";

/// The secret of a second workspace's credentials.
const OTHER_SECRET: &str = "whsec_b3RoZXIgd29ya3NwYWNlJ3Mgc2VjcmV0";

/// The deprecated shared webhook path.
const SHARED: &str = "/webhooks/openai";

/// A fixture with a webhook secret, a submitted job, and the app served over HTTP.
struct Setup {
    fixture: Fixture,
    base: String,
    job_id: String,
    provider_job_id: String,
    /// The webhook path of the fixture's credentials.
    path: String,
}

async fn setup() -> Setup {
    let fixture = Fixture::new(1_000).await;
    let url = fixture.emulator.base_url();
    let reply = fixture
        .app
        .admin_gql(SET, json!({ "k": API_KEY, "u": url, "w": SECRET }))
        .await;
    assert_eq!(
        reply.data()["setProviderCredentials"]["webhookSecretSet"],
        true
    );
    fixture.blocks(10, None).await;
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    let base = fixture.app.serve(http_options()).await;
    let path = webhook_path(&fixture.app, &fixture.app.admin).await;
    Setup {
        job_id: job["id"].as_str().expect("id").to_owned(),
        provider_job_id: job["providerJobId"].as_str().expect("job").to_owned(),
        fixture,
        base,
        path,
    }
}

/// The `webhookPath` of the only credentials of the token's workspace, checked against its id.
async fn webhook_path(app: &TestApp, token: &str) -> String {
    let reply = app
        .gql(
            token,
            "{ providerCredentials { id webhookPath } }",
            json!({}),
        )
        .await;
    let credentials = &reply.data()["providerCredentials"][0];
    let id = credentials["id"].as_str().expect("id");
    let path = credentials["webhookPath"].as_str().expect("webhookPath");
    assert_eq!(path, format!("/webhooks/openai/{id}"));
    path.to_owned()
}

/// Another workspace with openai credentials (and `secret` as their webhook secret, if any);
/// returns their webhook path.
async fn other_workspace(setup: &Setup, name: &str, secret: Option<&str>) -> String {
    let app = &setup.fixture.app;
    let token = app.other_workspace(name).await;
    let url = setup.fixture.emulator.base_url();
    app.gql(&token, SET, json!({ "k": API_KEY, "u": url, "w": secret }))
        .await
        .data();
    webhook_path(app, &token).await
}

/// An event body about the provider job `job`.
fn event(job: &str) -> String {
    json!({
        "id": "evt_test",
        "object": "event",
        "type": "fine_tuning.job.succeeded",
        "created_at": now(),
        "data": { "id": job },
    })
    .to_string()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The `webhook-signature` a sender with `secret` would put on this delivery.
fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> String {
    let key = signature::decode_secret(secret).expect("secret");
    format!(
        "v1,{}",
        signature::sign(&key, id, timestamp, body.as_bytes())
    )
}

/// Posts `body` with the given headers (`None`: header absent); returns status and JSON body.
async fn post(base: &str, headers: [Option<&str>; 3], body: &str) -> (u16, Value) {
    let (status, _, text) = post_to(base, SHARED, headers, body).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Posts `body` to `path`; returns status, content type and the body exactly as received.
async fn post_to(
    base: &str,
    path: &str,
    headers: [Option<&str>; 3],
    body: &str,
) -> (u16, String, String) {
    let mut request = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    for (name, value) in ["webhook-id", "webhook-timestamp", "webhook-signature"]
        .into_iter()
        .zip(headers)
    {
        if let Some(value) = value {
            request = request.header(name, value);
        }
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, response.text().await.expect("body"))
}

/// Posts a delivery signed with `secret` at `timestamp`.
async fn deliver(base: &str, secret: &str, id: &str, timestamp: i64, body: &str) -> (u16, Value) {
    let signature = sign(secret, id, timestamp, body);
    let timestamp = timestamp.to_string();
    post(base, [Some(id), Some(&timestamp), Some(&signature)], body).await
}

/// Posts a delivery signed with `secret` to `path`; returns status, content type and body.
async fn deliver_to(
    base: &str,
    path: &str,
    secret: &str,
    id: &str,
    body: &str,
) -> (u16, String, String) {
    let timestamp = now();
    let signature = sign(secret, id, timestamp, body);
    let timestamp = timestamp.to_string();
    post_to(
        base,
        path,
        [Some(id), Some(&timestamp), Some(&signature)],
        body,
    )
    .await
}

impl Setup {
    /// The job's status and its model's status, read without asking the provider.
    async fn statuses(&self) -> (String, String) {
        let reply = self
            .fixture
            .app
            .admin_gql(
                "query($id: ID!) { trainingJob(id: $id) { status model { status } } }",
                json!({ "id": self.job_id }),
            )
            .await;
        let job = &reply.data()["trainingJob"];
        let text = |v: &Value| v.as_str().expect("status").to_owned();
        (text(&job["status"]), text(&job["model"]["status"]))
    }

    /// How many times tuner asked the provider about the job.
    fn job_lookups(&self) -> usize {
        let path = format!("/fine_tuning/jobs/{}", self.provider_job_id);
        self.fixture.emulator.requests("GET", &path)
    }
}

#[tokio::test]
async fn a_signed_webhook_refreshes_the_job_and_makes_the_model_ready() {
    let setup = setup().await;
    setup.fixture.emulator.advance(3_600);
    assert_ne!(setup.statuses().await.0, "SUCCEEDED", "not refreshed yet");
    let body = event(&setup.provider_job_id);
    let (status, reply) = deliver(&setup.base, SECRET, "msg_1", now(), &body).await;
    assert_eq!((status, &reply), (200, &json!({ "status": "processed" })));
    assert_eq!(
        setup.statuses().await,
        ("SUCCEEDED".to_owned(), "READY".to_owned())
    );
}

#[tokio::test]
async fn a_replayed_webhook_id_is_a_duplicate_and_handled_once() {
    let setup = setup().await;
    setup.fixture.emulator.advance(3_600);
    let body = event(&setup.provider_job_id);
    let (status, _) = deliver(&setup.base, SECRET, "msg_once", now(), &body).await;
    assert_eq!(status, 200);
    let lookups = setup.job_lookups();
    let (status, reply) = deliver(&setup.base, SECRET, "msg_once", now(), &body).await;
    assert_eq!((status, reply), (200, json!({ "status": "duplicate" })));
    assert_eq!(
        setup.job_lookups(),
        lookups,
        "the provider is not asked again"
    );
}

#[tokio::test]
async fn a_wrong_secret_is_unauthorized_and_changes_nothing() {
    let setup = setup().await;
    setup.fixture.emulator.advance(3_600);
    let before = setup.statuses().await;
    let other = format!("whsec_{}", STANDARD.encode(b"another secret entirely"));
    let body = event(&setup.provider_job_id);
    let (status, reply) = deliver(&setup.base, &other, "msg_wrong", now(), &body).await;
    assert_eq!(status, 401, "{reply}");
    assert!(reply["error"].is_string(), "{reply}");
    assert_eq!(setup.statuses().await, before);
    // The id was not spent: the genuine delivery with the same id is still processed.
    let (status, reply) = deliver(&setup.base, SECRET, "msg_wrong", now(), &body).await;
    assert_eq!((status, reply), (200, json!({ "status": "processed" })));
}

#[tokio::test]
async fn stale_and_future_timestamps_are_unauthorized() {
    let setup = setup().await;
    setup.fixture.emulator.advance(3_600);
    let before = setup.statuses().await;
    let body = event(&setup.provider_job_id);
    for (i, timestamp) in [now() - 301, now() + 400].into_iter().enumerate() {
        let id = format!("msg_time_{i}");
        let (status, reply) = deliver(&setup.base, SECRET, &id, timestamp, &body).await;
        assert_eq!(status, 401, "{timestamp}: {reply}");
    }
    assert_eq!(setup.statuses().await, before);
}

#[tokio::test]
async fn missing_headers_and_malformed_signatures_are_unauthorized() {
    let setup = setup().await;
    let body = event(&setup.provider_job_id);
    let ts = now().to_string();
    let good = sign(SECRET, "msg_h", now(), &body);
    let bare = good.trim_start_matches("v1,").to_owned();
    let cases: [[Option<&str>; 3]; 7] = [
        [None, None, None],
        [None, Some(&ts), Some(&good)],
        [Some("msg_h"), None, Some(&good)],
        [Some("msg_h"), Some(&ts), None],
        [Some("msg_h"), Some("yesterday"), Some(&good)],
        [Some("msg_h"), Some(&ts), Some(&bare)],
        [Some("msg_h"), Some(&ts), Some("v1,!!!not-base64 v1")],
    ];
    for headers in cases {
        let (status, reply) = post(&setup.base, headers, &body).await;
        assert_eq!(status, 401, "{headers:?}: {reply}");
    }
    assert_eq!(setup.job_lookups(), 0);
}

#[tokio::test]
async fn a_signed_webhook_about_an_unknown_job_is_ignored_on_the_credential_url() {
    let setup = setup().await;
    let body = event("ftjob-not-ours");
    let (status, _, reply) = deliver_to(&setup.base, &setup.path, SECRET, "msg_x", &body).await;
    assert_eq!((status, reply.as_str()), (200, r#"{"status":"ignored"}"#));
}

#[tokio::test]
async fn unsigned_callers_cannot_tell_known_jobs_from_unknown_ones() {
    let setup = setup().await;
    let other = format!("whsec_{}", STANDARD.encode(b"a secret nobody set"));
    for job in [setup.provider_job_id.as_str(), "ftjob-not-ours"] {
        let body = event(job);
        let (status, _) = post(&setup.base, [None, None, None], &body).await;
        assert_eq!(status, 401, "{job} without a signature");
        let (status, reply) = deliver(&setup.base, &other, "msg_u", now(), &body).await;
        assert_eq!(
            (status, reply["error"].as_str()),
            (401, Some("the webhook-signature does not match")),
            "{job} signed with a secret no workspace has"
        );
    }
}

#[tokio::test]
async fn malformed_and_oversized_bodies_are_refused() {
    let setup = setup().await;
    let (status, _) = deliver(&setup.base, SECRET, "msg_m", now(), "not json").await;
    assert_eq!(status, 400);
    let (status, _) = deliver(&setup.base, SECRET, "msg_m", now(), r#"{"data":{}}"#).await;
    assert_eq!(status, 400);
    let huge = format!(r#"{{"pad":"{}"}}"#, "x".repeat(1024 * 1024 + 1));
    let (status, _) = deliver(&setup.base, SECRET, "msg_m", now(), &huge).await;
    assert!(status == 413 || status == 400, "{status}");
}

#[tokio::test]
async fn a_job_whose_workspace_has_no_secret_is_unauthorized() {
    let fixture = Fixture::new(1_000).await;
    fixture.blocks(10, None).await;
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    let base = fixture.app.serve(http_options()).await;
    let body = event(job["providerJobId"].as_str().expect("job"));
    let (status, reply) = deliver(&base, SECRET, "msg_n", now(), &body).await;
    assert_eq!(status, 401, "{reply}");
}

#[tokio::test]
async fn the_webhook_secret_is_validated_write_only_and_kept_when_omitted() {
    let app = TestApp::spawn().await;
    let url = "http://127.0.0.1:9/v1";
    for bad in ["", "c2VjcmV0", "whsec_", "whsec_not base64!", "whsec_###"] {
        let reply = app
            .admin_gql(SET, json!({ "k": "sk-x", "u": url, "w": bad }))
            .await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{bad:?}");
        assert_eq!(reply.field(), "webhookSecret", "{bad:?}");
    }
    let reply = app.admin_gql(SET, json!({ "k": "sk-x", "u": url })).await;
    assert_eq!(
        reply.data()["setProviderCredentials"]["webhookSecretSet"],
        false
    );
    let reply = app
        .admin_gql(SET, json!({ "k": "sk-x", "u": url, "w": SECRET }))
        .await;
    assert!(!reply.body.to_string().contains(SECRET));
    let reply = app.admin_gql(SET, json!({ "k": "sk-y", "u": url })).await;
    assert_eq!(
        reply.data()["setProviderCredentials"]["webhookSecretSet"],
        true,
        "omitted keeps the secret"
    );
    let listed = app
        .admin_gql("{ providerCredentials { webhookSecretSet } }", json!({}))
        .await;
    assert_eq!(
        listed.data()["providerCredentials"],
        json!([{ "webhookSecretSet": true }])
    );
    let rows = tuner::entities::provider_credential::Entity::find()
        .all(&app.db)
        .await
        .expect("rows");
    let sealed = rows[0]
        .webhook_secret_ciphertext
        .as_deref()
        .expect("sealed");
    assert!(!sealed.contains("MfKQ9r8G"), "stored encrypted");
}
