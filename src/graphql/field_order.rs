//! Puts the keys of an answer in the order the query asked for them, as GraphQL requires. The
//! engine resolves sibling fields concurrently and keeps them in the order they finish; clients
//! that compare or cache answers byte for byte need the order of the query.

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, Value};

/// Deepest plan built; the document check refuses anything deeper long before.
const MAX_PLAN_DEPTH: usize = 128;

/// The response keys of one selection, in query order, each with the plan of its own selection
/// (fields without a selection have none).
#[derive(Debug, Default)]
pub struct OrderPlan {
    keys: Vec<(Name, Option<OrderPlan>)>,
}

impl OrderPlan {
    /// The plan of the operation `operation_name` picks in `document` (none when there is no
    /// such operation: the engine reports that).
    pub fn of(document: &ExecutableDocument, operation_name: Option<&str>) -> Option<Self> {
        let operation = operation(document, operation_name)?;
        Some(plan(document, &[&operation.selection_set.node], 0))
    }

    /// Reorders `value`, an answer to the selection this plan describes.
    pub fn apply(&self, value: &mut Value) {
        match value {
            Value::Object(map) if self.is_order_of(map) => {
                // Already in order (the usual case): only the children may need it, and the
                // keys pair up with the plan's without a lookup.
                for ((_, child), item) in self.keys.iter().zip(map.values_mut()) {
                    if let Some(child) = child {
                        child.apply(item);
                    }
                }
            }
            Value::Object(map) => {
                let mut old = std::mem::take(map);
                let mut ordered = IndexMap::with_capacity(old.len());
                for (key, child) in &self.keys {
                    if let Some(mut item) = old.swap_remove(key) {
                        if let Some(child) = child {
                            child.apply(&mut item);
                        }
                        ordered.insert(key.clone(), item);
                    }
                }
                // Keys the plan does not know (none are expected) keep their place at the end.
                ordered.extend(old);
                *map = ordered;
            }
            Value::List(items) => items.iter_mut().for_each(|item| self.apply(item)),
            _ => {}
        }
    }

    /// Whether the keys of `map` are exactly this plan's, in its order.
    fn is_order_of(&self, map: &IndexMap<Name, Value>) -> bool {
        map.len() == self.keys.len()
            && map
                .keys()
                .zip(&self.keys)
                .all(|(have, (want, _))| have == want)
    }
}

fn operation<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    match (&document.operations, name) {
        (DocumentOperations::Single(operation), _) => Some(&operation.node),
        (DocumentOperations::Multiple(operations), Some(name)) => {
            operations.get(name).map(|operation| &operation.node)
        }
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next().map(|operation| &operation.node)
        }
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// The plan of the merged selection sets `sets` (one response key may be selected in several).
fn plan(document: &ExecutableDocument, sets: &[&SelectionSet], depth: usize) -> OrderPlan {
    let mut fields: IndexMap<&Name, Vec<&SelectionSet>> = IndexMap::new();
    for set in sets {
        collect(document, set, &mut fields, depth);
    }
    let keys = fields
        .into_iter()
        .map(|(key, children)| {
            let child = (!children.is_empty() && depth < MAX_PLAN_DEPTH)
                .then(|| plan(document, &children, depth + 1));
            (key.clone(), child)
        })
        .collect();
    OrderPlan { keys }
}

/// Adds the fields of `set` to `fields` in query order, fragments expanded in place.
fn collect<'a>(
    document: &'a ExecutableDocument,
    set: &'a SelectionSet,
    fields: &mut IndexMap<&'a Name, Vec<&'a SelectionSet>>,
    depth: usize,
) {
    if depth > MAX_PLAN_DEPTH {
        return;
    }
    for selection in &set.items {
        match &selection.node {
            Selection::Field(Positioned { node: field, .. }) => {
                let children = fields.entry(&field.response_key().node).or_default();
                if !field.selection_set.node.items.is_empty() {
                    children.push(&field.selection_set.node);
                }
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node) {
                    collect(
                        document,
                        &fragment.node.selection_set.node,
                        fields,
                        depth + 1,
                    );
                }
            }
            Selection::InlineFragment(inline) => {
                collect(document, &inline.node.selection_set.node, fields, depth + 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use serde_json::json;

    use super::*;

    fn reorder(query: &str, answer: serde_json::Value) -> String {
        let document = parse_query(query).expect("parses");
        let plan = OrderPlan::of(&document, None).expect("operation");
        let mut value = Value::from_json(answer).expect("value");
        plan.apply(&mut value);
        serde_json::to_string(&value).expect("json")
    }

    #[test]
    fn keys_follow_the_query_through_lists_aliases_and_fragments() {
        let query = "{ page { edges { node { ...N } } pageInfo { end } total } b: x a: x } \
                     fragment N on Node { id ... on Node { name } }";
        let answer = json!({
            "a": 1, "b": 2,
            "page": { "total": 3, "pageInfo": { "end": "e" },
                      "edges": [{ "node": { "name": "n", "id": "1" } }] }
        });
        assert_eq!(
            reorder(query, answer),
            r#"{"page":{"edges":[{"node":{"id":"1","name":"n"}}],"pageInfo":{"end":"e"},"total":3},"b":2,"a":1}"#
        );
    }

    #[test]
    fn children_are_ordered_under_parents_already_in_order() {
        let answer = json!({ "a": { "y": 2, "x": 1 }, "b": [{ "d": 4, "c": 3 }] });
        assert_eq!(
            reorder("{ a { x y } b { c d } }", answer),
            r#"{"a":{"x":1,"y":2},"b":[{"c":3,"d":4}]}"#
        );
    }

    #[test]
    fn absent_keys_are_skipped_and_unknown_ones_kept_last() {
        let answer = json!({ "z": 0, "c": 3, "a": 1 });
        assert_eq!(reorder("{ a b c }", answer), r#"{"a":1,"c":3,"z":0}"#);
    }
}
