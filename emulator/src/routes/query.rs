//! Query strings of list routes: `after`, `limit` and `metadata[KEY]=VALUE` filters.

use axum::extract::Query;
use axum::http::Uri;

use crate::error::{ApiError, ApiResult};

/// Lists never return more than this many items per page.
const MAX_LIMIT: usize = 100;

/// Parsed list parameters.
#[derive(Debug, Default)]
pub struct ListQuery {
    pub after: Option<String>,
    pub limit: usize,
    /// `metadata[k]=v` pairs; a job must match all of them.
    pub metadata: Vec<(String, String)>,
    /// `metadata=null`: only jobs without metadata.
    pub metadata_null: bool,
}

impl ListQuery {
    /// Reads the query of `uri`; `default_limit` applies when `limit` is absent.
    pub fn from_uri(uri: &Uri, default_limit: usize) -> ApiResult<Self> {
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri)
            .map_err(|e| ApiError::invalid(format!("Invalid query string: {e}.")))?;
        let mut query = ListQuery {
            limit: default_limit,
            ..ListQuery::default()
        };
        for (key, value) in pairs {
            match key.as_str() {
                "after" => query.after = Some(value),
                "limit" => query.limit = parse_limit(&value)?,
                "metadata" if value == "null" => query.metadata_null = true,
                _ => {
                    if let Some(name) = key
                        .strip_prefix("metadata[")
                        .and_then(|k| k.strip_suffix(']'))
                    {
                        query.metadata.push((name.to_owned(), value));
                    }
                }
            }
        }
        Ok(query)
    }
}

fn parse_limit(value: &str) -> ApiResult<usize> {
    match value.parse::<usize>() {
        Ok(limit) if limit > 0 => Ok(limit.min(MAX_LIMIT)),
        _ => Err(
            ApiError::invalid(format!("limit must be a positive integer, not '{value}'."))
                .param("limit"),
        ),
    }
}
