//! A cap on the size of one answer. Text that can be large (prompts, responses, rules, system
//! prompts, notes) is returned as [`LargeText`], which charges its length to the request's
//! [`AnswerBudget`] as it is resolved. The first text past the cap fails with a clear error, the
//! rest resolve to nothing, and the request is answered with that error alone: an answer over the
//! cap is never built whole. Everything else in an answer is small and bounded by the query's
//! complexity limit.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use async_graphql::parser::types::Field;
use async_graphql::registry::Registry;
use async_graphql::{
    Context, ContextBase, ContextSelectionSet, OutputType, Positioned, ServerError, ServerResult,
    Value,
};

/// How many bytes of text one answer may still hold. Cloning shares the budget.
#[derive(Clone, Debug)]
pub struct AnswerBudget(Arc<Budget>);

#[derive(Debug)]
struct Budget {
    limit: usize,
    used: AtomicUsize,
    exceeded: AtomicBool,
}

/// What charging text to a budget allows.
#[derive(Debug, PartialEq, Eq)]
enum Charge {
    /// The text fits.
    Fits,
    /// This text is the first that does not fit.
    Overflows,
    /// The budget ran out before; the answer is discarded anyway.
    Spent,
}

impl AnswerBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self(Arc::new(Budget {
            limit,
            used: AtomicUsize::new(0),
            exceeded: AtomicBool::new(false),
        }))
    }

    /// Whether some text did not fit: the answer must be replaced by [`AnswerBudget::error`].
    pub fn exceeded(&self) -> bool {
        self.0.exceeded.load(Ordering::Relaxed)
    }

    /// The most bytes of text one answer may hold.
    pub fn limit(&self) -> usize {
        self.0.limit
    }

    /// Records that the answer cannot fit (found before its text was resolved).
    pub fn mark_exceeded(&self) {
        self.0.exceeded.store(true, Ordering::Relaxed);
    }

    /// Starts over, for the next answer of a subscription.
    pub fn reset(&self) {
        self.0.used.store(0, Ordering::Relaxed);
        self.0.exceeded.store(false, Ordering::Relaxed);
    }

    /// The error that replaces an answer over the cap.
    pub fn error(&self) -> ServerError {
        let mut error = ServerError::new(
            format!(
                "the answer would be larger than {} bytes, the most one answer may hold \
                 (--max-answer-bytes); ask for fewer fields, fewer aliases or a smaller page",
                self.0.limit
            ),
            None,
        );
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", "BAD_USER_INPUT");
        error
    }

    fn charge(&self, bytes: usize) -> Charge {
        if self.exceeded() {
            return Charge::Spent;
        }
        let before = self.0.used.fetch_add(bytes, Ordering::Relaxed);
        if before.saturating_add(bytes) <= self.0.limit {
            return Charge::Fits;
        }
        if self.0.exceeded.swap(true, Ordering::Relaxed) {
            Charge::Spent
        } else {
            Charge::Overflows
        }
    }
}

/// Whether the request's answer has already outgrown its budget (it will be discarded, so
/// there is no point reading more for it).
pub fn spent(ctx: &Context<'_>) -> bool {
    ctx.data_opt::<AnswerBudget>()
        .is_some_and(AnswerBudget::exceeded)
}

/// Text that may be large, shown in the schema as `String`. It counts against the answer's
/// budget when one is in the request's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LargeText<S>(pub S);

impl<S: AsRef<str> + Send + Sync> OutputType for LargeText<S> {
    fn type_name() -> Cow<'static, str> {
        <String as OutputType>::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <String as OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        self.value(ctx, field)
    }
}

impl<S: AsRef<str>> LargeText<S> {
    /// The text as the answer's value for `field`, charged to the request's budget.
    pub fn value<T>(
        &self,
        ctx: &ContextBase<'_, T>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let text = self.0.as_ref();
        let Some(budget) = ctx.data_opt::<AnswerBudget>() else {
            return Ok(Value::String(text.to_owned()));
        };
        match budget.charge(text.len()) {
            Charge::Fits => Ok(Value::String(text.to_owned())),
            Charge::Spent => Ok(Value::String(String::new())),
            Charge::Overflows => {
                let mut error = budget.error();
                error.locations = vec![field.pos];
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fits_until_the_limit_then_overflows_once() {
        let budget = AnswerBudget::new(10);
        assert_eq!(budget.charge(4), Charge::Fits);
        assert_eq!(budget.charge(6), Charge::Fits);
        assert!(!budget.exceeded());
        assert_eq!(budget.charge(1), Charge::Overflows);
        assert!(budget.exceeded());
        assert_eq!(budget.charge(1), Charge::Spent);
    }

    #[test]
    fn a_reset_budget_starts_over() {
        let budget = AnswerBudget::new(3);
        assert_eq!(budget.charge(5), Charge::Overflows);
        budget.reset();
        assert_eq!(budget.charge(3), Charge::Fits);
    }
}
