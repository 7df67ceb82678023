//! When base models stop serving: a table of model names and dates, from the command line.
//! Models tuned from a base model retire with it.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::datasets::models::base_model;

/// Retirement dates announced for base models (models tuned from them retire with them): OpenAI
/// shuts its fine-tunable models and every model tuned from them down on 2027-01-14.
pub const DEFAULT_RETIREMENTS: &str = "gpt-4o-mini-2024-07-18=2027-01-14,\
gpt-4o-2024-08-06=2027-01-14,gpt-4.1-2025-04-14=2027-01-14,gpt-4.1-mini-2025-04-14=2027-01-14";

/// When base models stop serving, by model name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Retirements(BTreeMap<String, NaiveDate>);

impl Retirements {
    /// Reads `model=YYYY-MM-DD,...`; blank entries are skipped.
    pub fn parse(text: &str) -> std::result::Result<Self, RetirementsError> {
        let mut table = BTreeMap::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (model, date) = entry
                .split_once('=')
                .ok_or_else(|| RetirementsError::NoDate(entry.to_owned()))?;
            let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").map_err(|cause| {
                RetirementsError::BadDate {
                    entry: entry.to_owned(),
                    cause,
                }
            })?;
            table.insert(model.trim().to_owned(), date);
        }
        Ok(Self(table))
    }

    /// When `model` (or the base model it was tuned from) retires, at midnight UTC.
    pub fn retires_at(&self, model: &str) -> Option<DateTime<Utc>> {
        let date = self
            .0
            .get(model)
            .or_else(|| self.0.get(base_model(model)))?;
        date.and_hms_opt(0, 0, 0).map(|t| t.and_utc())
    }
}

/// A retirement table entry that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RetirementsError {
    /// The entry has no `=` between the model and the date.
    #[error("retirement `{0}`: write MODEL=YYYY-MM-DD")]
    NoDate(String),
    /// The date is not a `YYYY-MM-DD` calendar date.
    #[error("retirement `{entry}`: the date must be YYYY-MM-DD")]
    BadDate {
        entry: String,
        #[source]
        cause: chrono::ParseError,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retirements_apply_to_models_tuned_from_the_base() {
        let table = Retirements::parse(DEFAULT_RETIREMENTS).expect("parse");
        let at = table
            .retires_at("ft:gpt-4o-mini-2024-07-18:org:x:abc")
            .expect("date");
        assert_eq!(at.to_rfc3339(), "2027-01-14T00:00:00+00:00");
        let at = table.retires_at("ft:gpt-4.1-2025-04-14:org:x:abc");
        assert_eq!(
            at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2027-01-14T00:00:00+00:00")
        );
        assert_eq!(
            table.retires_at("meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"),
            None
        );
    }

    #[test]
    fn malformed_retirements_are_refused() {
        assert!(Retirements::parse("gpt=2027-13-01").is_err());
        assert!(Retirements::parse("no-date").is_err());
        assert_eq!(Retirements::parse(" , ").ok(), Some(Retirements::default()));
    }

    #[test]
    fn malformed_retirements_say_what_to_write() {
        let said = |text: &str| Retirements::parse(text).map_err(|err| err.to_string());
        assert_eq!(
            said("gpt=2027-13-01"),
            Err("retirement `gpt=2027-13-01`: the date must be YYYY-MM-DD".to_owned())
        );
        assert_eq!(
            said("a=2027-01-01, no-date"),
            Err("retirement `no-date`: write MODEL=YYYY-MM-DD".to_owned())
        );
    }
}
