//! Training prices per base model, in USD per million training tokens, for cost estimates.
//!
//! The defaults are OpenAI's public list prices; a server may override or extend them from its
//! configuration (`"model=usd,model2=usd"`, see [`parse_price_overrides`]). They are estimates:
//! the provider's bill is the truth.

use std::collections::HashMap;

use super::models::base_model;

/// Public list prices, USD per 1M training tokens.
const LIST_PRICES: [(&str, f64); 6] = [
    ("gpt-4o-mini-2024-07-18", 3.00),
    ("gpt-4o-2024-08-06", 25.00),
    ("gpt-4.1-2025-04-14", 25.00),
    ("gpt-4.1-mini-2025-04-14", 5.00),
    ("gpt-4.1-nano-2025-04-14", 1.50),
    ("gpt-3.5-turbo-0125", 8.00),
];

/// Training price per base model.
#[derive(Clone, Debug, PartialEq)]
pub struct PriceTable {
    usd_per_million: HashMap<String, f64>,
}

impl Default for PriceTable {
    /// OpenAI's public list prices.
    fn default() -> Self {
        let usd_per_million = LIST_PRICES
            .iter()
            .map(|&(model, usd)| (model.to_owned(), usd))
            .collect();
        Self { usd_per_million }
    }
}

impl PriceTable {
    /// This table with some prices replaced or added (model name, USD per 1M tokens).
    pub fn with_overrides(mut self, overrides: impl IntoIterator<Item = (String, f64)>) -> Self {
        self.usd_per_million.extend(overrides);
        self
    }

    /// USD per 1M training tokens for a model (fine-tuned names use their base); None if unknown.
    pub fn usd_per_million_tokens(&self, model: &str) -> Option<f64> {
        self.usd_per_million.get(base_model(model)).copied()
    }
}

/// A price override entry that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "price override `{entry}`: {reason}; write MODEL=USD_PER_1M_TOKENS entries separated by \
     commas, e.g. gpt-4o-mini-2024-07-18=3.00"
)]
pub struct PriceOverrideError {
    /// The entry as written.
    pub entry: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// Reads overrides from configuration text: `"model=usd,model2=usd"`. Blank text or blank
/// entries (a trailing comma) are fine; every other entry needs a model and a finite,
/// non-negative price.
pub fn parse_price_overrides(text: &str) -> Result<Vec<(String, f64)>, PriceOverrideError> {
    text.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(parse_entry)
        .collect()
}

fn parse_entry(entry: &str) -> Result<(String, f64), PriceOverrideError> {
    let error = |reason| PriceOverrideError {
        entry: entry.to_owned(),
        reason,
    };
    let (model, usd) = entry.split_once('=').ok_or_else(|| error("missing `=`"))?;
    let model = model.trim();
    if model.is_empty() {
        return Err(error("the model name is empty"));
    }
    let usd: f64 = usd
        .trim()
        .parse()
        .map_err(|_| error("the price is not a number"))?;
    if !usd.is_finite() || usd < 0.0 {
        return Err(error("the price must be a finite number of USD, 0 or more"));
    }
    Ok((model.to_owned(), usd))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_prices_are_found_by_model_and_by_fine_tuned_name() {
        let prices = PriceTable::default();
        assert_eq!(
            prices.usd_per_million_tokens("gpt-4o-mini-2024-07-18"),
            Some(3.0)
        );
        assert_eq!(
            prices.usd_per_million_tokens("gpt-4.1-nano-2025-04-14"),
            Some(1.5)
        );
        let tuned = "ft:gpt-4o-2024-08-06:acme:support:abc123";
        assert_eq!(prices.usd_per_million_tokens(tuned), Some(25.0));
    }

    #[test]
    fn unknown_models_have_no_price() {
        let prices = PriceTable::default();
        assert_eq!(prices.usd_per_million_tokens("llama-3.1-8b"), None);
        assert_eq!(prices.usd_per_million_tokens("gpt-4o-mini"), None);
    }

    #[test]
    fn overrides_replace_and_add_prices() {
        let prices = PriceTable::default().with_overrides([
            ("gpt-4o-mini-2024-07-18".to_owned(), 2.5),
            ("my-model".to_owned(), 0.0),
        ]);
        assert_eq!(
            prices.usd_per_million_tokens("gpt-4o-mini-2024-07-18"),
            Some(2.5)
        );
        assert_eq!(prices.usd_per_million_tokens("my-model"), Some(0.0));
        assert_eq!(
            prices.usd_per_million_tokens("gpt-3.5-turbo-0125"),
            Some(8.0)
        );
    }

    #[test]
    fn overrides_are_parsed_from_config_text() {
        let parsed = parse_price_overrides(" a-model = 1.25, b=3 ,").expect("valid overrides");
        assert_eq!(
            parsed,
            vec![("a-model".to_owned(), 1.25), ("b".to_owned(), 3.0)]
        );
        assert_eq!(parse_price_overrides("  "), Ok(vec![]));
    }

    #[test]
    fn a_bad_override_entry_is_named_in_the_error() {
        for (text, entry, reason) in [
            ("a=1,gpt-4o", "gpt-4o", "missing `=`"),
            ("=3", "=3", "the model name is empty"),
            ("m=three", "m=three", "the price is not a number"),
            (
                "m=-1",
                "m=-1",
                "the price must be a finite number of USD, 0 or more",
            ),
            (
                "m=NaN",
                "m=NaN",
                "the price must be a finite number of USD, 0 or more",
            ),
        ] {
            let error = parse_price_overrides(text).expect_err(text);
            assert_eq!((error.entry.as_str(), error.reason), (entry, reason));
            assert!(error.to_string().contains(&format!("`{entry}`")));
        }
    }
}
