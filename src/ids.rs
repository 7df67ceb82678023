//! Public ids: every object is identified by a UUIDv7, written in its canonical text form.

use std::collections::HashSet;

use uuid::Uuid;

use crate::error::{excerpt, Error, Result};

/// A new id; UUIDv7 ids sort by creation time, which keyset pagination relies on.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// Parses a client-supplied id, naming `field` when it is malformed.
pub fn parse(field: &str, raw: &str) -> Result<Uuid> {
    Uuid::try_parse(raw.trim()).map_err(|_| {
        Error::bad_input(
            field,
            format!("{field} is not a valid id: {}", excerpt(raw)),
        )
    })
}

/// Parses a list of ids, dropping repeats while keeping the first-seen order.
pub fn parse_unique(field: &str, raw: &[impl AsRef<str>]) -> Result<Vec<Uuid>> {
    let mut seen = HashSet::with_capacity(raw.len());
    let mut ids = Vec::with_capacity(raw.len());
    for (index, id) in raw.iter().enumerate() {
        let id = parse(&format!("{field}[{index}]"), id.as_ref())?;
        if seen.insert(id) {
            ids.push(id);
        }
    }
    Ok(ids)
}
