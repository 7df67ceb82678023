//! Facts about base models that shape a dataset: token encoding, per-example token limit.
//!
//! Fine-tuned names resolve to their base: OpenAI's `ft:BASE:org:suffix:id` and Azure OpenAI's
//! `BASE.ft-id`. Models we do not know get the settings of current OpenAI models, flagged as
//! assumed so the API can say so. Training prices live in [`crate::datasets::prices`] and are
//! re-exported here.

pub use super::prices::{parse_price_overrides, PriceOverrideError, PriceTable};

/// A tiktoken byte-pair encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// gpt-4o, gpt-4.1, o-series and gpt-5 models.
    O200kBase,
    /// gpt-4 and gpt-3.5-turbo models.
    Cl100kBase,
}

impl Encoding {
    /// The encoding's tiktoken name, e.g. `o200k_base`.
    pub fn name(self) -> &'static str {
        match self {
            Self::O200kBase => "o200k_base",
            Self::Cl100kBase => "cl100k_base",
        }
    }
}

/// Token limit per training example of gpt-4o, gpt-4o-mini and gpt-4.1 models.
pub const LARGE_EXAMPLE_TOKENS: usize = 65_536;
/// Token limit per training example of gpt-3.5-turbo models.
pub const GPT35_EXAMPLE_TOKENS: usize = 16_385;

/// What a dataset must respect for one model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelFacts {
    /// The encoding its tokens are counted with.
    pub encoding: Encoding,
    /// True when the model is unknown and the encoding is a guess.
    pub encoding_assumed: bool,
    /// Most tokens one training example may hold.
    pub token_limit: usize,
    /// True when the model is unknown and the limit is a guess.
    pub token_limit_assumed: bool,
}

impl ModelFacts {
    /// The facts for a model name (fine-tuned names resolve to their base).
    pub fn for_model(model: &str) -> Self {
        let base = base_model(model);
        let (encoding, encoding_assumed) = match known_encoding(base) {
            Some(encoding) => (encoding, false),
            None => (Encoding::O200kBase, true),
        };
        let (token_limit, token_limit_assumed) = match known_token_limit(base) {
            Some(limit) => (limit, false),
            None => (LARGE_EXAMPLE_TOKENS, true),
        };
        Self {
            encoding,
            encoding_assumed,
            token_limit,
            token_limit_assumed,
        }
    }
}

/// The base model of a fine-tuned model name; other names are returned unchanged.
///
/// `ft:gpt-4o-mini-2024-07-18:org:suffix:id` and `gpt-4o-mini-2024-07-18.ft-abc` both give
/// `gpt-4o-mini-2024-07-18`.
pub fn base_model(model: &str) -> &str {
    let model = model.trim();
    if let Some(rest) = model.strip_prefix("ft:") {
        return rest.split(':').next().unwrap_or(rest);
    }
    match model.split_once(".ft-") {
        Some((base, _)) if !base.is_empty() => base,
        _ => model,
    }
}

/// The encoding of a known base model.
fn known_encoding(base: &str) -> Option<Encoding> {
    const O200K_PREFIXES: [&str; 7] =
        ["gpt-4o", "chatgpt-4o", "gpt-4.1", "o1", "o3", "o4", "gpt-5"];
    if O200K_PREFIXES.iter().any(|p| base.starts_with(p)) {
        Some(Encoding::O200kBase)
    } else if base == "gpt-4" || base.starts_with("gpt-4-") || base.starts_with("gpt-3.5-turbo") {
        Some(Encoding::Cl100kBase)
    } else {
        None
    }
}

/// The per-example token limit of a known fine-tunable base model.
fn known_token_limit(base: &str) -> Option<usize> {
    match base {
        "gpt-4o-mini-2024-07-18" | "gpt-4o-2024-08-06" => Some(LARGE_EXAMPLE_TOKENS),
        _ if base.starts_with("gpt-4.1") => Some(LARGE_EXAMPLE_TOKENS),
        _ if base.starts_with("gpt-3.5-turbo") => Some(GPT35_EXAMPLE_TOKENS),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoding_of(model: &str) -> (&'static str, bool) {
        let facts = ModelFacts::for_model(model);
        (facts.encoding.name(), facts.encoding_assumed)
    }

    #[test]
    fn current_models_use_o200k_base() {
        for model in [
            "gpt-4o-mini-2024-07-18",
            "gpt-4o-2024-08-06",
            "chatgpt-4o-latest",
            "gpt-4.1-2025-04-14",
            "gpt-4.1-nano-2025-04-14",
            "o1-mini",
            "o3",
            "o4-mini",
            "gpt-5-mini",
        ] {
            assert_eq!(encoding_of(model), ("o200k_base", false), "{model}");
        }
    }

    #[test]
    fn gpt_4_and_gpt_3_5_use_cl100k_base() {
        for model in ["gpt-4", "gpt-4-0613", "gpt-4-turbo", "gpt-3.5-turbo-0125"] {
            assert_eq!(encoding_of(model), ("cl100k_base", false), "{model}");
        }
    }

    #[test]
    fn our_encodings_agree_with_tiktoken_rs() {
        use tiktoken_rs::tokenizer::{get_tokenizer, Tokenizer};
        for model in [
            "gpt-4o-mini-2024-07-18",
            "gpt-4.1-mini",
            "gpt-4-0613",
            "gpt-3.5-turbo",
        ] {
            let ours = ModelFacts::for_model(model).encoding;
            let theirs = match get_tokenizer(model) {
                Some(Tokenizer::O200kBase) => Encoding::O200kBase,
                Some(Tokenizer::Cl100kBase) => Encoding::Cl100kBase,
                other => panic!("{model}: unexpected {other:?}"),
            };
            assert_eq!(ours, theirs, "{model}");
        }
    }

    #[test]
    fn fine_tuned_names_resolve_to_their_base() {
        let openai = "ft:gpt-3.5-turbo-0125:acme:support:9abcDEF";
        assert_eq!(base_model(openai), "gpt-3.5-turbo-0125");
        assert_eq!(
            base_model("ft:gpt-4o-mini-2024-07-18:acme::id1"),
            "gpt-4o-mini-2024-07-18"
        );
        assert_eq!(
            base_model("gpt-4o-2024-08-06.ft-0123abcd"),
            "gpt-4o-2024-08-06"
        );
        assert_eq!(base_model("gpt-4o-2024-08-06"), "gpt-4o-2024-08-06");
        let facts = ModelFacts::for_model(openai);
        assert_eq!(facts.encoding, Encoding::Cl100kBase);
        assert_eq!(facts.token_limit, GPT35_EXAMPLE_TOKENS);
        assert!(!facts.encoding_assumed && !facts.token_limit_assumed);
    }

    #[test]
    fn token_limits_of_fine_tunable_models() {
        for (model, limit) in [
            ("gpt-4o-mini-2024-07-18", 65_536),
            ("gpt-4o-2024-08-06", 65_536),
            ("gpt-4.1-2025-04-14", 65_536),
            ("gpt-4.1-mini-2025-04-14", 65_536),
            ("gpt-3.5-turbo-0125", 16_385),
            ("ft:gpt-4o-mini-2024-07-18:acme:bot:id", 65_536),
        ] {
            let facts = ModelFacts::for_model(model);
            assert_eq!(
                (facts.token_limit, facts.token_limit_assumed),
                (limit, false)
            );
        }
    }

    #[test]
    fn unknown_models_get_assumed_o200k_base_and_65536_tokens() {
        for model in ["llama-3.1-8b-instruct", "ft:mystery-model:org:x:y", ""] {
            let facts = ModelFacts::for_model(model);
            assert_eq!(facts.encoding, Encoding::O200kBase);
            assert!(facts.encoding_assumed, "{model}");
            assert_eq!(facts.token_limit, LARGE_EXAMPLE_TOKENS);
            assert!(facts.token_limit_assumed, "{model}");
        }
    }

    #[test]
    fn a_known_encoding_with_an_unknown_limit_is_flagged_separately() {
        let facts = ModelFacts::for_model("gpt-5-mini");
        assert!(!facts.encoding_assumed);
        assert!(facts.token_limit_assumed);
    }
}
