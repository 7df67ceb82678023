//! Token counting of chat examples, the way OpenAI counts them.
//!
//! Each message costs 3 framing tokens + the tokens of its role + the tokens of its content
//! (+1 and the name's tokens if it had a `name`, which ours never do), and every example costs 3
//! more for reply priming. Text is encoded as ordinary text: a `<|endoftext|>` typed by a user is
//! counted as the characters it is, not as a special token.

use tiktoken_rs::CoreBPE;

use super::format::ChatMessage;
use super::models::{Encoding, ModelFacts};

/// Framing tokens around every message.
pub const TOKENS_PER_MESSAGE: usize = 3;
/// Tokens that prime the assistant's reply, once per example.
pub const REPLY_PRIMING_TOKENS: usize = 3;

/// Counts tokens in one encoding. Cheap to create: the encoding's tables are loaded once per
/// process (tiktoken-rs singletons) and shared by every counter.
#[derive(Clone, Copy)]
pub struct TokenCounter {
    encoding: Encoding,
    bpe: &'static CoreBPE,
}

impl std::fmt::Debug for TokenCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCounter")
            .field("encoding", &self.encoding.name())
            .finish()
    }
}

impl TokenCounter {
    /// A counter for an encoding; the first one per encoding loads its tables (~0.2 s).
    pub fn new(encoding: Encoding) -> Self {
        let bpe = match encoding {
            Encoding::O200kBase => tiktoken_rs::o200k_base_singleton(),
            Encoding::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
        };
        Self { encoding, bpe }
    }

    /// A counter for the encoding of a model (see [`ModelFacts::for_model`]).
    pub fn for_model(model: &str) -> Self {
        Self::new(ModelFacts::for_model(model).encoding)
    }

    /// The encoding this counter uses.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Tokens of a plain text.
    pub fn count_text(&self, text: &str) -> usize {
        self.bpe.count_ordinary(text)
    }

    /// Tokens of a chat example: its messages plus reply priming.
    pub fn count_messages(&self, messages: &[ChatMessage<'_>]) -> usize {
        let per_message: usize = messages
            .iter()
            .map(|m| TOKENS_PER_MESSAGE + self.count_text(m.role) + self.count_text(m.content))
            .sum();
        per_message + REPLY_PRIMING_TOKENS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::format::{ASSISTANT, SYSTEM, USER};
    use tiktoken_rs::ChatCompletionRequestMessage;

    fn message(role: &'static str, content: &'static str) -> ChatMessage<'static> {
        ChatMessage { role, content }
    }

    fn example() -> Vec<ChatMessage<'static>> {
        vec![
            message(SYSTEM, "You are a helpful assistant."),
            message(USER, "Hello, world!"),
            message(ASSISTANT, "Hi! How can I help you today?"),
        ]
    }

    /// tiktoken-rs' own cookbook implementation, as an independent reference.
    fn reference_count(model: &str, messages: &[ChatMessage<'_>]) -> usize {
        let messages: Vec<ChatCompletionRequestMessage> = messages
            .iter()
            .map(|m| ChatCompletionRequestMessage {
                role: m.role.to_owned(),
                content: Some(m.content.to_owned()),
                ..Default::default()
            })
            .collect();
        tiktoken_rs::num_tokens_from_messages(model, &messages).expect("a known chat model")
    }

    #[test]
    fn hello_world_is_four_o200k_tokens() {
        let counter = TokenCounter::new(Encoding::O200kBase);
        let direct = tiktoken_rs::o200k_base_singleton().encode_ordinary("Hello, world!");
        assert_eq!(direct.len(), 4);
        assert_eq!(counter.count_text("Hello, world!"), 4);
        assert_eq!(counter.count_text(""), 0);
    }

    #[test]
    fn an_example_costs_framing_role_and_content_tokens_plus_priming() {
        let counter = TokenCounter::for_model("gpt-4o-mini-2024-07-18");
        // system 3+1+6, user 3+1+4, assistant 3+1+9, priming 3 (content counts checked below).
        assert_eq!(counter.count_text("You are a helpful assistant."), 6);
        assert_eq!(counter.count_text("Hi! How can I help you today?"), 9);
        assert_eq!(counter.count_messages(&example()), 34);
        assert_eq!(counter.count_messages(&[]), REPLY_PRIMING_TOKENS);
    }

    #[test]
    fn counts_match_tiktoken_rs_cookbook_counting_in_both_encodings() {
        for (model, encoding) in [
            ("gpt-4o-mini-2024-07-18", Encoding::O200kBase),
            ("gpt-3.5-turbo-0125", Encoding::Cl100kBase),
        ] {
            let counter = TokenCounter::for_model(model);
            assert_eq!(counter.encoding(), encoding);
            let messages = example();
            assert_eq!(
                counter.count_messages(&messages),
                reference_count(model, &messages)
            );
        }
    }

    #[test]
    fn special_token_text_is_counted_as_ordinary_text() {
        let counter = TokenCounter::new(Encoding::O200kBase);
        assert!(counter.count_text("<|endoftext|>") > 1);
    }

    #[test]
    fn counters_share_the_loaded_encoding() {
        let a = TokenCounter::new(Encoding::O200kBase);
        let b = TokenCounter::new(Encoding::O200kBase);
        assert!(std::ptr::eq(a.bpe, b.bpe));
    }
}
