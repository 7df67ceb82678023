//! Test harness: spawn an emulator, upload training files, create and drive jobs.

use reqwest::multipart::{Form, Part};
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::{json, Value};
use tuner_emulator::{ClockMode, Emulator, EmulatorConfig};

pub const KEY: &str = "sk-test-emulator-key";
pub const MODEL: &str = "gpt-4o-mini-2024-07-18";

/// A harness around one emulator on a manual clock that requires [`KEY`].
pub struct TestEmulator {
    pub emulator: Emulator,
    pub client: Client,
}

pub async fn spawn() -> TestEmulator {
    spawn_with(EmulatorConfig {
        api_key: Some(KEY.to_owned()),
        clock: ClockMode::Manual,
        ..EmulatorConfig::default()
    })
    .await
}

pub async fn spawn_with(config: EmulatorConfig) -> TestEmulator {
    let emulator = Emulator::spawn(config).await.expect("emulator starts");
    TestEmulator {
        emulator,
        client: Client::new(),
    }
}

/// One chat example line.
pub fn example(i: usize) -> String {
    json!({"messages": [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": format!("Question {i}?")},
        {"role": "assistant", "content": format!("Answer {i}.")},
    ]})
    .to_string()
}

/// A JSONL file of `n` valid examples.
pub fn examples(n: usize) -> String {
    (0..n).map(|i| example(i) + "\n").collect()
}

impl TestEmulator {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emulator.base_url())
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(self.url(path)).bearer_auth(KEY)
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.client.post(self.url(path)).bearer_auth(KEY)
    }

    /// Sends a request and returns its status and JSON body.
    pub async fn send(&self, request: RequestBuilder) -> (StatusCode, Value) {
        let response = request.send().await.expect("request is sent");
        let status = response.status();
        let body = response.json().await.expect("body is JSON");
        (status, body)
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let (status, body) = self.send(self.get(path)).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    /// Uploads `content` with `purpose` and returns the status and body.
    pub async fn upload_as(&self, content: &str, purpose: &str) -> (StatusCode, Value) {
        let part = Part::bytes(content.as_bytes().to_vec()).file_name("train.jsonl");
        let form = Form::new()
            .text("purpose", purpose.to_owned())
            .part("file", part);
        self.send(self.post("/files").multipart(form)).await
    }

    /// Uploads a fine-tune file and returns its id.
    pub async fn upload(&self, content: &str) -> String {
        let (status, body) = self.upload_as(content, "fine-tune").await;
        assert_eq!(status, StatusCode::OK, "upload: {body}");
        body["id"].as_str().expect("file id").to_owned()
    }

    /// Creates a job with `body` and returns the status and body.
    pub async fn create_job(&self, body: Value) -> (StatusCode, Value) {
        self.send(self.post("/fine_tuning/jobs").json(&body)).await
    }

    /// Uploads `n` examples and creates a job on `model` with `extra` fields; returns the job.
    pub async fn start_job(&self, model: &str, n: usize, extra: Value) -> Value {
        let file = self.upload(&examples(n)).await;
        let mut body = json!({"model": model, "training_file": file});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let (status, job) = self.create_job(body).await;
        assert_eq!(status, StatusCode::OK, "create job: {job}");
        job
    }

    pub async fn job(&self, id: &str) -> Value {
        self.get_json(&format!("/fine_tuning/jobs/{id}")).await
    }

    /// All events of a job, newest first.
    pub async fn events(&self, id: &str) -> Vec<Value> {
        let body = self
            .get_json(&format!("/fine_tuning/jobs/{id}/events?limit=100"))
            .await;
        body["data"].as_array().cloned().unwrap_or_default()
    }

    /// Advances the manual clock past the whole default lifecycle (2 + 2 + 10 seconds).
    pub fn finish_all(&self) {
        self.emulator.advance(60);
    }
}

/// The `message` of each event, oldest first.
pub fn messages(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .rev()
        .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}
