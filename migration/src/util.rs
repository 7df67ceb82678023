//! Helpers shared by migrations.

use sea_orm_migration::prelude::*;

/// An index named `name` on `table` over the columns `cols`, in order.
pub fn index(
    name: &str,
    table: impl IntoIden + 'static,
    cols: &[&'static str],
) -> IndexCreateStatement {
    let mut index = Index::create().name(name).table(table).to_owned();
    for col in cols {
        index.col(Alias::new(*col));
    }
    index
}
