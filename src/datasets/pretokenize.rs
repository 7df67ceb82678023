//! Splitting text into the pieces an encoding counts one by one, as tiktoken does, with a
//! regex cache owned by each thread (no cache shared between the threads of a compilation).
//!
//! tiktoken's patterns end with `\s+(?!\S)|\s+`; the look-ahead is written here as two more
//! patterns tried after the main one: `\s+$` (the run ends the text) in the main pattern, then
//! `\s+\s`, whose last character is given back (the run minus the space that precedes the next
//! word), then `\s+`. Matches are anchored at the end of the previous piece and the earliest
//! pattern wins, as the alternatives of tiktoken's pattern do.

use std::sync::LazyLock;

use regex_automata::hybrid::regex::{Cache, Regex};
use regex_automata::{Anchored, Input};

use super::models::Encoding;

/// Contractions, case-insensitive.
const CONTRACTIONS: &str = "(?i:'s|'t|'re|'ve|'m|'ll|'d)";

/// The main pattern of `o200k_base`.
fn o200k_main() -> String {
    let upper = r"[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]";
    let lower = r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]";
    [
        format!(r"[^\r\n\p{{L}}\p{{N}}]?{upper}*{lower}+{CONTRACTIONS}?"),
        format!(r"[^\r\n\p{{L}}\p{{N}}]?{upper}+{lower}*{CONTRACTIONS}?"),
        r"\p{N}{1,3}".to_owned(),
        r" ?[^\s\p{L}\p{N}]+[\r\n/]*".to_owned(),
        r"\s*[\r\n]+".to_owned(),
        r"\s+$".to_owned(),
    ]
    .join("|")
}

/// The main pattern of `cl100k_base`.
fn cl100k_main() -> String {
    [
        CONTRACTIONS,
        r"[^\r\n\p{L}\p{N}]?\p{L}+",
        r"\p{N}{1,3}",
        r" ?[^\s\p{L}\p{N}]+[\r\n]*",
        r"\s*[\r\n]+",
        r"\s+$",
    ]
    .join("|")
}

/// The patterns of an encoding, in order; the second gives its last character back.
fn build(main: &str) -> Option<Regex> {
    Regex::new_many(&[main, r"\s+\s", r"\s+"]).ok()
}

static O200K: LazyLock<Option<Regex>> = LazyLock::new(|| build(&o200k_main()));
static CL100K: LazyLock<Option<Regex>> = LazyLock::new(|| build(&cl100k_main()));

/// The pattern index whose match gives its last character back.
const GIVES_BACK_ONE: usize = 1;

/// A splitter for one encoding, with this thread's cache for its patterns.
pub struct Splitter {
    regex: &'static Regex,
    cache: Cache,
}

impl Splitter {
    /// A splitter for `encoding`; `None` if its patterns could not be built (never expected:
    /// the caller then splits another way).
    pub fn new(encoding: Encoding) -> Option<Self> {
        let regex = match encoding {
            Encoding::O200kBase => O200K.as_ref()?,
            Encoding::Cl100kBase => CL100K.as_ref()?,
        };
        Some(Self {
            regex,
            cache: regex.create_cache(),
        })
    }

    /// Calls `piece` with each piece of `text` in order. Returns `false` (having called it for
    /// a prefix of the pieces only) if the search gave up, which the lazy automaton may do on
    /// pathological input; the caller then counts the text another way.
    pub fn for_each_piece(&mut self, text: &str, mut piece: impl FnMut(&str)) -> bool {
        let mut start = 0;
        while start < text.len() {
            let rest = &text[start..];
            let input = Input::new(rest).anchored(Anchored::Yes);
            let Ok(Some(found)) = self.regex.try_search(&mut self.cache, &input) else {
                return false;
            };
            let mut end = found.end();
            if found.pattern().as_usize() == GIVES_BACK_ONE {
                end -= rest[..end].chars().next_back().map_or(0, char::len_utf8);
            }
            if end == 0 {
                return false;
            }
            piece(&rest[..end]);
            start += end;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(encoding: Encoding, text: &str) -> Vec<String> {
        let mut splitter = Splitter::new(encoding).expect("patterns build");
        let mut pieces = Vec::new();
        assert!(splitter.for_each_piece(text, |piece| pieces.push(piece.to_owned())));
        pieces
    }

    #[test]
    fn whitespace_before_a_word_leaves_one_space_to_the_word() {
        assert_eq!(
            pieces(Encoding::O200kBase, "Hello  world's 12345\n\n  x  "),
            ["Hello", " ", " world's", " ", "123", "45", "\n\n", " ", " x", "  "]
        );
    }

    #[test]
    fn pieces_are_tiktokens_in_both_encodings() {
        let texts = [
            "I'm here, you'LL see: 3.14159 and 1,000,000!\n\n\tTabs\r\nand  spaces   ",
            "naïve café Straße 日本語のテキスト 👍🏽 <|endoftext|> fn main() { x(); }",
            "ALLCAPS camelCase \u{a0}nbsp\u{2003}em \"quoted\" e-mail #tag $9.99 50%",
            "   \n   leading and trailing   \n",
        ];
        for (encoding, reference) in [
            (Encoding::O200kBase, bpe_openai::o200k_base()),
            (Encoding::Cl100kBase, bpe_openai::cl100k_base()),
        ] {
            for text in texts {
                let expected: Vec<String> = reference.split(text).map(str::to_owned).collect();
                assert_eq!(pieces(encoding, text), expected, "{text:?}");
            }
        }
    }
}
