//! Lists of objects already in memory, answered in one pass. The engine resolves every field of
//! every object as its own future, polled through a set of futures per object: for a page of a
//! hundred blocks with their exchanges that is over a thousand futures for values that are all
//! at hand. A [`PlainList`] of [`PlainObject`]s walks the selection once and builds the answer
//! directly, and gives the whole list back to the engine whenever the selection holds something
//! the walk does not handle (a field that must wait, a directive other than `@skip`/`@include`,
//! which the engine has already applied, a fragment on another type). Both paths give the same
//! answer; `plain_and_engine_answers_agree` in `tests/api/training_blocks/plain_answers.rs`
//! holds them to it.
//!
//! This works with the engine's context types (`with_field`, `with_selection_set`,
//! `set_error_path`), which its generated resolvers use too. The schema registers no engine
//! extension; one that watches every field's resolution would not see these fields.

use std::borrow::Cow;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::resolver_utils::resolve_list;
use async_graphql::{
    Context, ContextSelectionSet, Name, OutputType, Positioned, ServerResult, Value,
};

/// What a plain field resolves to: its value, or `None` when it needs the engine.
pub type PlainField = Option<ServerResult<Value>>;

/// An object whose fields are all in memory.
pub trait PlainObject: OutputType {
    /// The value of the field `ctx.item` names (never `__typename`), or `None` when this field
    /// must be resolved by the engine; the whole list then is.
    fn plain_field(&self, ctx: &Context<'_>) -> PlainField;
}

/// A list whose items are answered in one pass when the selection allows it. The same GraphQL
/// type as `Vec<T>`.
pub struct PlainList<T>(pub Vec<T>);

impl<T: PlainObject + Send + Sync> OutputType for PlainList<T> {
    fn type_name() -> Cow<'static, str> {
        <Vec<T> as OutputType>::type_name()
    }

    fn qualified_type_name() -> String {
        <Vec<T> as OutputType>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <Vec<T> as OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        if let Some(answer) = list(ctx, &self.0) {
            return answer;
        }
        resolve_list(ctx, field, &self.0, Some(self.0.len())).await
    }
}

/// The value of a list of plain objects for the selection `ctx.item`.
pub fn list<T: PlainObject>(ctx: &ContextSelectionSet<'_>, items: &[T]) -> PlainField {
    let mut values = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let ctx = ctx.with_index(index);
        match object(&ctx, item)? {
            Ok(value) => values.push(value),
            Err(error) => return Some(Err(error)),
        }
    }
    Some(Ok(Value::List(values)))
}

/// The value of a plain object for the selection of the field `ctx.item`: its sub-selection.
pub fn field_object<T: PlainObject>(ctx: &Context<'_>, item: &T) -> PlainField {
    object(&ctx.with_selection_set(&ctx.item.node.selection_set), item)
}

/// The value of a list of plain objects for the selection of the field `ctx.item`.
pub fn field_list<T: PlainObject>(ctx: &Context<'_>, items: &[T]) -> PlainField {
    list(&ctx.with_selection_set(&ctx.item.node.selection_set), items)
}

/// The value of one plain object for the selection `ctx.item`.
fn object<T: PlainObject>(ctx: &ContextSelectionSet<'_>, item: &T) -> PlainField {
    let mut fields = IndexMap::with_capacity(ctx.item.node.items.len());
    match collect(ctx, ctx.item, item, &mut fields)? {
        Ok(()) => Some(Ok(Value::Object(fields))),
        Err(error) => Some(Err(error)),
    }
}

/// Adds the fields of `selection` to `fields`, following fragments on `T`'s own type.
fn collect<T: PlainObject>(
    ctx: &ContextSelectionSet<'_>,
    selection: &Positioned<SelectionSet>,
    item: &T,
    fields: &mut IndexMap<Name, Value>,
) -> Option<ServerResult<()>> {
    for selected in &selection.node.items {
        let fragment = match &selected.node {
            Selection::Field(field) => {
                if !field.node.directives.is_empty() {
                    return None;
                }
                let key = &field.node.response_key().node;
                if fields.contains_key(key) {
                    // The same key twice is the same field (validation makes sure): a leaf is
                    // already answered, an object's two selections would have to be merged.
                    if field.node.selection_set.node.items.is_empty() {
                        continue;
                    }
                    return None;
                }
                let value = if field.node.name.node == "__typename" {
                    Value::String(T::type_name().into_owned())
                } else {
                    let ctx = ctx.with_field(field);
                    match item.plain_field(&ctx)? {
                        Ok(value) => value,
                        Err(error) => return Some(Err(ctx.set_error_path(error))),
                    }
                };
                fields.insert(key.clone(), value);
                continue;
            }
            Selection::InlineFragment(fragment) => {
                let on = fragment.node.type_condition.as_ref();
                (
                    on.map(|on| on.node.on.node.as_str()),
                    &fragment.node.directives,
                    &fragment.node.selection_set,
                )
            }
            Selection::FragmentSpread(spread) => {
                let definition = ctx
                    .query_env
                    .fragments
                    .get(&spread.node.fragment_name.node)?;
                if !spread.node.directives.is_empty() {
                    return None;
                }
                (
                    Some(definition.node.type_condition.node.on.node.as_str()),
                    &definition.node.directives,
                    &definition.node.selection_set,
                )
            }
        };
        let (on, directives, selection_set) = fragment;
        if !directives.is_empty() || on.is_some_and(|on| on != T::type_name()) {
            return None;
        }
        if let Err(error) = collect(ctx, selection_set, item, fields)? {
            return Some(Err(error));
        }
    }
    Some(Ok(()))
}
