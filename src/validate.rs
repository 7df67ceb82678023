//! Shared checks on user text; each failure names the input field it concerns.

use crate::error::{Error, Result};

/// Fails when `value` holds more than `max` characters (Unicode scalar values).
pub fn max_chars(field: &str, value: &str, max: usize) -> Result<()> {
    let count = value.chars().count();
    if count > max {
        return Err(Error::bad_input(
            field,
            format!("{field} is {count} characters long; the limit is {max}"),
        ));
    }
    Ok(())
}

/// Checks free text (line breaks allowed): at most `max` characters and no NUL character, which
/// Postgres cannot store.
pub fn text(field: &str, value: &str, max: usize) -> Result<()> {
    if value.contains('\0') {
        return Err(Error::bad_input(
            field,
            format!("{field} must not contain NUL (U+0000) characters"),
        ));
    }
    max_chars(field, value, max)
}

/// Trims `value` and fails when nothing is left.
pub fn required_trimmed(field: &str, value: &str) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Error::bad_input(
            field,
            format!("{field} must not be empty"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// Fails when `value` contains a control character (line breaks and tabs included).
pub fn no_control_chars(field: &str, value: &str) -> Result<()> {
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(Error::bad_input(
            field,
            format!(
                "{field} must be a single line without control characters (found U+{:04X})",
                c as u32
            ),
        ));
    }
    Ok(())
}

/// Trims an optional free text: `None` and blank become `None`; longer than `max` fails.
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    let Some(text) = value.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    self::text(field, text, max)?;
    Ok(Some(text.to_owned()))
}

/// Fails when a list holds more than `max` items.
pub fn max_items<T>(field: &str, items: &[T], max: usize) -> Result<()> {
    if items.len() > max {
        return Err(Error::bad_input(
            field,
            format!(
                "{field} holds {} items; the limit is {max} per request",
                items.len()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_chars_counts_characters_not_bytes() {
        assert!(max_chars("f", "ééé", 3).is_ok());
        assert!(max_chars("f", "éééé", 3).is_err());
    }

    #[test]
    fn control_characters_are_refused() {
        assert!(no_control_chars("f", "a\nb").is_err());
        assert!(no_control_chars("f", "a\u{7}b").is_err());
        assert!(no_control_chars("f", "plain text").is_ok());
    }

    #[test]
    fn nul_characters_are_refused_in_free_text() {
        assert!(text("f", "a\0b", 10).is_err());
        assert!(text("f", "line one\nline two", 100).is_ok());
    }

    #[test]
    fn blank_optional_text_becomes_none() {
        assert_eq!(optional_text("f", Some("  "), 10).ok(), Some(None));
        assert_eq!(
            optional_text("f", Some(" x "), 10).ok(),
            Some(Some("x".to_owned()))
        );
    }
}
