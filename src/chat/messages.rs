//! The trained system prompt goes first; what happens to the client's own system messages is
//! the model's setting (`clientSystemMessages`).

use serde_json::{json, Map, Value};

use super::errors::ChatError;
use crate::entities::custom_model::ClientSystemMessages;

/// Roles that carry instructions rather than conversation (`developer` is OpenAI's newer name).
const SYSTEM_ROLES: [&str; 2] = ["system", "developer"];

/// What was done to the messages, reported to the client in response headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Whether a trained system prompt was put first (false: the model was trained without).
    pub trained_prompt: bool,
    /// What became of the client's system messages.
    pub client_messages: ClientMessages,
}

/// What became of the client's system messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientMessages {
    /// The client sent none.
    None,
    /// Kept, after the trained prompt.
    Kept,
    /// Removed.
    Discarded,
}

impl ClientMessages {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Kept => "kept",
            Self::Discarded => "discarded",
        }
    }
}

fn is_system(message: &Value) -> bool {
    message
        .get("role")
        .and_then(Value::as_str)
        .is_some_and(|role| SYSTEM_ROLES.contains(&role))
}

/// Puts `prompt` first in the request's `messages` and treats the client's system messages
/// by `policy`. The messages must be an array of objects with a `role`.
pub fn apply_system_prompt(
    request: &mut Map<String, Value>,
    prompt: Option<&str>,
    policy: ClientSystemMessages,
) -> Result<Applied, ChatError> {
    let Some(Value::Array(messages)) = request.get_mut("messages") else {
        return Err(ChatError::bad_request(
            Some("messages"),
            "`messages` must be an array of chat messages",
        ));
    };
    if messages.is_empty() {
        return Err(ChatError::bad_request(
            Some("messages"),
            "`messages` must hold at least one message",
        ));
    }
    if let Some(index) = messages
        .iter()
        .position(|m| m.get("role").and_then(Value::as_str).is_none())
    {
        return Err(ChatError::bad_request(
            Some("messages"),
            format!("messages[{index}] has no `role`"),
        ));
    }
    let sent_system = messages.iter().any(is_system);
    let client_messages = match (sent_system, policy) {
        (false, _) => ClientMessages::None,
        (true, ClientSystemMessages::Keep) => ClientMessages::Kept,
        (true, ClientSystemMessages::Discard) => {
            messages.retain(|m| !is_system(m));
            ClientMessages::Discarded
        }
        (true, ClientSystemMessages::Reject) => {
            return Err(ChatError::BadRequest {
                message: "this model takes no system messages from clients: its trained system \
                          prompt is applied by tuner (the model's clientSystemMessages is REJECT)"
                    .to_owned(),
                param: Some("messages"),
                code: "system_message_not_allowed",
            })
        }
    };
    if let Some(prompt) = prompt {
        messages.insert(0, json!({ "role": "system", "content": prompt }));
    }
    if messages.is_empty() {
        return Err(ChatError::bad_request(
            Some("messages"),
            "`messages` holds only system messages, which this model discards",
        ));
    }
    Ok(Applied {
        trained_prompt: prompt.is_some(),
        client_messages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(messages: Value) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("messages".to_owned(), messages);
        map
    }

    fn roles_and_contents(request: &Map<String, Value>) -> Vec<(String, String)> {
        request["messages"]
            .as_array()
            .map(|messages| {
                messages
                    .iter()
                    .map(|m| (m["role"].to_string(), m["content"].to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn the_trained_prompt_comes_first_and_client_system_messages_follow_the_policy() {
        let sent =
            json!([{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]);
        let mut keep = request(sent.clone());
        let applied = apply_system_prompt(&mut keep, Some("rules"), ClientSystemMessages::Keep);
        assert_eq!(
            applied.ok().map(|a| a.client_messages),
            Some(ClientMessages::Kept)
        );
        assert_eq!(
            roles_and_contents(&keep),
            [("system", "rules"), ("system", "be brief"), ("user", "hi")]
                .map(|(r, c)| (format!("{r:?}"), format!("{c:?}")))
        );

        let mut discard = request(sent.clone());
        apply_system_prompt(&mut discard, Some("rules"), ClientSystemMessages::Discard).ok();
        assert_eq!(roles_and_contents(&discard).len(), 2);

        let mut reject = request(sent);
        let refused = apply_system_prompt(&mut reject, Some("rules"), ClientSystemMessages::Reject);
        assert_eq!(refused.err().map(|e| e.status()), Some(400));
    }

    #[test]
    fn a_model_trained_without_rules_gets_no_system_message() {
        let mut plain = request(json!([{"role": "user", "content": "hi"}]));
        let applied = apply_system_prompt(&mut plain, None, ClientSystemMessages::Keep).ok();
        assert_eq!(applied.map(|a| a.trained_prompt), Some(false));
        assert_eq!(roles_and_contents(&plain).len(), 1);
    }

    #[test]
    fn malformed_messages_are_refused_naming_the_param() {
        for messages in [json!("hi"), json!([]), json!([{"content": "no role"}])] {
            let mut bad = request(messages);
            let error = apply_system_prompt(&mut bad, None, ClientSystemMessages::Keep).err();
            assert_eq!(
                error.map(|e| e.body()["error"]["param"].clone()),
                Some(json!("messages"))
            );
        }
    }
}
