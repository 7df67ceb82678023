//! What tuner sends: auth headers, URLs, upload form, job body, metadata queries; and `connect`.

use std::io::Write;

use serde_json::json;

use super::fake::{FakeProvider, Reply};
use super::{create_request, fast_settings, job_json, list_json};
use std::sync::Arc;

use crate::provider::{
    default_base_url, shared_client, Credentials, FineTuningProvider, Hyperparameters, JobMarker,
    ProviderSettings, PROVIDERS,
};

/// `provider::connect` on a client of its own; the error in words.
fn connect(
    provider: &str,
    credentials: &Credentials,
    settings: &ProviderSettings,
) -> Result<Arc<dyn FineTuningProvider>, String> {
    let client = shared_client(settings).expect("HTTP client");
    crate::provider::connect(
        provider,
        credentials,
        settings,
        &client,
        &crate::metrics::Metrics::new(),
    )
    .map_err(|e| e.to_string())
}

fn models_reply() -> Reply {
    let models = vec![
        json!({"id": "gpt-4o-mini-2024-07-18", "object": "model", "created": 1, "owned_by": "system"}),
        json!({"id": "ft:gpt-4o-mini:org::abc", "object": "model", "created": 2, "owned_by": "org"}),
    ];
    Reply::json(200, json!({"object": "list", "data": models}))
}

#[tokio::test]
async fn openai_sends_a_bearer_token_and_lists_model_ids() {
    let fake = FakeProvider::start(vec![models_reply()]).await;
    let models = fake.connect("openai", &fast_settings()).list_models().await;
    assert_eq!(
        models.expect("models"),
        ["gpt-4o-mini-2024-07-18", "ft:gpt-4o-mini:org::abc"]
    );
    let request = &fake.requests()[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("GET", "/v1/models")
    );
    assert_eq!(request.header("authorization"), Some("Bearer sk-test-key"));
    assert_eq!(request.header("api-key"), None);
}

#[tokio::test]
async fn azure_sends_the_key_in_an_api_key_header() {
    let fake = FakeProvider::start(vec![models_reply()]).await;
    let provider = fake.connect("azure-openai", &fast_settings());
    provider.list_models().await.expect("models");
    let request = &fake.requests()[0];
    assert_eq!(request.header("api-key"), Some("sk-test-key"));
    assert_eq!(request.header("authorization"), None);
}

#[tokio::test]
async fn a_trailing_slash_on_the_base_url_makes_no_difference() {
    let job = Reply::json(200, job_json("ftjob-1", "running"));
    let fake = FakeProvider::start(vec![models_reply(), job]).await;
    let credentials = Credentials {
        api_key: "sk-test-key".into(),
        base_url: Some(format!("{}/", fake.base_url)),
        account_id: None,
    };
    let provider = connect("openai", &credentials, &fast_settings()).expect("connect");
    provider.list_models().await.expect("models");
    provider.get_job("ftjob-1").await.expect("job");
    let paths: Vec<_> = fake.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/v1/models", "/v1/fine_tuning/jobs/ftjob-1"]);
}

#[tokio::test]
async fn upload_streams_the_file_as_multipart_with_purpose_fine_tune() {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    let mut written = 0;
    for line in 0.. {
        let row =
            format!("{{\"messages\":[{{\"role\":\"user\",\"content\":\"example {line}\"}}]}}\n");
        file.write_all(row.as_bytes()).expect("write");
        written += row.len();
        if written > 6 * 1024 * 1024 {
            break;
        }
    }
    let expected = std::fs::read(file.path()).expect("read back");
    let uploaded = json!({"id": "file-xyz", "object": "file", "bytes": expected.len(),
        "created_at": 1, "filename": "train.jsonl", "purpose": "fine-tune", "status": "processed"});
    let fake = FakeProvider::start(vec![Reply::json(200, uploaded)]).await;
    let provider = fake.connect("openai", &fast_settings());
    let result = provider
        .upload_training_file(file.path(), "train.jsonl")
        .await;
    let result = result.expect("upload");
    assert_eq!(
        (result.id.as_str(), result.bytes),
        ("file-xyz", expected.len() as u64)
    );

    let request = &fake.requests()[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/v1/files")
    );
    let content_type = request.header("content-type").expect("content type");
    let parts = multipart_parts(content_type, &request.body);
    assert_eq!(parts.len(), 2, "purpose and file");
    assert!(parts[0].0.contains("name=\"purpose\""));
    assert_eq!(parts[0].1, b"fine-tune");
    assert!(
        parts[1].0.contains("name=\"file\"") && parts[1].0.contains("filename=\"train.jsonl\"")
    );
    assert!(
        parts[1].1 == expected,
        "the uploaded bytes differ from the file"
    );
}

/// (headers, content) of each part of a multipart body.
fn multipart_parts(content_type: &str, body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let boundary = content_type.split("boundary=").nth(1).expect("a boundary");
    let delimiter = format!("\r\n--{}", boundary.trim_matches('"'));
    let mut body = [b"\r\n".as_slice(), body].concat();
    let mut parts = Vec::new();
    while let Some(start) = find(&body, delimiter.as_bytes()) {
        body.drain(..start + delimiter.len());
        if body.starts_with(b"--") {
            break;
        }
        let end = find(&body, delimiter.as_bytes()).expect("a closing delimiter");
        let part = &body[2..end];
        let split = find(part, b"\r\n\r\n").expect("part headers");
        let headers = String::from_utf8_lossy(&part[..split]).into_owned();
        parts.push((headers, part[split + 4..].to_vec()));
    }
    parts
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[tokio::test]
async fn create_job_sends_supervised_hyperparameters_with_auto_for_unset_values() {
    let replies = (0..2).map(|_| Reply::json(200, job_json("ftjob-1", "validating_files")));
    let fake = FakeProvider::start(replies.collect()).await;
    let provider = fake.connect("openai", &fast_settings());
    let job = provider.create_job(&create_request()).await.expect("job");
    assert_eq!(job.id, "ftjob-1");
    let mut request = create_request();
    request.hyperparameters = Hyperparameters {
        n_epochs: Some(3),
        batch_size: None,
        learning_rate_multiplier: Some(0.5),
        ..Hyperparameters::default()
    };
    request.suffix = None;
    provider.create_job(&request).await.expect("job");

    let sent = fake.requests();
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v1/fine_tuning/jobs")
    );
    let supervised = |n: usize| sent[n].json()["method"]["supervised"]["hyperparameters"].clone();
    assert_eq!(
        sent[0].json(),
        json!({
            "model": "gpt-4o-mini-2024-07-18",
            "training_file": "file-abc123",
            "suffix": "support-bot",
            "metadata": {"tuner_job": "job-1"},
            "method": {"type": "supervised", "supervised": {"hyperparameters":
                {"n_epochs": "auto", "batch_size": "auto", "learning_rate_multiplier": "auto"}}}
        })
    );
    assert_eq!(
        supervised(1),
        json!({"n_epochs": 3, "batch_size": "auto", "learning_rate_multiplier": 0.5})
    );
    assert!(sent[1].json().get("suffix").is_none());
}

#[tokio::test]
async fn find_job_filters_by_metadata_and_follows_every_page() {
    let first = list_json(
        vec![
            job_json("ftjob-1", "running"),
            job_json("ftjob-2", "queued"),
        ],
        true,
    );
    let second = list_json(vec![job_json("ftjob-3", "succeeded")], false);
    let fake = FakeProvider::start(vec![Reply::json(200, first), Reply::json(200, second)]).await;
    let provider = fake.connect("openai", &fast_settings());
    let marker = JobMarker {
        tuner_job_id: "job 1&x".into(),
        training_file: Some("file-abc123".into()),
    };
    let found = provider.find_job(&marker).await.expect("jobs");
    assert_eq!(found.map(|job| job.id).as_deref(), Some("ftjob-1"));

    let sent = fake.requests();
    assert_eq!(sent.len(), 2, "every page is read");
    let filter = ("metadata[tuner_job_id]".to_owned(), "job 1&x".to_owned());
    assert!(sent
        .iter()
        .all(|r| r.path == "/v1/fine_tuning/jobs" && r.query.contains(&filter)));
    assert!(!sent[0].query.iter().any(|(key, _)| key == "after"));
    assert!(sent[1]
        .query
        .contains(&("after".to_owned(), "ftjob-2".to_owned())));
}

#[test]
fn connect_refuses_unknown_providers_and_azure_without_a_base_url() {
    let settings = ProviderSettings::default();
    let key_only = Credentials {
        api_key: "sk-test-key".into(),
        base_url: None,
        account_id: None,
    };
    let unknown = connect("anthropic", &key_only, &settings)
        .err()
        .expect("unknown id");
    assert!(unknown.contains("openai, azure-openai"), "{unknown}");
    let azure = connect("azure-openai", &key_only, &settings)
        .err()
        .expect("no base URL");
    assert!(azure.contains("base URL"), "{azure}");
    assert!(connect("openai", &key_only, &settings).is_ok());
    let empty_key = Credentials {
        api_key: " ".into(),
        base_url: None,
        account_id: None,
    };
    let empty = connect("openai", &empty_key, &settings)
        .err()
        .expect("empty key");
    assert!(empty.contains("API key is empty"), "{empty}");
    let bad_url = Credentials {
        base_url: Some("api.openai.com".into()),
        ..key_only
    };
    assert!(connect("openai", &bad_url, &settings).is_err());
}

#[test]
fn fireworks_needs_an_account_id_and_says_how_to_set_it() {
    let settings = ProviderSettings::default();
    let mut credentials = Credentials {
        api_key: "fw-test-key".into(),
        base_url: None,
        account_id: Some("  ".into()),
    };
    let missing = connect("fireworks", &credentials, &settings)
        .err()
        .expect("no account");
    assert!(missing.contains("accountId"), "{missing}");
    credentials.account_id = Some("acme".into());
    assert!(connect("fireworks", &credentials, &settings).is_ok());
}

#[test]
fn provider_ids_and_default_base_urls_agree() {
    assert_eq!(
        PROVIDERS,
        ["openai", "azure-openai", "together", "nebius", "fireworks"]
    );
    assert_eq!(
        default_base_url("openai"),
        Some("https://api.openai.com/v1")
    );
    assert_eq!(default_base_url("azure-openai"), None);
    assert_eq!(
        default_base_url("together"),
        Some("https://api.together.xyz/v1")
    );
    assert_eq!(
        default_base_url("nebius"),
        Some("https://api.tokenfactory.nebius.com/v1")
    );
    assert_eq!(
        default_base_url("fireworks"),
        Some("https://api.fireworks.ai/v1")
    );
}

#[test]
fn credentials_never_show_the_key_in_debug_output() {
    let credentials = Credentials {
        api_key: "sk-secret-123".into(),
        base_url: None,
        account_id: None,
    };
    assert!(!format!("{credentials:?}").contains("sk-secret"));
}

#[tokio::test]
async fn a_retried_upload_streams_the_whole_file_again() {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(b"{\"messages\":[]}\n").expect("write");
    let uploaded = json!({"id": "file-xyz", "object": "file", "filename": "t.jsonl"});
    let replies = vec![Reply::text(502, "Bad Gateway"), Reply::json(200, uploaded)];
    let fake = FakeProvider::start(replies).await;
    let provider = fake.connect("openai", &fast_settings());
    let result = provider.upload_training_file(file.path(), "t.jsonl").await;
    // Without `bytes` in the answer, the local size is reported.
    assert_eq!(result.expect("upload").bytes, 16);
    assert_eq!(fake.requests().len(), 2);
    for request in fake.requests() {
        let content_type = request.header("content-type").expect("content type");
        let parts = multipart_parts(content_type, &request.body);
        assert_eq!(parts[1].1, b"{\"messages\":[]}\n");
    }
}

#[tokio::test]
async fn cancel_posts_to_the_jobs_cancel_path() {
    let fake = FakeProvider::start(vec![Reply::json(200, job_json("ftjob-1", "cancelled"))]).await;
    let job = fake
        .connect("openai", &fast_settings())
        .cancel_job("ftjob-1")
        .await;
    assert!(job.expect("cancelled job").status.is_terminal());
    let request = &fake.requests()[0];
    let expected = ("POST", "/v1/fine_tuning/jobs/ftjob-1/cancel");
    assert_eq!((request.method.as_str(), request.path.as_str()), expected);
}
