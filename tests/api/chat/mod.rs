//! The OpenAI-compatible chat endpoint over real HTTP, with a model trained on the provider
//! emulator: the trained system prompt, streaming, errors in OpenAI's shape, usage, credits
//! and limits.

mod completions;
mod limits;
mod models;

use reqwest::{Client, Response};
use serde_json::{json, Value};
use tuner::auth::Role;
use tuner::chat::ChatSettings;

use crate::harness::http_options;
use crate::training_jobs::Fixture;

/// The global rules the model is trained with, and so its system prompt.
const RULES: [&str; 2] = ["Answer in English.", "Be brief."];

/// A workspace with a model `support` trained (READY) on the emulator, served over HTTP.
pub(crate) struct Chat {
    pub fixture: Fixture,
    pub base: String,
    pub reader: String,
    pub http: Client,
}

impl Chat {
    /// A trained model served with default chat settings.
    pub async fn new() -> Chat {
        Self::with_settings(ChatSettings::default(), 1_000).await
    }

    /// A trained model served with `settings`; the workspace keeps `credits` after training.
    pub async fn with_settings(settings: ChatSettings, credits: i64) -> Chat {
        let fixture = Fixture::new(credits + 110).await;
        for rule in RULES {
            fixture.app.create_rule(rule).await;
        }
        fixture.blocks(10, None).await;
        let job = fixture.run(json!({})).await;
        let job_id = job.data()["runTrainingJob"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let done = fixture.finish(&job_id).await;
        assert_eq!(done["status"], "SUCCEEDED");
        let mut options = http_options();
        options.chat = settings;
        let base = fixture.app.serve(options).await;
        let reader = fixture.app.token(Role::Reader).await;
        Chat {
            fixture,
            base,
            reader,
            http: Client::new(),
        }
    }

    /// The fine-tuned model's provider name.
    pub async fn provider_model(&self) -> String {
        let reply = self
            .fixture
            .app
            .admin_gql("{ availableModels { providerModel } }", json!({}))
            .await;
        reply.data()["availableModels"][0]["providerModel"]
            .as_str()
            .expect("provider model")
            .to_owned()
    }

    /// `POST /v1/chat/completions` with `token`.
    pub async fn post(&self, token: &str, body: Value) -> Response {
        self.http
            .post(format!("{}/v1/chat/completions", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    /// `GET` a path under the base URL with `token`.
    pub async fn get(&self, token: &str, path: &str) -> Response {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }
}

/// A one-message chat request for `model`.
pub(crate) fn ask(model: &str, text: &str) -> Value {
    json!({ "model": model, "messages": [{ "role": "user", "content": text }] })
}

/// The status and OpenAI error body of a failed response.
pub(crate) async fn failure(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("json error");
    (status, body["error"].clone())
}
