//! Checks on training block content, each naming the offending input field.

use crate::entities::training_block::TrainingStatus;
use crate::error::{Error, Result};
use crate::validate;

/// Most exchanges one block may hold.
pub const MAX_EXCHANGES: usize = 3;
/// Longest prompt or response, in characters.
pub const MAX_MESSAGE_CHARS: usize = 100_000;
/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 64;
/// Longest notes or additional rules, in characters.
pub const MAX_NOTE_CHARS: usize = 10_000;

/// One user prompt with the assistant response it should get.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExchangeText {
    pub prompt: String,
    pub response: String,
}

/// Checks a block's exchanges: 1 to 3 of them, none too long, and (unless the block is a
/// DRAFT, which may be incomplete) no empty prompt or response.
pub fn check_exchanges(exchanges: &[ExchangeText], status: TrainingStatus) -> Result<()> {
    if exchanges.is_empty() || exchanges.len() > MAX_EXCHANGES {
        return Err(Error::bad_input(
            "exchanges",
            format!(
                "a training block holds 1 to {MAX_EXCHANGES} exchanges; got {}",
                exchanges.len()
            ),
        ));
    }
    for (index, exchange) in exchanges.iter().enumerate() {
        for (name, text) in [
            ("prompt", &exchange.prompt),
            ("response", &exchange.response),
        ] {
            let field = format!("exchanges[{index}].{name}");
            validate::text(&field, text, MAX_MESSAGE_CHARS)?;
            if status != TrainingStatus::Draft && text.trim().is_empty() {
                return Err(Error::bad_input(
                    &field,
                    format!("{field} must not be empty unless the block is a DRAFT"),
                ));
            }
        }
    }
    Ok(())
}

/// Normalises a tag: trimmed, blank means none, at most 64 characters, no control characters.
pub fn normalize_tag(tag: Option<&str>) -> Result<Option<String>> {
    let Some(tag) = tag.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    validate::max_chars("tag", tag, MAX_TAG_CHARS)?;
    validate::no_control_chars("tag", tag)?;
    Ok(Some(tag.to_owned()))
}

/// Normalises notes or additional rules: trimmed, blank means none, at most 10,000 characters.
pub fn normalize_note(field: &str, text: Option<&str>) -> Result<Option<String>> {
    validate::optional_text(field, text, MAX_NOTE_CHARS)
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
    fn drafts_may_be_incomplete_but_others_may_not() {
        let blank = [exchange("hi", " ")];
        assert!(check_exchanges(&blank, TrainingStatus::Draft).is_ok());
        assert!(check_exchanges(&blank, TrainingStatus::NotTrained).is_err());
    }

    #[test]
    fn exchange_count_is_bounded() {
        assert!(check_exchanges(&[], TrainingStatus::Draft).is_err());
        assert!(check_exchanges(&vec![exchange("a", "b"); 4], TrainingStatus::Draft).is_err());
        assert!(check_exchanges(&vec![exchange("a", "b"); 3], TrainingStatus::Trained).is_ok());
    }

    #[test]
    fn tags_are_trimmed_and_checked() {
        assert_eq!(
            normalize_tag(Some(" returns ")).ok(),
            Some(Some("returns".into()))
        );
        assert_eq!(normalize_tag(Some("  ")).ok(), Some(None));
        assert!(normalize_tag(Some("a\tb")).is_err());
        assert!(normalize_tag(Some(&"x".repeat(65))).is_err());
    }
}
