//! How failures come back: which are retried, how often, and what the errors say.

use std::time::{Duration, Instant};

use serde_json::json;

use super::fake::{FakeProvider, Reply};
use super::{create_request, fast_settings, job_json};
use crate::provider::{connect, shared_client, Credentials, ProviderError, ProviderSettings};

fn openai_error(status: u16, message: &str, code: &str, param: Option<&str>) -> Reply {
    let error =
        json!({"message": message, "type": "invalid_request_error", "param": param, "code": code});
    Reply::json(status, json!({ "error": error }))
}

#[tokio::test]
async fn a_429_is_retried_after_the_retry_after_pause_even_for_create_job() {
    let limited = openai_error(429, "Rate limit reached", "rate_limit_exceeded", None)
        .header("retry-after", "1");
    let fake = FakeProvider::start(vec![
        limited,
        Reply::json(200, job_json("ftjob-1", "queued")),
    ])
    .await;
    let settings = ProviderSettings {
        max_backoff: Duration::from_millis(300),
        ..fast_settings()
    };
    let started = Instant::now();
    let job = fake
        .connect("openai", &settings)
        .create_job(&create_request())
        .await;
    assert_eq!(job.expect("job after one retry").id, "ftjob-1");
    assert_eq!(fake.requests().len(), 2);
    // Retry-After (1 s) capped at max_backoff (300 ms), not the 1 ms initial backoff.
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn a_503_that_persists_becomes_unavailable_after_max_retries_plus_one_attempts() {
    let busy = || {
        openai_error(
            503,
            "The engine is currently overloaded",
            "server_busy",
            None,
        )
    };
    let fake = FakeProvider::start((0..3).map(|_| busy()).collect()).await;
    let error = fake.connect("openai", &fast_settings()).list_models().await;
    let error = error.expect_err("unavailable");
    assert!(error.is_transient());
    assert!(
        matches!(error, ProviderError::Unavailable { .. }),
        "{error:?}"
    );
    let message = error.message();
    for part in [
        "HTTP 503",
        "currently overloaded",
        "GET /models",
        "3 attempt",
        "try again later",
    ] {
        assert!(message.contains(part), "{part:?} missing from {message:?}");
    }
    assert_eq!(fake.requests().len(), 3);
}

#[tokio::test]
async fn a_400_is_not_retried_and_keeps_the_providers_message_code_and_param() {
    let reply = openai_error(
        400,
        "Training file has 5 example(s), but must have at least 10 examples",
        "invalid_n_examples",
        Some("training_file"),
    );
    let fake = FakeProvider::start(vec![reply]).await;
    let error = fake
        .connect("openai", &fast_settings())
        .create_job(&create_request())
        .await;
    let error = error.expect_err("rejected");
    assert_eq!(
        error,
        ProviderError::Rejected {
            status: 400,
            code: Some("invalid_n_examples".into()),
            message: "Training file has 5 example(s), but must have at least 10 examples".into(),
            param: Some("training_file".into()),
        }
    );
    assert!(!error.is_transient());
    assert!(error.message().contains("must have at least 10 examples"));
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_401_is_unauthorized_and_says_to_check_the_key() {
    let reply = openai_error(
        401,
        "Incorrect API key provided: sk-te****",
        "invalid_api_key",
        None,
    );
    let fake = FakeProvider::start(vec![reply]).await;
    let error = fake.connect("openai", &fast_settings()).list_models().await;
    let error = error.expect_err("unauthorized");
    assert!(
        matches!(error, ProviderError::Unauthorized { .. }),
        "{error:?}"
    );
    assert!(error.message().contains("Incorrect API key provided"));
    assert!(error.message().contains("check the API key"));
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_404_is_not_found() {
    let reply = openai_error(404, "Could not find job ftjob-x", "model_not_found", None);
    let fake = FakeProvider::start(vec![reply]).await;
    let error = fake
        .connect("openai", &fast_settings())
        .get_job("ftjob-x")
        .await;
    let error = error.expect_err("not found");
    assert!(
        matches!(error, ProviderError::NotFound { ref message } if message.contains("ftjob-x"))
    );
}

#[tokio::test]
async fn a_non_json_error_body_is_reported_with_its_status_and_an_excerpt() {
    let html = "<html><body>\n  <h1>Request blocked</h1>\n</body></html>";
    let fake = FakeProvider::start(vec![Reply::text(400, html)]).await;
    let error = fake.connect("openai", &fast_settings()).list_models().await;
    let message = error.expect_err("rejected").message();
    assert!(message.contains("HTTP 400"), "{message}");
    assert!(message.contains("<h1>Request blocked</h1>"), "{message}");
}

#[tokio::test]
async fn running_out_of_quota_is_not_retried() {
    let reply = openai_error(
        429,
        "You exceeded your current quota",
        "insufficient_quota",
        None,
    );
    let fake = FakeProvider::start(vec![reply]).await;
    let error = fake
        .connect("openai", &fast_settings())
        .create_job(&create_request())
        .await;
    let error = error.expect_err("rejected");
    assert!(
        matches!(error, ProviderError::Rejected { status: 429, .. }),
        "{error:?}"
    );
    assert_eq!(fake.requests().len(), 1);
}

fn impatient() -> ProviderSettings {
    ProviderSettings {
        request_timeout: Duration::from_millis(200),
        ..fast_settings()
    }
}

#[tokio::test]
async fn create_job_is_not_repeated_after_a_timeout_once_sent() {
    let slow = Reply::json(200, job_json("ftjob-1", "queued")).after(Duration::from_secs(2));
    let fake = FakeProvider::start(vec![slow]).await;
    let error = fake
        .connect("openai", &impatient())
        .create_job(&create_request())
        .await;
    let error = error.expect_err("timed out");
    assert!(
        matches!(error, ProviderError::Unavailable { .. }),
        "{error:?}"
    );
    assert!(
        error.message().contains("did not send it again"),
        "{}",
        error.message()
    );
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn get_job_is_repeated_after_a_timeout() {
    let slow = Reply::json(200, job_json("ftjob-1", "queued")).after(Duration::from_secs(2));
    let fast = Reply::json(200, job_json("ftjob-1", "running"));
    let fake = FakeProvider::start(vec![slow, fast]).await;
    let job = fake
        .connect("openai", &impatient())
        .get_job("ftjob-1")
        .await;
    assert_eq!(
        job.expect("job on the second attempt").status.as_str(),
        "running"
    );
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn an_unreachable_provider_is_unavailable_even_for_create_job() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    drop(listener);
    let credentials = Credentials {
        api_key: "sk-test-key".into(),
        base_url: Some(format!("http://{address}/v1")),
        account_id: None,
    };
    let settings = fast_settings();
    let client = shared_client(&settings).expect("HTTP client");
    let metrics = crate::metrics::Metrics::new();
    let provider = connect("openai", &credentials, &settings, &client, &metrics).expect("connect");
    let error = provider
        .create_job(&create_request())
        .await
        .expect_err("unreachable");
    assert!(error.is_transient());
    let attempts = settings.max_retries + 1;
    let scraped = metrics.render(&[]).expect("render");
    let series = "tuner_provider_requests_total{provider=\"openai\",outcome=\"connect_error\"}";
    assert!(
        scraped.contains(&format!("{series} {attempts}\n")),
        "every attempt is counted: {scraped}"
    );
    let message = error.message();
    assert!(
        message.contains("could not connect to 127.0.0.1"),
        "{message}"
    );
    assert!(message.contains("3 attempt"), "{message}");
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_names_the_new_address() {
    let moved = Reply::text(301, "").header("location", "https://elsewhere.example/v1/models");
    let fake = FakeProvider::start(vec![moved]).await;
    let error = fake
        .connect("azure-openai", &fast_settings())
        .list_models()
        .await;
    let error = error.expect_err("redirect refused");
    assert!(matches!(error, ProviderError::Protocol { .. }), "{error:?}");
    assert!(error
        .message()
        .contains("https://elsewhere.example/v1/models"));
    assert_eq!(fake.requests().len(), 1);
}
