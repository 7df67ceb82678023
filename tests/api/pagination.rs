//! Relay pagination of `trainingBlocks`: pages, cursors, both directions, filters, argument
//! checks, and the constant number of SQL statements a page costs.

use base64::Engine;
use serde_json::{json, Value};

use crate::harness::{Reply, TestApp};

const PAGE: &str = "query($first: Int, $after: String, $last: Int, $before: String, $filter: TrainingBlockFilter) {
    trainingBlocks(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
        totalCount
        edges { cursor node { id } }
        nodes { id }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
}";

/// One page as a client sees it.
#[derive(Debug)]
struct Page {
    ids: Vec<String>,
    cursors: Vec<String>,
    total: u64,
    has_next: bool,
    has_previous: bool,
}

impl Page {
    fn start(&self) -> &str {
        self.cursors.first().expect("a non-empty page")
    }

    fn end(&self) -> &str {
        self.cursors.last().expect("a non-empty page")
    }
}

async fn page_reply(app: &TestApp, args: Value) -> Reply {
    app.admin_gql(PAGE, args).await
}

/// Fetches a page and checks that its parts agree (nodes and edges, start and end cursors).
async fn page(app: &TestApp, args: Value) -> Page {
    let reply = page_reply(app, args).await;
    let connection = &reply.data()["trainingBlocks"];
    let edges = connection["edges"].as_array().expect("edges");
    let ids: Vec<String> = edges
        .iter()
        .map(|e| e["node"]["id"].as_str().expect("id").to_owned())
        .collect();
    let cursors: Vec<String> = edges
        .iter()
        .map(|e| e["cursor"].as_str().expect("cursor").to_owned())
        .collect();
    let nodes: Vec<&str> = connection["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["id"].as_str().expect("id"))
        .collect();
    assert_eq!(nodes, ids, "nodes and edges list the same blocks");
    let info = &connection["pageInfo"];
    assert_eq!(
        info["startCursor"].as_str(),
        cursors.first().map(String::as_str)
    );
    assert_eq!(
        info["endCursor"].as_str(),
        cursors.last().map(String::as_str)
    );
    Page {
        ids,
        cursors,
        total: connection["totalCount"].as_u64().expect("totalCount"),
        has_next: info["hasNextPage"].as_bool().expect("hasNextPage"),
        has_previous: info["hasPreviousPage"].as_bool().expect("hasPreviousPage"),
    }
}

/// Creates `n` blocks (tagged "even" or "odd" by their index) and returns their ids in creation
/// order.
async fn create_blocks(app: &TestApp, n: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let tag = if i % 2 == 0 { "even" } else { "odd" };
        let prompt = format!("prompt {i}");
        ids.push(app.create_block(&[(&prompt, "response")], Some(tag)).await);
    }
    ids
}

#[track_caller]
fn assert_bad_input(reply: &Reply, field: &str) {
    assert_eq!(reply.code(), "BAD_USER_INPUT", "{:#}", reply.body);
    assert_eq!(reply.field(), field, "{:#}", reply.body);
}

#[tokio::test]
async fn an_empty_list_has_an_empty_page() {
    let app = TestApp::spawn().await;
    for args in [
        json!({}),
        json!({ "first": 10 }),
        json!({ "last": 10 }),
        json!({ "first": 0 }),
    ] {
        let page = page(&app, args.clone()).await;
        assert!(page.ids.is_empty(), "{args}");
        assert_eq!(page.total, 0, "{args}");
        assert!(!page.has_next && !page.has_previous, "{args}: {page:?}");
    }
}

#[tokio::test]
async fn first_zero_returns_no_blocks_but_says_more_follow() {
    let app = TestApp::spawn().await;
    create_blocks(&app, 3).await;
    let page = page(&app, json!({ "first": 0 })).await;
    assert!(page.ids.is_empty());
    assert_eq!(page.total, 3);
    assert!(page.has_next);
    assert!(!page.has_previous);
}

#[tokio::test]
async fn a_list_that_fits_in_one_page_has_no_other_page() {
    let app = TestApp::spawn().await;
    let ids = create_blocks(&app, 3).await;
    for args in [
        json!({ "first": 3 }),
        json!({ "first": 4 }),
        json!({ "last": 3 }),
        json!({ "last": 500 }),
        json!({}),
    ] {
        let page = page(&app, args.clone()).await;
        assert_eq!(page.ids, ids, "{args}");
        assert_eq!(page.total, 3, "{args}");
        assert!(!page.has_next && !page.has_previous, "{args}: {page:?}");
    }
}

#[tokio::test]
async fn without_first_or_last_a_page_holds_50_blocks() {
    let app = TestApp::spawn().await;
    let ids = create_blocks(&app, 51).await;
    let page = page(&app, json!({})).await;
    assert_eq!(page.ids, ids[..50]);
    assert_eq!(page.total, 51);
    assert!(page.has_next);
}

#[tokio::test]
async fn walking_forward_with_after_visits_every_block_once_in_creation_order() {
    let app = TestApp::spawn().await;
    let ids = create_blocks(&app, 10).await;
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut sizes = Vec::new();
    loop {
        let page = page(&app, json!({ "first": 3, "after": after })).await;
        assert_eq!(page.total, 10, "totalCount is the whole list on every page");
        assert_eq!(page.has_previous, after.is_some(), "{page:?}");
        sizes.push(page.ids.len());
        seen.extend(page.ids.iter().cloned());
        if !page.has_next {
            break;
        }
        after = Some(page.end().to_owned());
        assert!(sizes.len() < 10, "the walk must end");
    }
    assert_eq!(sizes, vec![3, 3, 3, 1]);
    assert_eq!(seen, ids);
}

#[tokio::test]
async fn walking_backward_with_last_and_before_visits_every_block_once() {
    let app = TestApp::spawn().await;
    let ids = create_blocks(&app, 10).await;
    let mut pages = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let page = page(&app, json!({ "last": 4, "before": before })).await;
        assert_eq!(page.total, 10);
        assert_eq!(page.has_next, before.is_some(), "{page:?}");
        let done = !page.has_previous;
        before = page.cursors.first().cloned();
        pages.push(page.ids);
        if done {
            break;
        }
        assert!(pages.len() < 10, "the walk must end");
    }
    assert_eq!(
        pages,
        vec![ids[6..].to_vec(), ids[2..6].to_vec(), ids[..2].to_vec()],
        "each page is oldest first; pages come newest first"
    );
}

#[tokio::test]
async fn page_info_is_right_at_both_ends_and_in_the_middle() {
    let app = TestApp::spawn().await;
    let ids = create_blocks(&app, 6).await;
    let first = page(&app, json!({ "first": 2 })).await;
    assert_eq!((first.has_previous, first.has_next), (false, true));
    let middle = page(&app, json!({ "first": 2, "after": first.end() })).await;
    assert_eq!(middle.ids, ids[2..4]);
    assert_eq!((middle.has_previous, middle.has_next), (true, true));
    let last = page(&app, json!({ "first": 2, "after": middle.end() })).await;
    assert_eq!(last.ids, ids[4..]);
    assert_eq!((last.has_previous, last.has_next), (true, false));
    let beyond = page(&app, json!({ "first": 2, "after": last.end() })).await;
    assert!(beyond.ids.is_empty());
    assert_eq!((beyond.has_previous, beyond.has_next), (true, false));

    let tail = page(&app, json!({ "last": 2 })).await;
    assert_eq!(tail.ids, ids[4..]);
    assert_eq!((tail.has_previous, tail.has_next), (true, false));
    let head = page(&app, json!({ "last": 2, "before": middle.start() })).await;
    assert_eq!(head.ids, ids[..2]);
    assert_eq!((head.has_previous, head.has_next), (false, true));
    let before_all = page(&app, json!({ "last": 2, "before": head.start() })).await;
    assert!(before_all.ids.is_empty());
    assert_eq!(
        (before_all.has_previous, before_all.has_next),
        (false, true)
    );
}

#[tokio::test]
async fn after_and_before_together_bound_the_page() {
    let app = TestApp::spawn().await;
    let ids = create_blocks(&app, 8).await;
    let all = page(&app, json!({ "first": 8 })).await;
    let window = json!({ "after": all.cursors[1], "before": all.cursors[6] });
    let mut args = window.clone();
    args["first"] = json!(10);
    assert_eq!(page(&app, args).await.ids, ids[2..6]);
    let mut args = window.clone();
    args["first"] = json!(2);
    assert_eq!(page(&app, args).await.ids, ids[2..4]);
    let mut args = window;
    args["last"] = json!(2);
    let tail = page(&app, args).await;
    assert_eq!(tail.ids, ids[4..6]);
    assert!(tail.has_previous && tail.has_next, "{tail:?}");
}

#[tokio::test]
async fn a_cursor_can_be_combined_with_a_filter() {
    let app = TestApp::spawn().await;
    let ids = create_blocks(&app, 10).await;
    let even: Vec<String> = ids.iter().step_by(2).cloned().collect();
    let filter = json!({ "tag": "even" });
    let first = page(&app, json!({ "first": 2, "filter": filter })).await;
    assert_eq!(first.ids, even[..2]);
    assert_eq!(first.total, 5, "totalCount counts the filter, not the page");
    assert!(first.has_next && !first.has_previous);
    let second = page(
        &app,
        json!({ "first": 2, "after": first.end(), "filter": filter }),
    )
    .await;
    assert_eq!(second.ids, even[2..4]);
    assert_eq!(second.total, 5);
    assert!(second.has_next && second.has_previous);
    let third = page(
        &app,
        json!({ "first": 2, "after": second.end(), "filter": filter }),
    )
    .await;
    assert_eq!(third.ids, even[4..]);
    assert!(!third.has_next && third.has_previous);
    let back = page(
        &app,
        json!({ "last": 3, "before": third.start(), "filter": filter }),
    )
    .await;
    assert_eq!(back.ids, even[1..4]);
    assert!(back.has_previous && back.has_next);

    // A cursor from an unfiltered page still marks a place in the filtered list.
    let all = page(&app, json!({ "first": 10 })).await;
    let odd_cursor = &all.cursors[5];
    let after_odd = page(
        &app,
        json!({ "first": 10, "after": odd_cursor, "filter": filter }),
    )
    .await;
    assert_eq!(after_odd.ids, even[3..]);
    assert!(after_odd.has_previous && !after_odd.has_next);
}

#[tokio::test]
async fn total_count_reflects_the_filter_not_the_page() {
    let app = TestApp::spawn().await;
    create_blocks(&app, 7).await;
    let cases = [
        (json!({ "first": 1 }), 7),
        (json!({ "last": 2, "filter": { "tag": "odd" } }), 3),
        (json!({ "first": 0, "filter": { "tag": "even" } }), 4),
        (json!({ "first": 5, "filter": { "search": "PROMPT 6" } }), 1),
        (json!({ "first": 5, "filter": { "status": "DRAFT" } }), 0),
    ];
    for (args, total) in cases {
        assert_eq!(page(&app, args.clone()).await.total, total, "{args}");
    }
}

#[tokio::test]
async fn the_total_is_given_on_an_empty_page_and_through_fragments() {
    let app = TestApp::spawn().await;
    create_blocks(&app, 4).await;
    let last = page(&app, json!({ "first": 4 })).await;
    // Past the last block the page has no row to carry the count with it.
    let beyond = page(&app, json!({ "first": 2, "after": last.end() })).await;
    assert!(beyond.ids.is_empty());
    assert_eq!(beyond.total, 4);
    let before_first = page(&app, json!({ "last": 2, "before": last.start() })).await;
    assert!(before_first.ids.is_empty());
    assert_eq!(before_first.total, 4);
    let fragments = "query { trainingBlocks(first: 1) { ...Counted ... on TrainingBlockConnection { nodes { id } } } }
        fragment Counted on TrainingBlockConnection { totalCount }";
    let reply = app.admin_gql(fragments, json!({})).await;
    let connection = &reply.data()["trainingBlocks"];
    assert_eq!(connection["totalCount"], 4, "{connection}");
    assert_eq!(connection["nodes"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_cursor_outlives_the_block_it_points_at() {
    let app = TestApp::spawn().await;
    let ids = create_blocks(&app, 5).await;
    let first = page(&app, json!({ "first": 2 })).await;
    let reply = app
        .admin_gql(
            "mutation($ids: [ID!]!) { deleteTrainingBlocks(ids: $ids) }",
            json!({ "ids": [ids[1]] }),
        )
        .await;
    assert_eq!(reply.data()["deleteTrainingBlocks"], 1);
    let next = page(&app, json!({ "first": 2, "after": first.end() })).await;
    assert_eq!(next.ids, ids[2..4]);
    assert!(next.has_previous && next.has_next);
    assert_eq!(next.total, 4);
}

#[tokio::test]
async fn page_sizes_must_be_between_0_and_500() {
    let app = TestApp::spawn().await;
    create_blocks(&app, 2).await;
    let cases = [
        (json!({ "first": 501 }), "first"),
        (json!({ "last": 501 }), "last"),
        (json!({ "first": -1 }), "first"),
        (json!({ "last": -1 }), "last"),
        (json!({ "first": 1, "last": 1 }), "first"),
        (json!({ "first": 0, "last": 0 }), "first"),
    ];
    for (args, field) in cases {
        let reply = page_reply(&app, args.clone()).await;
        assert_bad_input(&reply, field);
        assert_eq!(reply.body["data"], Value::Null, "{args}");
    }
    assert_eq!(page(&app, json!({ "first": 500 })).await.ids.len(), 2);
    assert_eq!(page(&app, json!({ "last": 500 })).await.ids.len(), 2);
}

#[tokio::test]
async fn malformed_cursors_are_refused_naming_the_argument() {
    let app = TestApp::spawn().await;
    let ids = create_blocks(&app, 2).await;
    let encode = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
    let bad = [
        "nope".to_owned(),
        "!!!".to_owned(),
        String::new(),
        ids[0].clone(),
        encode(&ids[0]),
        encode("c1:not-a-uuid"),
        encode(&format!("c2:{}", ids[0])),
    ];
    for cursor in &bad {
        for (argument, size) in [("after", "first"), ("before", "last")] {
            let reply = page_reply(&app, json!({ size: 1, argument: cursor })).await;
            assert_bad_input(&reply, argument);
        }
    }
}

#[tokio::test]
async fn a_page_of_blocks_with_their_exchanges_costs_the_same_statements_whatever_its_size() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for i in 0..120 {
        let exchanges: Vec<(String, String)> = (0..3)
            .map(|j| (format!("p{i}.{j}"), format!("r{i}.{j}")))
            .collect();
        let pairs: Vec<(&str, &str)> = exchanges
            .iter()
            .map(|(p, r)| (p.as_str(), r.as_str()))
            .collect();
        ids.push(app.create_block(&pairs, None).await);
    }
    let query = |n: usize| {
        format!(
            "{{ trainingBlocks(first: {n}) {{ totalCount edges {{ cursor node {{ id exchanges {{ prompt response }} }} }} }} }}"
        )
    };
    let mut costs = Vec::new();
    for n in [5, 100] {
        let (data, statements) = app.counted(&query(n)).await;
        let connection = &data["trainingBlocks"];
        assert_eq!(connection["totalCount"], 120);
        let edges = connection["edges"].as_array().expect("edges");
        assert_eq!(edges.len(), n);
        for (i, edge) in edges.iter().enumerate() {
            assert_eq!(edge["node"]["id"], ids[i].as_str());
            let expected: Vec<Value> = (0..3)
                .map(|j| json!({ "prompt": format!("p{i}.{j}"), "response": format!("r{i}.{j}") }))
                .collect();
            assert_eq!(edge["node"]["exchanges"], json!(expected), "block {i}");
        }
        costs.push(statements);
    }
    let both = "{ trainingBlocks(first: 100) { totalCount edges { node { exchanges { prompt } } } nodes { exchanges { response } } } }";
    let (data, statements) = app.counted(both).await;
    let last = &data["trainingBlocks"]["nodes"][99]["exchanges"][2];
    assert_eq!(last["response"], "r99.2");
    costs.push(statements);
    assert_eq!(
        costs[0], costs[1],
        "statements for 5 and 100 blocks: {costs:?}"
    );
    assert!(
        costs[2] <= costs[1] + 1,
        "edges and nodes each load the page's exchanges at most once: {costs:?}"
    );
    assert!(
        costs[1] <= 5,
        "a page costs at most 5 statements: {costs:?}"
    );
}
