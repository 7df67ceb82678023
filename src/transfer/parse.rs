//! One line of an OpenAI chat JSONL file read as a training block, checked message by message.
//! A problem is a [`LineError`], whose text follows `line N: ` in the report.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::datasets::format::{ASSISTANT, SYSTEM, USER};
use crate::entities::training_block::TrainingStatus;
use crate::error::Error;
use crate::training_blocks::validation::{
    check_exchanges, normalize_note, ExchangeText, MAX_EXCHANGES, MAX_MESSAGE_CHARS,
};
use crate::validate;

/// The content of the block a line describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedBlock {
    /// The system message's lines that are not global rules, one per line.
    pub additional_rules: Option<String>,
    /// The user/assistant pairs, in order.
    pub exchanges: Vec<ExchangeText>,
}

/// Why a line is not a training block; the text says what to change.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// The line is not JSON.
    #[error("not valid JSON: {reason} (column {column})")]
    Json { reason: String, column: usize },
    /// The line is JSON but has no `messages` array.
    #[error(
        "no \"messages\" array; each line must be {{\"messages\": [{{\"role\": \"user\", \
         \"content\": ...}}, {{\"role\": \"assistant\", \"content\": ...}}]}}"
    )]
    NoMessages,
    /// A message is not a JSON object.
    #[error("messages[{0}] is not an object; each message is {{\"role\": ..., \"content\": ...}}")]
    NotAnObject(usize),
    /// A message has no `role` string.
    #[error("messages[{0}] has no \"role\" string; use system, user or assistant")]
    NoRole(usize),
    /// A message's role is none of system, user and assistant (`role`: its first characters).
    #[error("messages[{index}] has the unknown role {role:?}; use system, user or assistant")]
    UnknownRole { index: usize, role: String },
    /// A message's content is not a string (`kind`: what it is instead).
    #[error("messages[{index}].content is {kind}; it must be a string")]
    ContentNotText { index: usize, kind: &'static str },
    /// A prompt or response is blank.
    #[error("messages[{0}].content is empty; prompts and responses must have text")]
    EmptyContent(usize),
    /// A system message after the first message.
    #[error("messages[{0}] is a system message; only the first message may be one")]
    LateSystem(usize),
    /// A user message right after another.
    #[error(
        "messages[{0}] is a second user message in a row; user and assistant messages must \
         alternate"
    )]
    SecondUser(usize),
    /// An assistant message before the first user message.
    #[error(
        "messages[{0}] is an assistant message before any user message; the conversation must \
         start with a user message"
    )]
    AssistantFirst(usize),
    /// An assistant message right after another.
    #[error(
        "messages[{0}] is a second assistant message in a row; user and assistant messages \
         must alternate"
    )]
    SecondAssistant(usize),
    /// The last message is a user message.
    #[error("the conversation ends with a user message; it must end with an assistant message")]
    EndsWithUser,
    /// No exchange at all.
    #[error("no user and assistant messages; a training block needs at least one exchange")]
    NoExchanges,
    /// More exchanges than a block holds.
    #[error("{0} exchanges; a training block holds at most {MAX_EXCHANGES}")]
    TooManyExchanges(usize),
    /// A rule of training blocks the line breaks, in the words of its check.
    #[error("{0}")]
    Invalid(String),
}

impl LineError {
    fn json(err: serde_json::Error) -> Self {
        let text = err.to_string();
        // serde_json ends its messages with " at line 1 column N"; in a one-line document only
        // the column says anything.
        let reason = text.split(" at line ").next().unwrap_or(&text).to_owned();
        Self::Json {
            reason,
            column: err.column(),
        }
    }

    fn invalid(err: Error) -> Self {
        Self::Invalid(err.message())
    }
}

/// Reads a non-blank line; `rules` are the workspace's global rule texts.
pub fn parse_line(line: &str, rules: &HashSet<String>) -> Result<ParsedBlock, LineError> {
    let value: Value = serde_json::from_str(line).map_err(LineError::json)?;
    let messages = match value {
        Value::Object(mut top) => top.remove("messages"),
        _ => None,
    };
    let Some(Value::Array(messages)) = messages else {
        return Err(LineError::NoMessages);
    };
    let mut conversation = Conversation::default();
    for (index, message) in messages.into_iter().enumerate() {
        let (role, content) = role_and_content(index, message)?;
        conversation.push(index, &role, content)?;
    }
    check_shape(
        &conversation.exchanges,
        conversation.pending_prompt.is_some(),
    )?;
    let additional_rules = additional_rules(conversation.system.as_deref(), rules)?;
    let exchanges = conversation.exchanges;
    check_exchanges(&exchanges, TrainingStatus::NotTrained).map_err(LineError::invalid)?;
    Ok(ParsedBlock {
        additional_rules,
        exchanges,
    })
}

/// The messages read so far.
#[derive(Default)]
struct Conversation {
    system: Option<String>,
    exchanges: Vec<ExchangeText>,
    /// A user message still waiting for its assistant message.
    pending_prompt: Option<String>,
}

impl Conversation {
    /// Adds message `index`, checking it may come next.
    fn push(&mut self, index: usize, role: &str, content: String) -> Result<(), LineError> {
        match role {
            SYSTEM if index == 0 => self.system = Some(content),
            SYSTEM => return Err(LineError::LateSystem(index)),
            USER if self.pending_prompt.is_some() => return Err(LineError::SecondUser(index)),
            USER => self.pending_prompt = Some(checked_text(index, content)?),
            ASSISTANT => {
                let Some(prompt) = self.pending_prompt.take() else {
                    return Err(if self.exchanges.is_empty() {
                        LineError::AssistantFirst(index)
                    } else {
                        LineError::SecondAssistant(index)
                    });
                };
                let response = checked_text(index, content)?;
                self.exchanges.push(ExchangeText { prompt, response });
            }
            other => {
                // The role comes from the file: quote only its start.
                let role = other.chars().take(40).collect();
                return Err(LineError::UnknownRole { index, role });
            }
        }
        Ok(())
    }
}

fn role_and_content(index: usize, message: Value) -> Result<(String, String), LineError> {
    let Value::Object(mut message) = message else {
        return Err(LineError::NotAnObject(index));
    };
    let role = match message.remove("role") {
        Some(Value::String(role)) => role,
        _ => return Err(LineError::NoRole(index)),
    };
    let content = take_content(index, &mut message)?;
    Ok((role, content))
}

fn take_content(index: usize, message: &mut Map<String, Value>) -> Result<String, LineError> {
    let kind = match message.remove("content") {
        Some(Value::String(content)) => return Ok(content),
        None => "missing",
        Some(Value::Null) => "null",
        Some(Value::Array(_)) => "an array",
        Some(Value::Object(_)) => "an object",
        Some(Value::Bool(_)) => "a boolean",
        Some(Value::Number(_)) => "a number",
    };
    Err(LineError::ContentNotText { index, kind })
}

fn checked_text(index: usize, content: String) -> Result<String, LineError> {
    let field = format!("messages[{index}].content");
    validate::text(&field, &content, MAX_MESSAGE_CHARS).map_err(LineError::invalid)?;
    if content.trim().is_empty() {
        return Err(LineError::EmptyContent(index));
    }
    Ok(content)
}

fn check_shape(exchanges: &[ExchangeText], ends_with_user: bool) -> Result<(), LineError> {
    if ends_with_user {
        return Err(LineError::EndsWithUser);
    }
    if exchanges.is_empty() {
        return Err(LineError::NoExchanges);
    }
    if exchanges.len() > MAX_EXCHANGES {
        return Err(LineError::TooManyExchanges(exchanges.len()));
    }
    Ok(())
}

/// The system message's non-empty lines that are not one of the global rules.
fn additional_rules(
    system: Option<&str>,
    rules: &HashSet<String>,
) -> Result<Option<String>, LineError> {
    let Some(system) = system else {
        return Ok(None);
    };
    let extra: Vec<&str> = system
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !rules.contains(*line))
        .collect();
    let field =
        "the system message's lines that are not global rules (the block's additional rules)";
    normalize_note(field, Some(&extra.join("\n"))).map_err(LineError::invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> HashSet<String> {
        ["Be brief.".to_owned()].into()
    }

    #[test]
    fn global_rule_lines_are_dropped_from_the_system_message() {
        let line = r#"{"messages":[{"role":"system","content":"Be brief.\n Say hi. \n"},{"role":"user","content":"Q"},{"role":"assistant","content":"A","weight":0}]}"#;
        let block = parse_line(line, &rules()).expect("valid");
        assert_eq!(block.additional_rules.as_deref(), Some("Say hi."));
        assert_eq!(block.exchanges.len(), 1);
    }

    #[test]
    fn a_system_message_of_global_rules_only_leaves_no_additional_rules() {
        let line = r#"{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Q"},{"role":"assistant","content":"A"}]}"#;
        assert_eq!(
            parse_line(line, &rules()).map(|b| b.additional_rules),
            Ok(None)
        );
    }

    #[test]
    fn problems_name_the_message_at_fault() {
        let cases = [
            ("[1]", "no \"messages\" array"),
            ("{", "not valid JSON"),
            (
                r#"{"messages":[{"role":"user","content":"Q"},{"role":"assistant","content":"A"},{"role":"system","content":"S"}]}"#,
                "messages[2] is a system message",
            ),
            (
                r#"{"messages":[{"role":"assistant","content":"A"}]}"#,
                "before any user message",
            ),
            (
                r#"{"messages":[{"role":"user","content":["Q"]},{"role":"assistant","content":"A"}]}"#,
                "messages[0].content is an array",
            ),
            (r#"{"messages":[]}"#, "at least one exchange"),
        ];
        for (line, expected) in cases {
            let problem = parse_line(line, &rules()).expect_err(line).to_string();
            assert!(problem.contains(expected), "{line}: {problem}");
        }
    }
}
