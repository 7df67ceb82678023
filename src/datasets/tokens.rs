//! Token counting of chat examples, the way OpenAI counts them.
//!
//! Each message costs 3 framing tokens + the tokens of its role + the tokens of its content
//! (+1 and the name's tokens if it had a `name`, which ours never do), and every example costs 3
//! more for reply priming. Text is encoded as ordinary text: a `<|endoftext|>` typed by a user is
//! counted as the characters it is, not as a special token.

use std::cell::RefCell;
use std::collections::HashMap;

use foldhash::fast::RandomState;

use super::pretokenize::Splitter;
use super::ranks::Ranks;

use super::format::ChatMessage;
use super::models::{Encoding, ModelFacts};

/// Framing tokens around every message.
pub const TOKENS_PER_MESSAGE: usize = 3;
/// Tokens that prime the assistant's reply, once per example.
pub const REPLY_PRIMING_TOKENS: usize = 3;

/// Pieces whose counts a thread remembers per encoding (forgotten all at once when full: about
/// 2 MB at most).
const MAX_REMEMBERED_PIECES: usize = 32 * 1024;
/// Longest piece remembered, in bytes (longer ones rarely recur).
const MAX_REMEMBERED_PIECE: usize = 32;

/// The counts of the pieces a thread has seen. A fast hash with a random seed per process:
/// SipHash took a third of the counting time, and text made to collide in one process would
/// only slow its own counting (the map is bounded and forgotten when full).
type RememberedCounts = HashMap<Box<[u8]>, u32, RandomState>;

/// What a thread keeps for one encoding: its splitter and the counts of the pieces it has seen.
struct ThreadState {
    splitter: Splitter,
    counts: RememberedCounts,
}

/// A thread's state per encoding, made on first use.
#[derive(Default)]
struct PerEncoding {
    o200k: Option<ThreadState>,
    cl100k: Option<ThreadState>,
}

impl PerEncoding {
    fn get(&mut self, encoding: Encoding) -> &mut ThreadState {
        let slot = match encoding {
            Encoding::O200kBase => &mut self.o200k,
            Encoding::Cl100kBase => &mut self.cl100k,
        };
        slot.get_or_insert_with(|| ThreadState {
            splitter: Splitter::new(encoding),
            counts: RememberedCounts::default(),
        })
    }
}

thread_local! {
    static THREAD_STATE: RefCell<PerEncoding> = RefCell::default();
}

/// The tokens of one piece, remembered in `counts` when short.
fn count_piece(ranks: &Ranks, counts: &mut RememberedCounts, piece: &str) -> usize {
    if let Some(&tokens) = counts.get(piece.as_bytes()) {
        return tokens as usize;
    }
    let tokens = ranks.count(piece.as_bytes());
    if piece.len() <= MAX_REMEMBERED_PIECE {
        if counts.len() >= MAX_REMEMBERED_PIECES {
            counts.clear();
        }
        counts.insert(piece.as_bytes().into(), tokens as u32);
    }
    tokens
}

/// Counts tokens in one encoding, with the counts OpenAI's tiktoken gives (the tests hold it to
/// tiktoken-rs on varied text, and BENCHMARKS.md to Python tiktoken on a 75 M-token dataset).
/// Cheap to create: the encoding's table is loaded once per process and shared by every
/// counter.
#[derive(Clone, Copy)]
pub struct TokenCounter {
    encoding: Encoding,
    ranks: &'static Ranks,
}

impl std::fmt::Debug for TokenCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCounter")
            .field("encoding", &self.encoding.name())
            .finish()
    }
}

impl TokenCounter {
    /// A counter for an encoding; the first one per encoding loads its table.
    pub fn new(encoding: Encoding) -> Self {
        Self {
            encoding,
            ranks: Ranks::of(encoding),
        }
    }

    /// A counter for the encoding of a model (see [`ModelFacts::for_model`]).
    pub fn for_model(model: &str) -> Self {
        Self::new(ModelFacts::for_model(model).encoding)
    }

    /// The encoding this counter uses.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Tokens of a plain text: the sum over its pre-tokenised pieces (words with their
    /// leading space, digit runs, punctuation runs, ...), split with this thread's regex cache,
    /// each piece's count remembered by the thread, as most pieces of natural text recur.
    pub fn count_text(&self, text: &str) -> usize {
        THREAD_STATE.with_borrow_mut(|state| {
            let ThreadState { splitter, counts } = state.get(self.encoding);
            let mut total = 0;
            let complete = splitter.for_each_piece(text, |piece| {
                total += count_piece(self.ranks, counts, piece);
            });
            if !complete {
                // Never expected (the patterns are fixed and tested): the text is counted as
                // one piece, which may differ from tiktoken's count, and the log says so.
                tracing::error!(
                    encoding = self.encoding.name(),
                    "text could not be pre-tokenised"
                );
                return self.ranks.count(text.as_bytes());
            }
            total
        })
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

    /// Pieces that exercise every branch of the encodings' pre-tokenisation: contractions in
    /// both cases, digit runs, letters of several scripts with marks, emoji, punctuation runs,
    /// every kind of whitespace run (before a word, at the end, around newlines), code.
    const PIECES: &[&str] = &[
        "I'm",
        "you'LL",
        "they've",
        "it's",
        "DON'T",
        " a",
        "  b",
        "\t",
        "\n",
        "\r\n",
        "\n\n  ",
        "   ",
        " ",
        "12345678",
        "3.14159",
        "1,000,000",
        "naïve",
        "cafe\u{301}",
        "Ärger",
        "Straße",
        "日本語のテキスト",
        "中文",
        "한국어",
        "Ελληνικά",
        "русский",
        "عربى",
        "हिन्दी",
        "👍🏽",
        "🤖!",
        "...",
        "?!",
        "--",
        "/path/to",
        "<|endoftext|>",
        "fn main() { println!(\"hi\"); }",
        "camelCaseWord",
        "ALLCAPS",
        "x",
        "\u{a0}",
        "\u{2003}",
        "'s",
        "'",
        "\"quoted\"",
        "e-mail",
        "#tag",
        "$9.99",
        "50%",
        "a\u{200d}b",
    ];

    /// SplitMix64, so the texts are the same on every run.
    fn next(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    #[test]
    fn counts_equal_tiktoken_on_varied_text_in_both_encodings() {
        let references = [
            (Encoding::O200kBase, tiktoken_rs::o200k_base_singleton()),
            (Encoding::Cl100kBase, tiktoken_rs::cl100k_base_singleton()),
        ];
        let mut state = 7;
        let texts: Vec<String> = (0..3_000)
            .map(|_| {
                let pieces = next(&mut state) % 24;
                (0..pieces)
                    .map(|_| PIECES[(next(&mut state) % PIECES.len() as u64) as usize])
                    .collect()
            })
            .chain(PIECES.iter().map(|piece| (*piece).to_owned()))
            .collect();
        for (encoding, reference) in references {
            let counter = TokenCounter::new(encoding);
            for text in &texts {
                assert_eq!(
                    counter.count_text(text),
                    reference.encode_ordinary(text).len(),
                    "{} on {text:?}",
                    encoding.name()
                );
            }
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
        assert!(std::ptr::eq(a.ranks, b.ranks));
    }
}
