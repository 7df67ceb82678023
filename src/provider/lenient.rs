//! Forgiving readers for JSON values whose type providers do not agree on: numbers sent as
//! floats or strings, metadata values that are not strings, error bodies that are not JSON.

use std::collections::BTreeMap;

use serde::de::Deserializer;
use serde::Deserialize;
use serde_json::Value;

pub(crate) fn string_map(value: &Value) -> BTreeMap<String, String> {
    let Some(object) = value.as_object() else {
        return BTreeMap::new();
    };
    object
        .iter()
        .filter_map(|(key, value)| Some((key.clone(), value_text(value)?)))
        .collect()
}

/// A string as is, a number or boolean as written; null, arrays and objects give `None`.
pub(crate) fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) if !text.trim().is_empty() => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

pub(crate) fn as_f64(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
    .filter(|number: &f64| number.is_finite())
}

pub(crate) fn as_u64(value: &Value) -> Option<u64> {
    if let Some(whole) = value.as_u64() {
        return Some(whole);
    }
    let number = as_f64(value)?;
    (number >= 0.0 && number <= u64::MAX as f64).then(|| number.round() as u64)
}

pub(crate) fn lenient_u64<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    Ok(as_u64(&Value::deserialize(deserializer)?))
}

pub(crate) fn lenient_i64<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    let value = Value::deserialize(deserializer)?;
    Ok(value.as_i64().or_else(|| {
        let number = as_f64(&value)?;
        (number.abs() <= i64::MAX as f64).then(|| number.round() as i64)
    }))
}

/// The first 200 characters of a body, whitespace collapsed, for error messages.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match collapsed.char_indices().nth(200) {
        Some((end, _)) => format!("{}…", &collapsed[..end]),
        None => collapsed,
    }
}
