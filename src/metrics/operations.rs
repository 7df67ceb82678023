//! GraphQL operation names as metric labels. Clients choose them, so the label space is bounded:
//! only names that are GraphQL names of at most [`MAX_NAME_LEN`] characters are kept, the first
//! [`MAX_NAMES`] distinct ones each get their own series, and every other request counts under
//! [`OTHER`]. Requests without a name count under [`ANONYMOUS`]. Neither stand-in is a valid
//! GraphQL name, so no client can take them.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Longest operation name kept as a label.
pub const MAX_NAME_LEN: usize = 64;
/// Most distinct operation names kept as labels.
pub const MAX_NAMES: usize = 200;
/// The label of requests whose operation has no name.
pub const ANONYMOUS: &str = "(anonymous)";
/// The label of requests whose operation name is not kept (invalid, too long, or past the cap).
pub const OTHER: &str = "(other)";

/// The operation names seen so far, each stored once and shared by every request with it.
#[derive(Debug)]
pub struct OperationNames {
    known: RwLock<HashMap<Box<str>, Arc<str>>>,
    anonymous: Arc<str>,
    other: Arc<str>,
}

impl Default for OperationNames {
    fn default() -> Self {
        Self {
            known: RwLock::default(),
            anonymous: Arc::from(ANONYMOUS),
            other: Arc::from(OTHER),
        }
    }
}

impl OperationNames {
    /// The label for a request: its `operationName`, else the name of the operation its
    /// document starts with.
    pub fn label(&self, operation_name: Option<&str>, query: &str) -> Arc<str> {
        let name = operation_name
            .filter(|name| !name.is_empty())
            .or_else(|| leading_operation_name(query));
        let Some(name) = name else {
            return self.anonymous.clone();
        };
        if !is_graphql_name(name) || name.len() > MAX_NAME_LEN {
            return self.other.clone();
        }
        {
            let known = self.known.read().unwrap_or_else(|e| e.into_inner());
            if let Some(label) = known.get(name) {
                return label.clone();
            }
            if known.len() >= MAX_NAMES {
                return self.other.clone();
            }
        }
        let mut known = self.known.write().unwrap_or_else(|e| e.into_inner());
        if known.len() >= MAX_NAMES {
            return self.other.clone();
        }
        known
            .entry(Box::from(name))
            .or_insert_with(|| Arc::from(name))
            .clone()
    }
}

/// Whether `name` matches GraphQL's `/[_A-Za-z][_0-9A-Za-z]*/`.
fn is_graphql_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|first| first == b'_' || first.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
}

/// The name of the operation a document starts with (`query Name`, `mutation Name ...`), found
/// without parsing the document; `None` for shorthand queries and documents that start
/// otherwise. A document with several operations needs `operationName` anyway.
fn leading_operation_name(query: &str) -> Option<&str> {
    let rest = skip_ignored(query);
    let rest = ["query", "mutation", "subscription"]
        .iter()
        .find_map(|keyword| rest.strip_prefix(keyword))?;
    if !rest.starts_with(|c: char| c.is_whitespace() || c == ',' || c == '#') {
        return None;
    }
    let rest = skip_ignored(rest);
    let end = rest
        .find(|c: char| c != '_' && !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    let name = &rest[..end];
    is_graphql_name(name).then_some(name)
}

/// `text` after its leading white space, commas and comments.
fn skip_ignored(mut text: &str) -> &str {
    loop {
        text = text.trim_start_matches(|c: char| c.is_whitespace() || c == ',' || c == '\u{feff}');
        match text.strip_prefix('#') {
            Some(comment) => text = comment.find('\n').map_or("", |end| &comment[end..]),
            None => return text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_comes_from_the_request_or_else_from_the_document() {
        let names = OperationNames::default();
        assert_eq!(&*names.label(Some("Models"), "{ a }"), "Models");
        assert_eq!(
            &*names.label(None, "# hi\n query  Jobs($a: Int) { a }"),
            "Jobs"
        );
        assert_eq!(&*names.label(None, "mutation Add{ a }"), "Add");
        assert_eq!(&*names.label(None, "{ a }"), ANONYMOUS);
        assert_eq!(&*names.label(None, "query { a }"), ANONYMOUS);
        assert_eq!(&*names.label(None, "queryX { a }"), ANONYMOUS);
        assert_eq!(&*names.label(Some(""), "fragment F on Q { a }"), ANONYMOUS);
    }

    #[test]
    fn invalid_long_and_surplus_names_count_as_other() {
        let names = OperationNames::default();
        assert_eq!(&*names.label(Some("bad name"), ""), OTHER);
        assert_eq!(&*names.label(Some("x\"}"), ""), OTHER);
        assert_eq!(
            &*names.label(Some(&"a".repeat(MAX_NAME_LEN + 1)), ""),
            OTHER
        );
        for n in 0..MAX_NAMES {
            assert_eq!(&*names.label(Some(&format!("Op{n}")), ""), format!("Op{n}"));
        }
        assert_eq!(&*names.label(Some("OneTooMany"), ""), OTHER);
        assert_eq!(&*names.label(Some("Op7"), ""), "Op7", "known names stay");
    }
}
