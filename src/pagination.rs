//! Relay-style keyset pagination over UUIDv7 ids: argument checks, opaque cursors, page fetch.

use base64::Engine;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select, Statement,
};
use uuid::Uuid;

use crate::error::{Error, Result};

/// Page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: u64 = 50;
/// Largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 500;

const CURSOR_TAG: &str = "c1:";
/// The column that carries a page's total, when counted with the page.
const PAGE_TOTAL: &str = "page_total";

/// The Relay arguments as the client sent them.
#[derive(Debug, Default, Clone)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

/// Checked arguments: a window `(after, before)` and how many to take from which end.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub limit: u64,
    pub after: Option<Uuid>,
    pub before: Option<Uuid>,
    /// Take the last `limit` rows of the window instead of the first.
    pub from_end: bool,
}

/// One page of rows, oldest first.
#[derive(Debug)]
pub struct Page<M> {
    pub items: Vec<M>,
    pub has_previous: bool,
    pub has_next: bool,
    /// The number of rows across every page, when fetched with [`fetch_with_total`].
    pub total: Option<u64>,
}

/// Whether a page is fetched with the number of rows across every page.
#[derive(Debug, Clone, Copy)]
enum Total {
    Skip,
    Count,
}

impl PageRequest {
    /// Checks the client's arguments.
    pub fn parse(args: &PageArgs) -> Result<Self> {
        if args.first.is_some() && args.last.is_some() {
            return Err(Error::bad_input(
                "first",
                "pass either first or last, not both",
            ));
        }
        let from_end = args.last.is_some();
        let limit = match (args.first, args.last) {
            (Some(n), _) => size("first", n)?,
            (_, Some(n)) => size("last", n)?,
            _ => DEFAULT_PAGE_SIZE,
        };
        Ok(Self {
            limit,
            after: args
                .after
                .as_deref()
                .map(|c| decode_cursor("after", c))
                .transpose()?,
            before: args
                .before
                .as_deref()
                .map(|c| decode_cursor("before", c))
                .transpose()?,
            from_end,
        })
    }
}

fn size(field: &str, n: i32) -> Result<u64> {
    match u64::try_from(n) {
        Ok(n) if n <= MAX_PAGE_SIZE => Ok(n),
        Ok(_) => Err(Error::bad_input(
            field,
            format!("{field} may be at most {MAX_PAGE_SIZE}"),
        )),
        Err(_) => Err(Error::bad_input(
            field,
            format!("{field} must not be negative"),
        )),
    }
}

/// What a page adds to a query's complexity: its selection counted once per row it may return,
/// so that a query cannot fetch unbounded rows by repeating a large page under aliases.
pub fn page_complexity(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let rows = first.or(last).map_or(DEFAULT_PAGE_SIZE, |n| {
        u64::try_from(n).unwrap_or(0).min(MAX_PAGE_SIZE)
    });
    child_complexity.saturating_mul(usize::try_from(rows.max(1)).unwrap_or(usize::MAX))
}

/// The opaque cursor of the row with this id.
pub fn encode_cursor(id: impl std::fmt::Display) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{CURSOR_TAG}{id}"))
}

fn decode_cursor(field: &str, cursor: &str) -> Result<Uuid> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| {
            text.strip_prefix(CURSOR_TAG)
                .and_then(|id| Uuid::try_parse(id).ok())
        })
        .ok_or_else(|| {
            Error::bad_input(
                field,
                format!("{field} is not a cursor this API returned: {cursor:?}"),
            )
        })
}

/// Which way rows run through the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Ascending ids: the oldest row first.
    OldestFirst,
    /// Descending ids: the newest row first.
    NewestFirst,
}

/// Fetches one page of `select` ordered by `id` (a UUIDv7 column), oldest first. Costs one
/// statement, plus one to learn whether rows exist beyond a cursor on the side the page does not
/// extend to.
pub async fn fetch<E, C>(
    db: &C,
    select: Select<E>,
    id: E::Column,
    request: &PageRequest,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    fetch_page(db, select, id, request, Order::OldestFirst, Total::Skip).await
}

/// [`fetch`], with the number of rows `select` holds across every page in [`Page::total`]. The
/// page's statement counts them too (an uncorrelated subquery, run once): a page and its total
/// cost one round trip. Only an empty page, which has no row to carry the total, counts apart.
pub async fn fetch_with_total<E, C>(
    db: &C,
    select: Select<E>,
    id: E::Column,
    request: &PageRequest,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    fetch_page(db, select, id, request, Order::OldestFirst, Total::Count).await
}

/// Fetches one page of `select` ordered by `id` in `order`; `after` and `before` cursors and
/// `hasPreviousPage`/`hasNextPage` follow that order.
pub async fn fetch_in_order<E, C>(
    db: &C,
    select: Select<E>,
    id: E::Column,
    request: &PageRequest,
    order: Order,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    fetch_page(db, select, id, request, order, Total::Skip).await
}

async fn fetch_page<E, C>(
    db: &C,
    select: Select<E>,
    id: E::Column,
    request: &PageRequest,
    order: Order,
    total: Total,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let newest_first = order == Order::NewestFirst;
    // "Beyond" a cursor is what comes after it in page order.
    let beyond = |cursor: Uuid| {
        if newest_first {
            id.lt(cursor)
        } else {
            id.gt(cursor)
        }
    };
    let short_of = |cursor: Uuid| {
        if newest_first {
            id.gt(cursor)
        } else {
            id.lt(cursor)
        }
    };
    let mut window = select.clone();
    if let Some(after) = request.after {
        window = window.filter(beyond(after));
    }
    if let Some(before) = request.before {
        window = window.filter(short_of(before));
    }
    let ordered = if request.from_end != newest_first {
        window.order_by_desc(id)
    } else {
        window.order_by_asc(id)
    };
    let (mut items, total) = match total {
        Total::Skip => (first_rows(db, ordered, request.limit + 1).await?, None),
        Total::Count => {
            let counting = select.clone().select_only().column_as(id.count(), "n");
            let (items, total) =
                first_rows_counted(db, ordered, request.limit + 1, counting.clone()).await?;
            let total = match total {
                Some(total) => total,
                None => counting
                    .into_tuple::<i64>()
                    .one(db)
                    .await?
                    .map_or(0, count_of),
            };
            (items, Some(total))
        }
    };
    let more = items.len() as u64 > request.limit;
    items.truncate(request.limit as usize);
    if request.from_end {
        items.reverse();
        let has_next = match request.before {
            Some(before) => {
                exists(
                    db,
                    select.filter(Condition::all().add(short_of(before)).not()),
                )
                .await?
            }
            None => false,
        };
        return Ok(Page {
            items,
            has_previous: more,
            has_next,
            total,
        });
    }
    let has_previous = match request.after {
        Some(after) => exists(db, select.filter(Condition::all().add(beyond(after)).not())).await?,
        None => false,
    };
    Ok(Page {
        items,
        has_previous,
        has_next: more,
        total,
    })
}

async fn exists<E: EntityTrait, C: ConnectionTrait>(db: &C, select: Select<E>) -> Result<bool> {
    Ok(!first_rows(db, select, 1).await?.is_empty())
}

/// The first `limit` rows of `select`, with the limit written into the statement's text instead
/// of bound as a parameter. Postgres plans a prepared statement whose LIMIT is a parameter again
/// on every call (each plan for a known limit looks cheaper than a generic one); with the number
/// in the text, it settles on one generic plan per page size and reuses it.
async fn first_rows<E: EntityTrait, C: ConnectionTrait>(
    db: &C,
    select: Select<E>,
    limit: u64,
) -> Result<Vec<E::Model>> {
    let statement = with_limit_in_text(select, db.get_database_backend(), limit);
    Ok(E::find().from_raw_sql(statement).all(db).await?)
}

/// Like [`first_rows`], with the number of rows `counting` finds (a `SELECT COUNT(..)` of one
/// column) read by the same statement; `None` when no row came back to carry it.
async fn first_rows_counted<E: EntityTrait, C: ConnectionTrait>(
    db: &C,
    select: Select<E>,
    limit: u64,
    counting: Select<E>,
) -> Result<(Vec<E::Model>, Option<u64>)> {
    let total = Expr::SubQuery(None, Box::new(counting.into_query().into()));
    let select = select.expr_as(total, PAGE_TOTAL);
    let statement = with_limit_in_text(select, db.get_database_backend(), limit);
    let rows = db.query_all_raw(statement).await?;
    let total = match rows.first() {
        Some(row) => Some(count_of(row.try_get("", PAGE_TOTAL)?)),
        None => None,
    };
    let items = rows
        .iter()
        .map(|row| E::Model::from_query_result(row, ""))
        .collect::<std::result::Result<_, _>>()?;
    Ok((items, total))
}

/// A `COUNT` as read.
fn count_of(count: i64) -> u64 {
    u64::try_from(count).unwrap_or_default()
}

fn with_limit_in_text<E: EntityTrait>(
    select: Select<E>,
    backend: DbBackend,
    limit: u64,
) -> Statement {
    let mut statement = select.build(backend);
    statement.sql.push_str(&format!(" LIMIT {limit}"));
    statement
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let id = Uuid::now_v7();
        assert_eq!(decode_cursor("after", &encode_cursor(id)).ok(), Some(id));
    }

    #[test]
    fn the_limit_is_part_of_the_statement_text() {
        use crate::entities::training_block;
        let select = training_block::Entity::find()
            .filter(training_block::Column::Id.gt(Uuid::nil()))
            .order_by_asc(training_block::Column::Id);
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            let statement = with_limit_in_text(select.clone(), backend, 101);
            assert!(statement
                .sql
                .ends_with(" ORDER BY \"training_block\".\"id\" ASC LIMIT 101"));
            let values = statement.values.map(|v| v.0.len()).unwrap_or_default();
            assert_eq!(values, 1, "only the id is bound: {}", statement.sql);
        }
    }

    #[test]
    fn bad_arguments_are_refused() {
        let bad = |args: PageArgs| PageRequest::parse(&args).is_err();
        assert!(bad(PageArgs {
            first: Some(501),
            ..Default::default()
        }));
        assert!(bad(PageArgs {
            last: Some(-1),
            ..Default::default()
        }));
        assert!(bad(PageArgs {
            first: Some(1),
            last: Some(1),
            ..Default::default()
        }));
        assert!(bad(PageArgs {
            after: Some("nope".into()),
            ..Default::default()
        }));
        assert!(!bad(PageArgs {
            first: Some(500),
            ..Default::default()
        }));
    }
}
