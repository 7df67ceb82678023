//! The size of a query document once its fragments are expanded, computed before validation in
//! time linear in the document: each fragment is measured once and remembered, so a "fragment
//! bomb" (fragments that each spread the previous one twice) costs no more than its text.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::Name;

/// Why a document is refused before it is validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Oversized {
    /// More field selections than allowed once fragments are expanded.
    TooManyFields { limit: usize },
    /// Selection sets and fragments nested deeper than allowed.
    TooDeep { limit: usize },
    /// A fragment that spreads itself, directly or through others.
    FragmentCycle { fragment: String },
}

impl Oversized {
    /// What the client is told.
    pub fn message(&self) -> String {
        match self {
            Self::TooManyFields { limit } => format!(
                "the query is too complex: it selects more than {limit} fields once its fragments \
                 are expanded (aliases and __typename count); ask for fewer fields or split it"
            ),
            Self::TooDeep { limit } => {
                format!("the query nests selections and fragments more than {limit} levels deep")
            }
            Self::FragmentCycle { fragment } => {
                let fragment = crate::error::excerpt(fragment);
                format!("fragment {fragment} spreads itself")
            }
        }
    }
}

/// Limits a document must keep to.
#[derive(Debug, Clone, Copy)]
pub struct SizeLimits {
    /// Most field selections after fragment expansion, over all operations.
    pub max_fields: usize,
    /// Deepest nesting of selection sets, fragment spreads and inline fragments.
    pub max_nesting: usize,
}

/// Checks `document` against `limits`; returns the number of field selections it expands to.
pub fn check(document: &ExecutableDocument, limits: SizeLimits) -> Result<usize, Oversized> {
    let mut measure = Measure {
        document,
        limits,
        fragments: HashMap::new(),
    };
    let mut total = 0usize;
    for (_, operation) in document.operations.iter() {
        let size = measure.selection_set(&operation.node.selection_set.node, 0)?;
        total = total.saturating_add(size.fields);
        if total > limits.max_fields {
            return Err(Oversized::TooManyFields {
                limit: limits.max_fields,
            });
        }
    }
    Ok(total)
}

/// What a selection set or fragment expands to.
#[derive(Debug, Clone, Copy, Default)]
struct Size {
    /// Field selections, saturating.
    fields: usize,
    /// Levels of nesting below it.
    height: usize,
}

/// A fragment's measure, or the mark that it is being measured (a spread of it then is a cycle).
#[derive(Debug, Clone, Copy)]
enum Fragment {
    InProgress,
    Measured(Size),
}

struct Measure<'a> {
    document: &'a ExecutableDocument,
    limits: SizeLimits,
    fragments: HashMap<&'a Name, Fragment>,
}

impl<'a> Measure<'a> {
    /// Measures a selection set found `depth` levels down. Recursion is bounded: it stops with
    /// `TooDeep` past the nesting limit, and each fragment is entered once.
    fn selection_set(&mut self, set: &'a SelectionSet, depth: usize) -> Result<Size, Oversized> {
        if depth > self.limits.max_nesting {
            return Err(Oversized::TooDeep {
                limit: self.limits.max_nesting,
            });
        }
        let mut size = Size::default();
        for selection in &set.items {
            let inner = match &selection.node {
                Selection::Field(field) => {
                    let children = &field.node.selection_set.node;
                    let below = if children.items.is_empty() {
                        Size::default()
                    } else {
                        let below = self.selection_set(children, depth + 1)?;
                        Size {
                            fields: below.fields,
                            height: below.height + 1,
                        }
                    };
                    Size {
                        fields: below.fields.saturating_add(1),
                        height: below.height,
                    }
                }
                Selection::FragmentSpread(spread) => {
                    self.fragment(&spread.node.fragment_name.node, depth + 1)?
                }
                Selection::InlineFragment(inline) => {
                    let below = self.selection_set(&inline.node.selection_set.node, depth + 1)?;
                    Size {
                        fields: below.fields,
                        height: below.height + 1,
                    }
                }
            };
            size.fields = size.fields.saturating_add(inner.fields);
            size.height = size.height.max(inner.height);
            if size.fields > self.limits.max_fields {
                return Err(Oversized::TooManyFields {
                    limit: self.limits.max_fields,
                });
            }
        }
        Ok(size)
    }

    /// Measures a fragment spread whose body sits `depth` levels down, once per fragment.
    fn fragment(&mut self, name: &'a Name, depth: usize) -> Result<Size, Oversized> {
        let body = match self.fragments.get(name) {
            Some(Fragment::Measured(size)) => *size,
            Some(Fragment::InProgress) => {
                return Err(Oversized::FragmentCycle {
                    fragment: name.to_string(),
                })
            }
            None => {
                // Validation reports an unknown fragment.
                let Some(definition) = self.document.fragments.get(name) else {
                    return Ok(Size::default());
                };
                self.fragments.insert(name, Fragment::InProgress);
                let body = self.selection_set(&definition.node.selection_set.node, depth)?;
                self.fragments.insert(name, Fragment::Measured(body));
                body
            }
        };
        // Measured once, a fragment may be spread again deeper than where it was first found.
        if depth + body.height > self.limits.max_nesting {
            return Err(Oversized::TooDeep {
                limit: self.limits.max_nesting,
            });
        }
        Ok(Size {
            fields: body.fields,
            height: body.height + 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    const LIMITS: SizeLimits = SizeLimits {
        max_fields: 5_000,
        max_nesting: 64,
    };

    fn measure(query: &str) -> Result<usize, Oversized> {
        let document = parse_query(query).expect("query parses");
        check(&document, LIMITS)
    }

    /// `levels` fragments, each spreading the previous one twice, over `leaf`.
    fn fragment_bomb(levels: usize, leaf: &str) -> String {
        let mut query = format!("query {{ ...F{levels} }} fragment F0 on Query {{ {leaf} }} ");
        for level in 1..=levels {
            let previous = level - 1;
            query.push_str(&format!(
                "fragment F{level} on Query {{ ...F{previous} ...F{previous} }} "
            ));
        }
        query
    }

    #[test]
    fn fields_are_counted_with_aliases_typename_and_nesting() {
        let query = "{ a: viewer { role } b: viewer { role __typename } __typename }";
        assert_eq!(measure(query), Ok(6));
    }

    #[test]
    fn a_fragment_counts_once_per_spread() {
        let query = "{ viewer { ...V } other: viewer { ...V } } fragment V on Viewer { role name }";
        assert_eq!(measure(query), Ok(6));
    }

    #[test]
    fn a_fragment_bomb_is_refused_without_expanding_it() {
        // 2^60 fields: expanding it would never finish.
        let query = fragment_bomb(60, "__typename");
        assert_eq!(
            measure(&query),
            Err(Oversized::TooManyFields { limit: 5_000 })
        );
    }

    #[test]
    fn a_small_fragment_tree_passes() {
        // 2^12 = 4,096 fields.
        assert_eq!(measure(&fragment_bomb(12, "__typename")), Ok(4_096));
        assert!(measure(&fragment_bomb(13, "__typename")).is_err());
    }

    #[test]
    fn a_long_chain_of_fragments_is_too_deep_not_a_stack_overflow() {
        let mut query = String::from("{ ...F10000 } fragment F0 on Query { __typename } ");
        for level in 1..=10_000 {
            query.push_str(&format!(
                "fragment F{level} on Query {{ ...F{} }} ",
                level - 1
            ));
        }
        assert_eq!(measure(&query), Err(Oversized::TooDeep { limit: 64 }));
    }

    #[test]
    fn a_deep_fragment_spread_at_depth_is_too_deep() {
        // Each level nests one field and one spread: 2 levels per fragment.
        let mut query = String::from("{ ...F40 } fragment F0 on Query { __typename } ");
        for level in 1..=40 {
            query.push_str(&format!(
                "fragment F{level} on Query {{ viewer {{ ...F{} }} }} ",
                level - 1
            ));
        }
        assert_eq!(measure(&query), Err(Oversized::TooDeep { limit: 64 }));
    }

    #[test]
    fn a_fragment_cycle_is_named() {
        let query = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
        assert!(matches!(
            measure(query),
            Err(Oversized::FragmentCycle { .. })
        ));
    }

    #[test]
    fn every_operation_counts() {
        let query = "query A { __typename } query B { x: __typename y: __typename }";
        assert_eq!(measure(query), Ok(3));
    }
}
