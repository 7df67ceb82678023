//! The training data contract: one OpenAI chat fine-tuning line per training block.
//!
//! `{"messages":[{"role":"system","content":S},{"role":"user","content":P1},
//! {"role":"assistant","content":R1}, ...]}` where S is the block's system prompt (the global
//! rules in order, then the block's additional rules), omitted when there are no rules.

use serde::Serialize;

use crate::training_blocks::validation::ExchangeText;

/// Who speaks a message.
pub const SYSTEM: &str = "system";
/// The user role.
pub const USER: &str = "user";
/// The assistant role.
pub const ASSISTANT: &str = "assistant";

/// One message of a training example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatMessage<'a> {
    /// `system`, `user` or `assistant`.
    pub role: &'static str,
    /// The message text.
    pub content: &'a str,
}

/// One training example: a JSONL line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatLine<'a> {
    /// The conversation, system message first when there is one.
    pub messages: Vec<ChatMessage<'a>>,
}

impl<'a> ChatLine<'a> {
    /// The example for a block with the given system prompt and exchanges.
    pub fn for_block(system_prompt: Option<&'a str>, exchanges: &'a [ExchangeText]) -> Self {
        let system = system_prompt.map(|content| ChatMessage {
            role: SYSTEM,
            content,
        });
        let turns = exchanges.iter().flat_map(|e| {
            [
                ChatMessage {
                    role: USER,
                    content: e.prompt.as_str(),
                },
                ChatMessage {
                    role: ASSISTANT,
                    content: e.response.as_str(),
                },
            ]
        });
        Self {
            messages: system.into_iter().chain(turns).collect(),
        }
    }

    /// The line as JSON, without the trailing newline.
    pub fn to_json(&self) -> String {
        // Serialising plain strings cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(prompt: &str, response: &str) -> ExchangeText {
        ExchangeText {
            prompt: prompt.into(),
            response: response.into(),
        }
    }

    #[test]
    fn a_block_becomes_one_chat_line_with_its_system_prompt_first() {
        let exchanges = [exchange("Hi", "Hello!"), exchange("Bye", "See you.")];
        let line = ChatLine::for_block(Some("Be brief."), &exchanges).to_json();
        assert_eq!(
            line,
            r#"{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"},{"role":"user","content":"Bye"},{"role":"assistant","content":"See you."}]}"#
        );
    }

    #[test]
    fn no_rules_means_no_system_message() {
        let exchanges = [exchange("Hi", "Hello!")];
        let line = ChatLine::for_block(None, &exchanges);
        assert_eq!(line.messages.len(), 2);
        assert_eq!(line.messages[0].role, USER);
    }
}
