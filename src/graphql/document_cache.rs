//! Parsed documents kept for the query texts seen lately, keyed by the SHA-256 of the text: a
//! text sent again is not parsed or measured again, and a client that uses Automatic Persisted
//! Queries can send the hash alone. Bounded in entries and in bytes of query text; the least
//! recently used documents go first.

use std::sync::{Arc, Mutex, MutexGuard};

use async_graphql::parser::types::ExecutableDocument;
use lru::LruCache;
use sha2::{Digest, Sha256};

use crate::metrics::CacheLookups;

/// The SHA-256 of a query text.
pub type QueryHash = [u8; 32];

/// The hash of `text`, as Automatic Persisted Queries name it.
pub fn hash(text: &str) -> QueryHash {
    Sha256::digest(text.as_bytes()).into()
}

/// A hash written as 64 hexadecimal digits (either case); `None` for anything else.
pub fn parse_hash(hex: &str) -> Option<QueryHash> {
    if hex.len() != 64 {
        return None;
    }
    let mut hash = [0u8; 32];
    for (byte, pair) in hash.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(hash)
}

/// How much the cache holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheLimits {
    /// Most documents kept.
    pub max_entries: usize,
    /// Most bytes of query text behind the documents kept, all together.
    pub max_bytes: usize,
    /// Longest query text kept; longer ones are parsed on every request.
    pub max_document_bytes: usize,
}

impl Default for CacheLimits {
    fn default() -> Self {
        Self {
            max_entries: 1_000,
            max_bytes: 4 * 1024 * 1024,
            max_document_bytes: 64 * 1024,
        }
    }
}

struct Entry {
    document: Arc<ExecutableDocument>,
    text_bytes: usize,
}

struct State {
    entries: LruCache<QueryHash, Entry>,
    bytes: usize,
}

/// The documents of one schema: each passed the checks made before validation (size once
/// fragments are expanded) when it was stored. Validation still runs on every request, since
/// it depends on the variables.
pub struct DocumentCache {
    state: Mutex<State>,
    limits: CacheLimits,
    lookups: CacheLookups,
}

impl std::fmt::Debug for DocumentCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentCache")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl DocumentCache {
    /// An empty cache within `limits`, counting its hits and misses in `lookups`.
    pub fn new(limits: CacheLimits, lookups: CacheLookups) -> Self {
        Self {
            state: Mutex::new(State {
                entries: LruCache::unbounded(),
                bytes: 0,
            }),
            limits,
            lookups,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Entries and their byte count are updated together; a panic cannot split them.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The document stored under `hash`, now the most recently used.
    pub fn get(&self, hash: &QueryHash) -> Option<ExecutableDocument> {
        let found = self.lock().entries.get(hash).map(|e| e.document.clone());
        match &found {
            Some(_) => self.lookups.hit(),
            None => self.lookups.miss(),
        }
        // The copy the engine consumes is made outside the lock.
        found.map(|document| (*document).clone())
    }

    /// Keeps `document`, parsed from a text of `text_bytes` bytes hashing to `hash`, making room
    /// by dropping the least recently used. Texts over the per-document limit are not kept.
    pub fn insert(&self, hash: QueryHash, document: &ExecutableDocument, text_bytes: usize) {
        let limits = self.limits;
        if text_bytes > limits.max_document_bytes || text_bytes > limits.max_bytes {
            return;
        }
        let entry = Entry {
            document: Arc::new(document.clone()),
            text_bytes,
        };
        let mut state = self.lock();
        if let Some(old) = state.entries.put(hash, entry) {
            state.bytes -= old.text_bytes;
        }
        state.bytes += text_bytes;
        while state.entries.len() > limits.max_entries.max(1) || state.bytes > limits.max_bytes {
            let Some((_, dropped)) = state.entries.pop_lru() else {
                break;
            };
            state.bytes -= dropped.text_bytes;
        }
    }

    /// Documents kept, and the bytes of their query texts.
    pub fn usage(&self) -> (usize, usize) {
        let state = self.lock();
        (state.entries.len(), state.bytes)
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn cache(limits: CacheLimits) -> DocumentCache {
        DocumentCache::new(limits, CacheLookups::default())
    }

    fn store(cache: &DocumentCache, text: &str) -> QueryHash {
        let document = parse_query(text).expect("parses");
        let key = hash(text);
        cache.insert(key, &document, text.len());
        key
    }

    #[test]
    fn the_least_recently_used_document_goes_past_the_entry_limit() {
        let cache = cache(CacheLimits {
            max_entries: 2,
            ..CacheLimits::default()
        });
        let a = store(&cache, "{ a }");
        let b = store(&cache, "{ b }");
        assert!(cache.get(&a).is_some());
        let c = store(&cache, "{ c }");
        assert!(cache.get(&b).is_none(), "b was the least recently used");
        assert!(cache.get(&a).is_some() && cache.get(&c).is_some());
        assert_eq!(cache.usage(), (2, 10));
    }

    #[test]
    fn the_bytes_of_query_text_are_bounded() {
        let cache = cache(CacheLimits {
            max_entries: 100,
            max_bytes: 30,
            max_document_bytes: 20,
        });
        let long = format!("{{ {} }}", "x ".repeat(10)); // 24 bytes: over the per-document limit
        store(&cache, &long);
        assert_eq!(cache.usage(), (0, 0));
        for field in ["aaaaaaaa", "bbbbbbbb", "cccccccc"] {
            store(&cache, &format!("{{ {field} }}")); // 12 bytes each
        }
        assert_eq!(cache.usage(), (2, 24));
        assert!(cache.get(&hash("{ aaaaaaaa }")).is_none());
    }

    #[test]
    fn storing_a_text_again_counts_its_bytes_once() {
        let cache = cache(CacheLimits::default());
        store(&cache, "{ a }");
        store(&cache, "{ a }");
        assert_eq!(cache.usage(), (1, 5));
    }

    #[test]
    fn a_document_comes_back_as_parsed() {
        let cache = cache(CacheLimits::default());
        let key = store(&cache, "query Q { viewer { role } }");
        let document = cache.get(&key).expect("kept");
        assert_eq!(document.operations.iter().count(), 1);
    }

    #[test]
    fn hashes_are_read_from_hex_in_either_case() {
        let key = hash("{ value }");
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(parse_hash(&hex), Some(key));
        assert_eq!(parse_hash(&hex.to_uppercase()), Some(key));
        assert_eq!(parse_hash(&hex[1..]), None);
        assert_eq!(parse_hash(&format!("{}zz", &hex[2..])), None);
    }
}
