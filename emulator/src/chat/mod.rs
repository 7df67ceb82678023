//! Chat completions: OpenAI's request shape in, a deterministic echo reply out (every dialect).

pub mod callable;
pub mod stream;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};

/// The parts of a chat-completion request the emulator reads (other fields are accepted).
#[derive(Debug, Deserialize)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<Message>,
    #[serde(default)]
    pub stream: bool,
    #[serde(default)]
    pub stream_options: Option<StreamOptions>,
}

#[derive(Debug, Deserialize)]
pub struct Message {
    pub role: String,
    #[serde(default)]
    pub content: Value,
}

#[derive(Debug, Deserialize)]
pub struct StreamOptions {
    #[serde(default)]
    pub include_usage: bool,
}

/// Token counts (one token per whitespace-separated word, plus 3 per message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub prompt: u64,
    pub completion: u64,
}

impl Usage {
    pub fn to_json(self) -> Value {
        json!({
            "prompt_tokens": self.prompt,
            "completion_tokens": self.completion,
            "total_tokens": self.prompt + self.completion,
        })
    }
}

impl ChatRequest {
    /// Parses and checks a request body.
    pub fn parse(body: &[u8]) -> ApiResult<Self> {
        let request: ChatRequest = serde_json::from_slice(body)
            .map_err(|e| ApiError::invalid(format!("Invalid request body: {e}.")))?;
        if request.messages.is_empty() {
            return Err(ApiError::invalid("'messages' must not be empty.").param("messages"));
        }
        Ok(request)
    }

    pub fn include_usage(&self) -> bool {
        self.stream_options
            .as_ref()
            .is_some_and(|o| o.include_usage)
    }

    /// `[model=X] [system=Y] echo: <last user message>` (`none` when there is no system prompt).
    pub fn reply(&self) -> String {
        let system = self
            .messages
            .iter()
            .find(|m| m.role == "system" || m.role == "developer")
            .map(|m| text(&m.content))
            .unwrap_or_else(|| "none".to_owned());
        let user = self
            .messages
            .iter()
            .rev()
            .find(|m| m.role == "user")
            .map(|m| text(&m.content))
            .unwrap_or_default();
        format!("[model={}] [system={system}] echo: {user}", self.model)
    }

    pub fn usage(&self, reply: &str) -> Usage {
        let prompt = self
            .messages
            .iter()
            .map(|m| 3 + words(&text(&m.content)))
            .sum::<u64>();
        Usage {
            prompt: prompt + 3,
            completion: words(reply),
        }
    }
}

/// The text of a message content: a string, or the `text` of its content parts.
fn text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

/// A `chat.completion` object.
pub fn completion(id: &str, created: i64, model: &str, reply: &str, usage: Usage) -> Value {
    json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": reply},
            "logprobs": null,
            "finish_reason": "stop",
        }],
        "usage": usage.to_json(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_names_model_system_and_last_user_message() {
        let body = br#"{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"},{"role":"assistant","content":"yo"},{"role":"user","content":[{"type":"text","text":"again please"}]}]}"#;
        let request = ChatRequest::parse(body).unwrap();
        let reply = request.reply();
        assert_eq!(reply, "[model=m] [system=Be brief.] echo: again please");
        assert_eq!(request.usage(&reply).completion, 6);
        assert_eq!(request.usage(&reply).prompt, 3 * 4 + 2 + 1 + 1 + 2 + 3);
    }
}
