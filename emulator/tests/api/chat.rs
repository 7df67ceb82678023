//! Chat completions on the OpenAI dialect, streaming pace, and the admin stream knob.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use tuner_emulator::Dialect::OpenAi;

use crate::dialects::{chat_body, sse};
use crate::helpers::{spawn, MODEL};

#[tokio::test]
async fn base_and_fine_tuned_openai_models_answer() {
    let app = spawn().await;
    app.assert_chat_works(OpenAi, MODEL).await;
    let job = app.start_job(MODEL, 10, json!({"suffix": "chat"})).await;
    let id = job["id"].as_str().unwrap();
    app.finish_all();
    let model = app.job(id).await["fine_tuned_model"]
        .as_str()
        .unwrap()
        .to_owned();
    app.assert_chat_works(OpenAi, &model).await;
    let (status, error) = app
        .send(app.chat(
            OpenAi,
            &chat_body("ft:gpt-4o-mini-2024-07-18:x::nope", false),
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error["error"]["code"], "model_not_found");
    let no_system = json!({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]});
    let (_, body) = app.send(app.chat(OpenAi, &no_system)).await;
    assert_eq!(
        body["choices"][0]["message"]["content"],
        format!("[model={MODEL}] [system=none] echo: hi")
    );
}

#[tokio::test]
async fn streams_pause_between_chunks_and_skip_usage_unless_asked() {
    let app = spawn().await;
    app.emulator.set_stream_delay(40);
    let body = json!({"model": MODEL, "stream": true,
        "messages": [{"role": "user", "content": "one two three"}]});
    let started = Instant::now();
    let response = app.chat(OpenAi, &body).send().await.unwrap();
    let events = sse(response).await;
    // The role chunk, 6 words, the finish chunk and [DONE]: 8 pauses.
    assert_eq!(events.len(), 9, "{events:?}");
    assert!(started.elapsed() >= Duration::from_millis(320));
    assert!(events.iter().all(|e| e.get("usage").is_none()));
    let admin = app
        .emulator
        .base_url()
        .replace("/v1", "/_emulator/stream-delay");
    let (status, _) = app
        .send(app.client.post(admin).json(&json!({"ms": 0})))
        .await;
    assert_eq!(status, StatusCode::OK);
    let started = Instant::now();
    let response = app.chat(OpenAi, &body).send().await.unwrap();
    assert_eq!(sse(response).await.len(), 9);
    assert!(started.elapsed() < Duration::from_millis(320));
}
