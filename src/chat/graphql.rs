//! GraphQL view of chat usage: `CustomModel.usage(from, to)`.

use std::collections::BTreeMap;

use async_graphql::{
    InputValueError, InputValueResult, Scalar, ScalarType, SimpleObject, Value, ID,
};
use chrono::NaiveDate;

use crate::entities::chat_usage;
use crate::error::{Error, Result};

/// A calendar day, `YYYY-MM-DD` (ISO 8601).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

/// A calendar day, `YYYY-MM-DD` (ISO 8601).
#[Scalar(
    name = "Date",
    specified_by_url = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6"
)]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        let Value::String(text) = &value else {
            return Err(InputValueError::expected_type(value));
        };
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Date)
            .map_err(|_| InputValueError::custom(format!("{text:?} is not a YYYY-MM-DD date")))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// Longest span `usage` may cover, in days.
pub const MAX_USAGE_DAYS: i64 = 366;

/// Requests and tokens through the chat endpoint.
#[derive(SimpleObject, Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct UsageCounts {
    /// Chat requests answered.
    requests: i64,
    /// Prompt tokens, as the provider counted them.
    prompt_tokens: i64,
    /// Completion tokens, as the provider counted them.
    completion_tokens: i64,
}

impl UsageCounts {
    fn add(&mut self, row: &chat_usage::Model) {
        self.requests += row.requests;
        self.prompt_tokens += row.prompt_tokens;
        self.completion_tokens += row.completion_tokens;
    }
}

/// One UTC day's usage of a model, all tokens together.
#[derive(SimpleObject, Debug)]
pub struct UsageDay {
    /// The UTC day.
    day: Date,
    /// What was used that day.
    #[graphql(flatten)]
    counts: UsageCounts,
}

/// One API token's usage of a model over the span.
#[derive(SimpleObject, Debug)]
pub struct TokenUsage {
    /// The API token's id (revoked tokens keep their usage).
    token_id: ID,
    /// What the token used.
    #[graphql(flatten)]
    counts: UsageCounts,
}

/// A model's chat usage over a span of UTC days. Written about once a second, so the last
/// second's requests may be missing.
#[derive(SimpleObject, Debug)]
pub struct ModelUsage {
    /// The whole span.
    total: UsageCounts,
    /// By day, oldest first; days without requests are left out.
    days: Vec<UsageDay>,
    /// By API token, most requests first.
    tokens: Vec<TokenUsage>,
}

/// Checks the span a client asked for.
pub fn check_span(from: NaiveDate, to: NaiveDate) -> Result<()> {
    if to < from {
        return Err(Error::bad_input("to", "`to` must not be before `from`"));
    }
    if (to - from).num_days() >= MAX_USAGE_DAYS {
        return Err(Error::bad_input(
            "to",
            format!("a span covers at most {MAX_USAGE_DAYS} days; ask for a shorter one"),
        ));
    }
    Ok(())
}

impl ModelUsage {
    /// Sums stored rows (one per token and day) by day and by token.
    pub fn from_rows(rows: &[chat_usage::Model]) -> Self {
        let mut total = UsageCounts::default();
        let mut days: BTreeMap<&str, UsageCounts> = BTreeMap::new();
        let mut tokens: BTreeMap<String, UsageCounts> = BTreeMap::new();
        for row in rows {
            total.add(row);
            days.entry(row.day.as_str()).or_default().add(row);
            tokens.entry(row.token_id.to_string()).or_default().add(row);
        }
        let days = days
            .into_iter()
            .filter_map(|(day, counts)| {
                let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
                Some(UsageDay {
                    day: Date(day),
                    counts,
                })
            })
            .collect();
        let mut tokens: Vec<TokenUsage> = tokens
            .into_iter()
            .map(|(token_id, counts)| TokenUsage {
                token_id: ID(token_id),
                counts,
            })
            .collect();
        tokens.sort_by_key(|t| std::cmp::Reverse(t.counts.requests));
        Self {
            total,
            days,
            tokens,
        }
    }
}
