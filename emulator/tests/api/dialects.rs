//! Test helpers for the non-OpenAI dialects: URLs per dialect, chat requests and SSE parsing.

use reqwest::multipart::{Form, Part};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::{json, Value};
use tuner_emulator::Dialect;

use crate::helpers::{TestEmulator, KEY};

/// A conversation with a system prompt whose last user message is "hello there".
pub fn chat_body(model: &str, stream: bool) -> Value {
    json!({
        "model": model,
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": "hello there"},
        ],
        "stream": stream,
        "stream_options": {"include_usage": true},
    })
}

/// The reply the emulator gives [`chat_body`] for `model`.
pub fn expected_reply(model: &str) -> String {
    format!("[model={model}] [system=Be brief.] echo: hello there")
}

/// The SSE `data:` payloads of a streamed response, in order (`[DONE]` as a string).
pub async fn sse(response: Response) -> Vec<Value> {
    let text = response.text().await.expect("stream body");
    text.split("\n\n")
        .filter_map(|event| event.strip_prefix("data: "))
        .map(|data| serde_json::from_str(data).unwrap_or_else(|_| json!(data)))
        .collect()
}

/// The content of a streamed reply, put back together.
pub fn streamed_text(events: &[Value]) -> String {
    events
        .iter()
        .filter_map(|e| e["choices"][0]["delta"]["content"].as_str())
        .collect()
}

impl TestEmulator {
    /// A URL under `dialect`'s base.
    pub fn at(&self, dialect: Dialect, path: &str) -> String {
        format!("{}{path}", self.emulator.base_url_for(dialect))
    }

    pub fn get_at(&self, dialect: Dialect, path: &str) -> RequestBuilder {
        self.client.get(self.at(dialect, path)).bearer_auth(KEY)
    }

    pub fn post_at(&self, dialect: Dialect, path: &str) -> RequestBuilder {
        self.client.post(self.at(dialect, path)).bearer_auth(KEY)
    }

    pub fn delete_at(&self, dialect: Dialect, path: &str) -> RequestBuilder {
        self.client.delete(self.at(dialect, path)).bearer_auth(KEY)
    }

    /// GET expecting 200; returns the JSON body.
    pub async fn json_at(&self, dialect: Dialect, path: &str) -> Value {
        let (status, body) = self.send(self.get_at(dialect, path)).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    /// `POST /chat/completions` on `dialect`'s inference base.
    pub fn chat(&self, dialect: Dialect, body: &Value) -> RequestBuilder {
        let url = format!(
            "{}/chat/completions",
            self.emulator.inference_url_for(dialect)
        );
        self.client.post(url).bearer_auth(KEY).json(body)
    }

    /// Checks a non-streaming and a streaming answer for `model` on `dialect`.
    pub async fn assert_chat_works(&self, dialect: Dialect, model: &str) {
        let (status, body) = self
            .send(self.chat(dialect, &chat_body(model, false)))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["object"], "chat.completion");
        assert_eq!(body["model"], model);
        let reply = expected_reply(model);
        assert_eq!(body["choices"][0]["message"]["content"], reply.as_str());
        assert_eq!(body["choices"][0]["finish_reason"], "stop");
        let usage = &body["usage"];
        assert_eq!(
            usage["total_tokens"].as_u64().unwrap(),
            usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap()
        );
        assert_eq!(
            usage["completion_tokens"].as_u64().unwrap(),
            reply.split_whitespace().count() as u64
        );

        let response = self
            .chat(dialect, &chat_body(model, true))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        let events = sse(response).await;
        assert_eq!(events.last().unwrap(), "[DONE]");
        assert_eq!(streamed_text(&events), reply);
        assert!(events
            .iter()
            .any(|e| e["choices"][0]["finish_reason"] == "stop"));
        let usage_chunk = &events[events.len() - 2];
        assert_eq!(usage_chunk["usage"], *usage, "{usage_chunk}");
        assert!(events[..events.len() - 1]
            .iter()
            .all(|e| e["object"] == "chat.completion.chunk"));
    }

    /// Uploads `content` as a multipart form with `fields` to `url`.
    pub async fn multipart(
        &self,
        url: String,
        fields: &[(&str, &str)],
        content: &str,
    ) -> (StatusCode, Value) {
        let mut form = Form::new();
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        let part = Part::bytes(content.as_bytes().to_vec()).file_name("train.jsonl");
        form = form.part("file", part);
        self.send(self.client.post(url).bearer_auth(KEY).multipart(form))
            .await
    }
}
