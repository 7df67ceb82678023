//! Splitting text into the pieces an encoding counts one by one, as tiktoken does, with a
//! regex cache owned by each thread (no cache shared between the threads of a compilation).
//!
//! tiktoken's patterns end with `\s+(?!\S)|\s+`; the look-ahead is written here as two more
//! patterns tried after the main one: `\s+$` (the run ends the text) in the main pattern, then
//! `\s+\s`, whose last character is given back (the run minus the space that precedes the next
//! word), then `\s+`. Matches are anchored at the end of the previous piece and the earliest
//! pattern wins, as the alternatives of tiktoken's pattern do. The lazy automaton may give up
//! on pathological input; the rest of that text is then split by the same patterns on a
//! matcher that never gives up (slower, built only if needed).

use std::sync::LazyLock;

use regex_automata::hybrid::regex::{Cache, Regex};
use regex_automata::{meta, Anchored, Input};

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
fn patterns(main: &str) -> [&str; 3] {
    [main, r"\s+\s", r"\s+"]
}

static O200K: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new_many(&patterns(&o200k_main())).ok());
static CL100K: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new_many(&patterns(&cl100k_main())).ok());
static O200K_SURE: LazyLock<Option<meta::Regex>> =
    LazyLock::new(|| meta::Regex::new_many(&patterns(&o200k_main())).ok());
static CL100K_SURE: LazyLock<Option<meta::Regex>> =
    LazyLock::new(|| meta::Regex::new_many(&patterns(&cl100k_main())).ok());

/// The pattern index whose match gives its last character back.
const GIVES_BACK_ONE: usize = 1;

/// A splitter for one encoding, with this thread's cache for its patterns.
pub struct Splitter {
    encoding: Encoding,
    regex: Option<(&'static Regex, Cache)>,
}

impl Splitter {
    /// A splitter for `encoding`.
    pub fn new(encoding: Encoding) -> Self {
        let regex = match encoding {
            Encoding::O200kBase => O200K.as_ref(),
            Encoding::Cl100kBase => CL100K.as_ref(),
        };
        Self {
            encoding,
            regex: regex.map(|regex| (regex, regex.create_cache())),
        }
    }

    /// Calls `piece` with each piece of `text` in order. Returns `false` (having called it for
    /// a prefix of the pieces only) if the patterns could not be built, which their tests rule
    /// out.
    pub fn for_each_piece(&mut self, text: &str, mut piece: impl FnMut(&str)) -> bool {
        let mut start = 0;
        while start < text.len() {
            let rest = &text[start..];
            let input = Input::new(rest).anchored(Anchored::Yes);
            let fast = self
                .regex
                .as_mut()
                .and_then(|(regex, cache)| regex.try_search(cache, &input).ok());
            let found = match fast {
                Some(found) => found,
                None => self.sure().and_then(|regex| regex.search(&input)),
            };
            let Some(found) = found else {
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

    /// The matcher that never gives up.
    fn sure(&self) -> Option<&'static meta::Regex> {
        match self.encoding {
            Encoding::O200kBase => O200K_SURE.as_ref(),
            Encoding::Cl100kBase => CL100K_SURE.as_ref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(encoding: Encoding, text: &str) -> Vec<String> {
        let mut splitter = Splitter::new(encoding);
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
                // Where the lazy automaton gives up, the sure matcher splits alike.
                let mut sure = Splitter {
                    encoding,
                    regex: None,
                };
                let mut split = Vec::new();
                assert!(sure.for_each_piece(text, |piece| split.push(piece.to_owned())));
                assert_eq!(split, expected, "{text:?}");
            }
        }
    }
}
