//! Whole answers to operations that ask for `availableModels` and nothing else, kept per
//! workspace and query text, so the question bot platforms repeat all day costs no GraphQL
//! execution or serialisation.
//!
//! An answer is a function of the workspace's list (see [`super::cache`]), the query text and
//! the operation name, and of the clock only where a model retires. So one is kept only for an
//! operation without variables whose root fields are all `availableModels` or `__typename`,
//! answered without errors, and it is served only while the list it was made from is still
//! the workspace's list (a change of jobs, rules or models makes a new list) and until the
//! next retirement date in it. Bounded by count and bytes, least recently used first out.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use async_graphql::parser::types::{DocumentOperations, OperationType, Selection};
use async_graphql::Request;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use lru::LruCache;

use super::cache::Models;
use crate::ids::WorkspaceId;
use crate::metrics::CacheLookups;

/// The cache's name in the `tuner_cache_lookups_total` metric.
pub const AVAILABLE_MODELS_ANSWERS_CACHE: &str = "available_models_answers";

/// Root fields whose answer depends on nothing but the workspace's list.
const ROOT_FIELDS: [&str; 2] = ["availableModels", "__typename"];

/// How much the cache may hold.
#[derive(Debug, Clone, Copy)]
pub struct AnswerLimits {
    /// Most answers kept.
    pub entries: usize,
    /// Most bytes of answers kept, all together.
    pub bytes: usize,
    /// Largest query text whose answer is kept.
    pub query_bytes: usize,
    /// Largest answer kept.
    pub answer_bytes: usize,
}

impl Default for AnswerLimits {
    fn default() -> Self {
        Self {
            entries: 1_000,
            bytes: 64 * 1024 * 1024,
            query_bytes: 4 * 1024,
            answer_bytes: 4 * 1024 * 1024,
        }
    }
}

/// What an answer is kept under: the workspace, the query text and the operation name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AnswerKey {
    workspace_id: WorkspaceId,
    query: String,
    operation_name: Option<String>,
}

/// What a lookup found.
#[derive(Debug)]
pub enum Lookup {
    /// The answer, still right.
    Answer(Bytes),
    /// Nothing usable: run the operation, then [`AnswerCache::put`] its answer.
    Miss,
    /// The request asks for more than the list: its answers are never kept.
    Never,
}

/// What is kept under a key.
enum Kept {
    Answer {
        /// The list the answer was made from (a weak handle: it keeps no list alive, and
        /// while it exists no other list can take that address).
        models: Weak<Vec<Arc<super::AvailableModel>>>,
        /// When a model of that list retires, making the answer stale.
        until: Option<DateTime<Utc>>,
        answer: Bytes,
    },
    Never,
}

impl Kept {
    fn size(&self) -> usize {
        match self {
            Kept::Answer { answer, .. } => answer.len(),
            Kept::Never => 0,
        }
    }
}

struct State {
    entries: LruCache<AnswerKey, Kept>,
    bytes: usize,
}

/// The kept answers; see the module docs.
pub struct AnswerCache {
    limits: AnswerLimits,
    state: Mutex<State>,
    lookups: CacheLookups,
}

impl AnswerCache {
    /// An empty cache within `limits`, counting hits and misses in `lookups` (a miss is a
    /// cacheable request answered by the engine).
    pub fn new(limits: AnswerLimits, lookups: CacheLookups) -> Self {
        let capacity = NonZeroUsize::new(limits.entries.max(1)).unwrap_or(NonZeroUsize::MIN);
        Self {
            limits,
            state: Mutex::new(State {
                entries: LruCache::new(capacity),
                bytes: 0,
            }),
            lookups,
        }
    }

    /// The key of `request` for the workspace, or `None` when its answer is never kept: its
    /// text does not mention `availableModels` or is long, or it has variables or extensions
    /// (a hash-only persisted query has no text to key on).
    pub fn key(&self, workspace_id: WorkspaceId, request: &Request) -> Option<AnswerKey> {
        let keepable = request.query.contains(ROOT_FIELDS[0])
            && request.variables.is_empty()
            && request.extensions.is_empty()
            && !request.query.is_empty()
            && request.query.len() <= self.limits.query_bytes;
        keepable.then(|| AnswerKey {
            workspace_id,
            query: request.query.clone(),
            operation_name: request.operation_name.clone(),
        })
    }

    /// What is kept under `key`: the answer, if it was made from `models`, the workspace's
    /// list now, and no model of it has retired since; or that the request asks for more
    /// than the list.
    pub fn get(&self, key: &AnswerKey, models: &Models) -> Lookup {
        let mut state = self.lock();
        let found = state.entries.get(key).map(|kept| match kept {
            Kept::Never => Lookup::Never,
            Kept::Answer {
                models: made_from,
                until,
                answer,
            } if std::ptr::eq(made_from.as_ptr(), Arc::as_ptr(models))
                && until.is_none_or(|until| Utc::now() < until) =>
            {
                Lookup::Answer(answer.clone())
            }
            Kept::Answer { .. } => Lookup::Miss,
        });
        match found {
            Some(Lookup::Answer(answer)) => {
                self.lookups.hit();
                Lookup::Answer(answer)
            }
            Some(Lookup::Never) => Lookup::Never,
            stale => {
                if stale.is_some() {
                    state.remove(key);
                }
                self.lookups.miss();
                Lookup::Miss
            }
        }
    }

    /// Keeps `answer`, the engine's error-free answer to the request of `key`, made from
    /// `models` at `made_at` or later, when that request asks for the list alone (and
    /// remembers that it does not, otherwise).
    pub fn put(&self, key: AnswerKey, models: &Models, made_at: DateTime<Utc>, answer: Bytes) {
        if answer.len() > self.limits.answer_bytes {
            return;
        }
        let kept = if asks_only_for_the_list(&key.query, key.operation_name.as_deref()) {
            Kept::Answer {
                models: Arc::downgrade(models),
                until: models
                    .iter()
                    .filter_map(|model| model.retires_at)
                    .filter(|at| *at > made_at)
                    .min(),
                answer,
            }
        } else {
            Kept::Never
        };
        self.lock().insert(key, kept, self.limits.bytes);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent whatever panicked while holding the lock.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl State {
    fn insert(&mut self, key: AnswerKey, kept: Kept, max_bytes: usize) {
        let size = kept.size() + key.query.len();
        self.remove(&key);
        while self.bytes + size > max_bytes {
            match self.entries.pop_lru() {
                Some((old_key, old)) => self.bytes -= old.size() + old_key.query.len(),
                None => return,
            }
        }
        if let Some((old_key, old)) = self.entries.push(key, kept) {
            self.bytes -= old.size() + old_key.query.len();
        }
        self.bytes += size;
    }

    fn remove(&mut self, key: &AnswerKey) {
        if let Some(old) = self.entries.pop(key) {
            self.bytes -= old.size() + key.query.len();
        }
    }
}

/// Whether the operation `operation_name` picks in `query` is a query without variable
/// definitions whose root selection is fields of [`ROOT_FIELDS`] only (no fragments or
/// directives at the root).
fn asks_only_for_the_list(query: &str, operation_name: Option<&str>) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(query) else {
        return false;
    };
    let operation = match (&document.operations, operation_name) {
        (DocumentOperations::Single(operation), None) => operation,
        (DocumentOperations::Multiple(operations), Some(name)) => match operations.get(name) {
            Some(operation) => operation,
            None => return false,
        },
        // One named operation runs without its name being given.
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            match operations.values().next() {
                Some(operation) => operation,
                None => return false,
            }
        }
        _ => return false,
    };
    let operation = &operation.node;
    operation.ty == OperationType::Query
        && operation.variable_definitions.is_empty()
        && operation.directives.is_empty()
        && operation
            .selection_set
            .node
            .items
            .iter()
            .all(|item| match &item.node {
                Selection::Field(field) => {
                    field.node.directives.is_empty()
                        && ROOT_FIELDS.contains(&field.node.name.node.as_str())
                }
                _ => false,
            })
}

impl std::fmt::Debug for AnswerCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("AnswerCache")
            .field("answers", &state.entries.len())
            .field("bytes", &state.bytes)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::custom_model::{self, ModelStatus};
    use crate::ids::TypedId;
    use crate::metrics::Metrics;

    fn list(retires_at: Option<DateTime<Utc>>) -> Models {
        let model = custom_model::Model::example(ModelStatus::Ready);
        Arc::new(vec![Arc::new(super::super::AvailableModel {
            provider_model: "ft:x".to_owned(),
            provider: "openai".to_owned(),
            base_model: model.base_model.clone(),
            chat_base_url: None,
            system_prompt: None,
            trained_at: None,
            rules_changed_since_training: false,
            retires_at,
            model,
        })])
    }

    fn cache(limits: AnswerLimits) -> (AnswerCache, AnswerKey) {
        let cache = AnswerCache::new(limits, Metrics::new().cache("test"));
        let request = Request::new("{ availableModels { name } }");
        let key = cache
            .key(WorkspaceId::generate(), &request)
            .expect("keepable");
        (cache, key)
    }

    fn answer(lookup: Lookup) -> Option<Bytes> {
        match lookup {
            Lookup::Answer(answer) => Some(answer),
            _ => None,
        }
    }

    #[test]
    fn an_answer_serves_its_own_list_until_a_model_of_it_retires() {
        let (cache, key) = cache(AnswerLimits::default());
        let now = Utc::now();
        let lasting = list(Some(now + chrono::Duration::days(30)));
        cache.put(key.clone(), &lasting, now, Bytes::from_static(b"{}"));
        assert_eq!(
            answer(cache.get(&key, &lasting)).as_deref(),
            Some(&b"{}"[..])
        );
        assert!(
            answer(cache.get(&key, &list(None))).is_none(),
            "another list"
        );

        let retiring = list(Some(now - chrono::Duration::seconds(1)));
        let made_at = now - chrono::Duration::hours(1);
        cache.put(key.clone(), &retiring, made_at, Bytes::from_static(b"{}"));
        assert!(
            answer(cache.get(&key, &retiring)).is_none(),
            "retired since"
        );
    }

    #[test]
    fn what_is_kept_stays_within_its_bytes() {
        let limits = AnswerLimits {
            bytes: 200,
            ..AnswerLimits::default()
        };
        let (cache, _) = cache(limits);
        let models = list(None);
        for name in ["a", "b", "c"] {
            let request = Request::new(format!("{{ {name}: availableModels {{ name }} }}"));
            let key = cache
                .key(WorkspaceId::generate(), &request)
                .expect("keepable");
            cache.put(key, &models, Utc::now(), Bytes::from(vec![b' '; 80]));
        }
        let state = cache.lock();
        assert!(state.bytes <= 200, "{} bytes kept", state.bytes);
        assert_eq!(state.entries.len(), 1, "the oldest answers went first");
    }

    #[test]
    fn only_operations_that_ask_for_the_list_alone_qualify() {
        for query in [
            "{ availableModels { id name } }",
            "query Bots { models: availableModels { name systemPrompt } __typename }",
            "{ availableModels { ...M } } fragment M on AvailableModel { name }",
        ] {
            assert!(asks_only_for_the_list(query, None), "{query}");
        }
        for query in [
            "{ availableModels { name } viewer { role } }",
            "query($x: Boolean!) { availableModels @include(if: $x) { name } }",
            "{ ...Q } fragment Q on Query { availableModels { name } }",
            "mutation { availableModels { name } }",
            "subscription { availableModels { name } }",
            "query A { availableModels { name } } query B { availableModels { id } }",
            "{ availableModels { name }",
        ] {
            assert!(!asks_only_for_the_list(query, None), "{query}");
        }
        let named = "query A { availableModels { name } } query B { viewer { role } }";
        assert!(asks_only_for_the_list(named, Some("A")));
        assert!(!asks_only_for_the_list(named, Some("B")));
        assert!(!asks_only_for_the_list(named, None));
    }
}
