//! The query plans Postgres picks for a page of blocks with their exchanges, on a database that
//! holds several workspaces: every statement of the page reaches its rows through an index
//! scoped to the workspace or to the page's blocks, never by scanning a whole table.

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value as SqlValue};
use serde_json::json;

use crate::harness::TestApp;

/// Workspaces in the database, the test's own among them.
const WORKSPACES: usize = 3;
/// Blocks in each workspace, each with two exchanges.
const BLOCKS: usize = 2_000;

const PAGE: &str = "{ trainingBlocks(first: 100) { edges { node { id status tag \
    exchanges { prompt response } } } pageInfo { hasNextPage endCursor } totalCount } }";

/// Fills every workspace with [`BLOCKS`] blocks, in bulk, then lets Postgres gather its
/// statistics and visibility map as autovacuum would.
async fn fill(app: &TestApp) {
    for index in 1..WORKSPACES {
        app.other_workspace(&format!("tenant-{index}")).await;
    }
    let statements = [
        format!(
            "INSERT INTO training_block (id, workspace_id, status, created_at, updated_at) \
             SELECT gen_random_uuid(), w.id, 'not_trained', now(), now() \
             FROM workspace w, generate_series(1, {BLOCKS})"
        ),
        "INSERT INTO exchange (block_id, position, prompt, response) \
         SELECT b.id, p, 'How do I ' || repeat('return an item ', 12) || p, \
                'You can ' || repeat('send it back within thirty days ', 10) \
         FROM training_block b, generate_series(0, 1) p"
            .to_owned(),
        "VACUUM ANALYZE".to_owned(),
    ];
    for sql in statements {
        app.db.execute_unprepared(&sql).await.expect(&sql);
    }
}

/// Postgres' plan for `statement` with its values bound.
async fn plan(app: &TestApp, statement: &Statement) -> String {
    let explain = Statement {
        sql: format!("EXPLAIN {}", statement.sql),
        ..statement.clone()
    };
    let rows = app.db.query_all_raw(explain).await.expect("explain");
    lines(&rows)
}

fn lines(rows: &[sea_orm::QueryResult]) -> String {
    let lines: Vec<String> = rows
        .iter()
        .map(|row| row.try_get::<String>("", "QUERY PLAN").expect("plan line"))
        .collect();
    lines.join("\n")
}

/// The plan Postgres keeps for the prepared exchanges statement once it stops planning each
/// call anew (a generic plan, which knows nothing of the array it will be given).
async fn generic_plan(app: &TestApp, statement: &Statement) -> String {
    let Some(SqlValue::Array(_, Some(ids))) = statement.values.as_ref().map(|v| &v.0[0]) else {
        panic!("the exchanges statement binds one array: {statement:?}");
    };
    let ids: Vec<String> = ids
        .iter()
        .map(|id| match id {
            SqlValue::Uuid(Some(uuid)) => uuid.to_string(),
            other => panic!("a block id, not {other:?}"),
        })
        .collect();
    let prepare = format!("PREPARE page_exchanges AS {}", statement.sql);
    let txn = sea_orm::TransactionTrait::begin(&app.db)
        .await
        .expect("begin");
    txn.execute_unprepared(&prepare).await.expect("prepare");
    txn.execute_unprepared("SET LOCAL plan_cache_mode = force_generic_plan")
        .await
        .expect("generic plans");
    let explain = format!("EXPLAIN EXECUTE page_exchanges('{{{}}}')", ids.join(","));
    let rows = txn
        .query_all_raw(Statement::from_string(DbBackend::Postgres, explain))
        .await
        .expect("explain execute");
    txn.rollback().await.expect("rollback");
    lines(&rows)
}

#[tokio::test]
async fn a_page_with_exchanges_reads_no_other_workspaces_rows_on_postgres() {
    let app = TestApp::spawn().await;
    if !app.database_url.starts_with("postgres") {
        // Query plans are Postgres'; on SQLite the same statements run in the other tests.
        return;
    }
    fill(&app).await;
    let (data, statements) = app.recorded(PAGE).await;
    let page = &data["trainingBlocks"];
    assert_eq!(page["totalCount"], json!(BLOCKS));
    let edges = page["edges"].as_array().expect("edges");
    assert_eq!(edges.len(), 100);
    assert!(edges
        .iter()
        .all(|e| e["node"]["exchanges"].as_array().map(Vec::len) == Some(2)));

    // The page with its count, then its exchanges: a constant number of statements.
    assert_eq!(statements.len(), 2, "{statements:#?}");
    assert!(
        statements[0].sql.ends_with(" LIMIT 101"),
        "the page size is in the text, so the plan is kept: {}",
        statements[0].sql
    );
    let mut exchanges = None;
    for statement in &statements {
        let plan = plan(&app, statement).await;
        // Shown with `--nocapture`; BENCHMARKS.md records them.
        eprintln!("{}\n{plan}\n", statement.sql);
        assert!(!plan.contains("Seq Scan"), "{}\n{plan}", statement.sql);
        if statement.sql.contains("FROM \"exchange\"") {
            assert!(plan.contains("exchange_pkey"), "{plan}");
            exchanges = Some(statement);
        } else {
            // Whichever of the workspace's indexes it picks, it starts from the workspace.
            assert!(plan.contains("Index Cond: (workspace_id = "), "{plan}");
        }
    }
    let exchanges = exchanges.expect("an exchanges statement");
    assert_eq!(exchanges.values.as_ref().map(|v| v.0.len()), Some(1));
    let generic = generic_plan(&app, exchanges).await;
    eprintln!("generic plan of the exchanges statement:\n{generic}");
    assert!(generic.contains("exchange_pkey"), "{generic}");
    assert!(!generic.contains("Seq Scan"), "{generic}");
}
