//! Fireworks list queries: `filter` (AIP-160 `field="value"` clauses joined by `AND`),
//! `orderBy`, `pageSize` and `pageToken`.

use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};

/// A parsed list request.
#[derive(Debug, Default)]
pub struct ListQuery {
    pub filter: Vec<(String, String)>,
    pub order_by: Option<String>,
    pub page_size: usize,
    pub offset: usize,
}

impl ListQuery {
    /// Reads `filter`, `orderBy`/`order_by`, `pageSize`/`page_size`, `pageToken`/`page_token`.
    pub fn from_query(query: Option<&str>) -> ApiResult<Self> {
        let pairs: Vec<(String, String)> = serde_urlencoded_pairs(query.unwrap_or(""))?;
        let mut list = ListQuery {
            page_size: 50,
            ..ListQuery::default()
        };
        for (key, value) in pairs {
            match key.as_str() {
                "filter" => list.filter = parse_filter(&value)?,
                "orderBy" | "order_by" => list.order_by = Some(value),
                "pageSize" | "page_size" => {
                    let size = value
                        .parse::<usize>()
                        .map_err(|_| ApiError::invalid(format!("invalid pageSize '{value}'")))?;
                    list.page_size = if size == 0 { 50 } else { size.min(200) };
                }
                "pageToken" | "page_token" if !value.is_empty() => {
                    list.offset = value
                        .parse::<usize>()
                        .map_err(|_| ApiError::invalid(format!("invalid pageToken '{value}'")))?;
                }
                _ => {}
            }
        }
        Ok(list)
    }

    /// Whether `field` of an item (read by `get`) matches every filter clause.
    pub fn keeps(&self, get: impl Fn(&str) -> Option<String>) -> bool {
        self.filter
            .iter()
            .all(|(field, value)| get(field).as_deref() == Some(value.as_str()))
    }

    /// `items` sorted by `orderBy` (`name` by default, `createTime`; ` desc` reverses), then
    /// paged; returns the list JSON under `key` with `nextPageToken` and `totalSize`.
    pub fn page(&self, key: &str, mut items: Vec<(String, i64, Value)>) -> Value {
        let order = self.order_by.as_deref().unwrap_or("name").trim();
        let (field, descending) = match order.strip_suffix(" desc") {
            Some(field) => (field.trim(), true),
            None => (order, false),
        };
        if field == "createTime" || field == "create_time" {
            items.sort_by_key(|(_, created, _)| *created);
        } else {
            items.sort_by(|a, b| a.0.cmp(&b.0));
        }
        if descending {
            items.reverse();
        }
        let total = items.len();
        let end = self.offset.saturating_add(self.page_size).min(total);
        let page: Vec<Value> = items
            .into_iter()
            .skip(self.offset)
            .take(end.saturating_sub(self.offset))
            .map(|(_, _, json)| json)
            .collect();
        let next = if end < total {
            end.to_string()
        } else {
            String::new()
        };
        json!({key: page, "nextPageToken": next, "totalSize": total})
    }
}

fn serde_urlencoded_pairs(query: &str) -> ApiResult<Vec<(String, String)>> {
    let uri: axum::http::Uri = format!("/?{query}")
        .parse()
        .map_err(|_| ApiError::invalid("Invalid query string."))?;
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&uri)
        .map(|q| q.0)
        .map_err(|e| ApiError::invalid(format!("Invalid query string: {e}.")))
}

/// `a="x" AND b="y"` (also `a = "x"`, `a=x`).
fn parse_filter(filter: &str) -> ApiResult<Vec<(String, String)>> {
    let mut clauses = Vec::new();
    for clause in filter
        .split(" AND ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let (field, value) = clause.split_once('=').ok_or_else(|| {
            ApiError::invalid(format!(
                "unsupported filter '{clause}': the emulator accepts field=\"value\" clauses joined by AND"
            ))
        })?;
        let value = value.trim().trim_matches('"');
        clauses.push((field.trim().to_owned(), value.to_owned()));
    }
    Ok(clauses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_and_pages() {
        let query = ListQuery::from_query(Some(
            "filter=dataset%3D%22accounts%2Fa%2Fdatasets%2Fd%22%20AND%20state%3DJOB_STATE_RUNNING&pageSize=1",
        ))
        .unwrap();
        assert_eq!(query.filter.len(), 2);
        assert!(query.keeps(|f| match f {
            "dataset" => Some("accounts/a/datasets/d".into()),
            "state" => Some("JOB_STATE_RUNNING".into()),
            _ => None,
        }));
        let items = vec![("b".to_owned(), 1, json!(1)), ("a".to_owned(), 2, json!(2))];
        let page = query.page("things", items);
        assert_eq!(page["things"], json!([2]));
        assert_eq!(page["nextPageToken"], "1");
        assert_eq!(page["totalSize"], 2);
    }
}
