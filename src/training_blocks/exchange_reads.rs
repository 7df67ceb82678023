//! Reading the exchanges of many blocks with one statement, served by the exchange table's
//! primary key `(block_id, position)`: only the rows of the blocks asked for are touched, never
//! another workspace's.

use sea_orm::sea_query::extension::postgres::PgFunc;
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, SelectGetableTuple,
    Selector,
};
use uuid::Uuid;

use crate::entities::exchange;
use crate::ids::{BlockId, TypedId};

/// One exchange as read: its block, prompt and response (the position only orders the rows).
pub type ExchangeRow = (BlockId, String, String);

/// The exchanges of `ids` on `backend`, by block and then in conversation order.
pub fn of_blocks(backend: DbBackend, ids: &[BlockId]) -> Selector<SelectGetableTuple<ExchangeRow>> {
    exchange::Entity::find()
        .select_only()
        .columns([
            exchange::Column::BlockId,
            exchange::Column::Prompt,
            exchange::Column::Response,
        ])
        .filter(block_is_one_of(backend, ids))
        .order_by_asc(exchange::Column::BlockId)
        .order_by_asc(exchange::Column::Position)
        .into_tuple()
}

/// `block_id` is one of `ids`. On Postgres, one array parameter (`block_id = ANY($1)`): the
/// statement's text is the same for any number of blocks, so its prepared plan is reused instead
/// of planning a list of up to a hundred parameters on every call. SQLite cannot bind arrays, and
/// plans its statements cheaply: it keeps `IN (...)`.
fn block_is_one_of(backend: DbBackend, ids: &[BlockId]) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => {
            let uuids: Vec<Uuid> = ids.iter().map(|id| id.uuid()).collect();
            Expr::col((exchange::Entity, exchange::Column::BlockId))
                .eq(PgFunc::any(Expr::val(uuids)))
        }
        _ => exchange::Column::BlockId.is_in(ids.iter().copied()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(backend: DbBackend, ids: &[BlockId]) -> String {
        let statement = of_blocks(backend, ids).into_statement(backend);
        let values = statement.values.map(|v| v.0.len()).unwrap_or_default();
        format!("{} -- {values} values", statement.sql)
    }

    #[test]
    fn postgres_binds_one_array_whatever_the_number_of_blocks() {
        let few: Vec<BlockId> = (0..2).map(|_| BlockId::generate()).collect();
        let many: Vec<BlockId> = (0..100).map(|_| BlockId::generate()).collect();
        let statement = sql(DbBackend::Postgres, &many);
        assert_eq!(statement, sql(DbBackend::Postgres, &few));
        assert!(statement.contains("= ANY($1)"), "{statement}");
        assert!(statement.ends_with("-- 1 values"), "{statement}");
        assert!(
            !statement.contains("\"position\", "),
            "reads only what answers need: {statement}"
        );
    }

    #[test]
    fn sqlite_lists_the_blocks() {
        let ids: Vec<BlockId> = (0..3).map(|_| BlockId::generate()).collect();
        let statement = sql(DbBackend::Sqlite, &ids);
        assert!(statement.contains("IN (?, ?, ?)"), "{statement}");
        assert!(statement.ends_with("-- 3 values"), "{statement}");
    }
}
