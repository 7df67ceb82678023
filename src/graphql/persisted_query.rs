//! The document a request runs: from its query text (parsed once per distinct text, see
//! [`DocumentCache`]), or from the hash alone for clients that use Automatic Persisted Queries
//! (the Apollo convention: `extensions.persistedQuery = { version: 1, sha256Hash }`). A hash
//! the server does not know is answered `PersistedQueryNotFound` (code
//! `PERSISTED_QUERY_NOT_FOUND`), and the client sends it again with its text; a hash that is
//! not the text's is refused. Every document passes the size check before it is stored or run.

use async_graphql::{Request, Response, ServerError, Value};

use super::document_cache::{self, DocumentCache, QueryHash};
use super::document_size::{self, SizeLimits};
use super::{finish_errors, refusal};
use crate::error::Error;

/// The message and code Apollo clients look for before sending the query text.
pub const NOT_FOUND: &str = "PersistedQueryNotFound";
/// The `extensions.code` of [`NOT_FOUND`].
pub const NOT_FOUND_CODE: &str = "PERSISTED_QUERY_NOT_FOUND";

const FIELD: &str = "extensions.persistedQuery";

/// Gives `request` its parsed document, checked for size; a request that cannot run gets its
/// answer instead.
pub fn load_document(
    request: &mut Request,
    cache: Option<&DocumentCache>,
    limits: SizeLimits,
) -> Result<(), Box<Response>> {
    let persisted = take_persisted_hash(request).map_err(|e| Box::new(refusal(e)))?;
    if request.query.is_empty() {
        if let Some(hash) = persisted {
            let document = cache.and_then(|cache| cache.get(&hash));
            let Some(document) = document else {
                return Err(Box::new(not_found()));
            };
            request.set_parsed_query(document);
            return Ok(());
        }
    }
    let text_hash = document_cache::hash(&request.query);
    if persisted.is_some_and(|hash| hash != text_hash) {
        let message = "provided sha does not match query: sha256Hash must be the SHA-256 of the \
                       query text, in hexadecimal";
        return Err(Box::new(refusal(Error::bad_input(FIELD, message))));
    }
    if let Some(document) = cache.and_then(|cache| cache.get(&text_hash)) {
        request.set_parsed_query(document);
        return Ok(());
    }
    let text_bytes = request.query.len();
    let document = match request.parsed_query() {
        Ok(document) => document,
        Err(error) => return Err(Box::new(finish_errors(Response::from_errors(vec![error])))),
    };
    if let Err(oversized) = document_size::check(document, limits) {
        let error = Error::bad_input("query", oversized.message());
        return Err(Box::new(refusal(error)));
    }
    if let Some(cache) = cache {
        cache.insert(text_hash, document, text_bytes);
    }
    Ok(())
}

/// The hash of `extensions.persistedQuery`, removed from the request; `None` without one.
fn take_persisted_hash(request: &mut Request) -> Result<Option<QueryHash>, Error> {
    let Some(value) = request.extensions.remove("persistedQuery") else {
        return Ok(None);
    };
    let invalid = || {
        Error::bad_input(
            FIELD,
            "persistedQuery must be {\"version\": 1, \"sha256Hash\": \"<64 hex digits>\"}",
        )
    };
    let Value::Object(fields) = value else {
        return Err(invalid());
    };
    match fields.get("version") {
        Some(Value::Number(n)) if n.as_i64() == Some(1) => {}
        Some(Value::Number(_)) => {
            return Err(Error::bad_input(
                FIELD,
                "only version 1 of persisted queries is supported",
            ))
        }
        _ => return Err(invalid()),
    }
    match fields.get("sha256Hash") {
        Some(Value::String(hex)) => document_cache::parse_hash(hex)
            .map(Some)
            .ok_or_else(invalid),
        _ => Err(invalid()),
    }
}

/// The answer to a hash the server does not know (or no longer keeps).
fn not_found() -> Response {
    let mut error = ServerError::new(NOT_FOUND, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", Value::from(NOT_FOUND_CODE));
    Response::from_errors(vec![error])
}
