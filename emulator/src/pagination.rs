//! Cursor pagination over newest-first lists: `after` is the id of the last item already seen.

use crate::error::{ApiError, ApiResult};

/// Items that can be paged by id.
pub trait HasId {
    fn id(&self) -> &str;
}

impl<T: HasId> HasId for &T {
    fn id(&self) -> &str {
        (**self).id()
    }
}

/// The page of `items` following `after` (older items, as lists are newest first), and whether
/// more items follow it.
pub fn page<'a, T: HasId>(
    items: &'a [T],
    after: Option<&str>,
    limit: usize,
) -> ApiResult<(&'a [T], bool)> {
    let start = match after {
        None => 0,
        Some(after) => items
            .iter()
            .position(|item| item.id() == after)
            .map(|index| index + 1)
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "No item with id '{after}' in this list to page after."
                ))
                .param("after")
            })?,
    };
    let end = start.saturating_add(limit).min(items.len());
    Ok((&items[start..end], end < items.len()))
}
