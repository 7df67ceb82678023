//! Fireworks resource ids and names: `accounts/{account}/{collection}/{id}`.

use crate::error::{ApiError, ApiResult};

/// Checks a resource id: 1 to 63 lower-case letters, digits and hyphens, starting with a letter.
pub fn check_id(id: &str, what: &str) -> ApiResult<()> {
    let valid = !id.is_empty()
        && id.len() <= 63
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && !id.ends_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if valid {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "invalid {what} id '{id}': use 1 to 63 lower-case letters, digits and hyphens, starting with a letter"
        )))
    }
}

/// A random id that passes [`check_id`].
pub fn random_id() -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!("j{}", &hex[..11])
}

/// `accounts/{account}/{collection}/{id}`.
pub fn name(account: &str, collection: &str, id: &str) -> String {
    format!("accounts/{account}/{collection}/{id}")
}

/// A full resource name, or the full name of a bare id in `account`.
pub fn qualify(account: &str, collection: &str, id_or_name: &str) -> String {
    if id_or_name.starts_with("accounts/") {
        id_or_name.to_owned()
    } else {
        name(account, collection, id_or_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_must_not_start_with_a_digit() {
        assert!(check_id("support-v2", "dataset").is_ok());
        assert!(check_id("2support", "dataset").is_err());
        assert!(check_id("Support", "dataset").is_err());
        assert!(check_id(&random_id(), "job").is_ok());
        assert_eq!(
            qualify("acme", "datasets", "d1"),
            "accounts/acme/datasets/d1"
        );
    }
}
