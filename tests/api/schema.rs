//! The checked-in SDL matches the code, and the query limits stop abuse but not real clients.

use serde_json::json;

use crate::harness::TestApp;

/// graphql-js' standard introspection query (`getIntrospectionQuery()` with descriptions).
const INTROSPECTION_QUERY: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description
    args { ...InputValue }
    type { ...TypeRef }
    isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name description
  type { ...TypeRef }
  defaultValue
}
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}
"#;

#[test]
fn checked_in_schema_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let checked_in = std::fs::read_to_string(path).expect("schema.graphql exists");
    assert!(
        checked_in == tuner::schema::sdl(),
        "schema.graphql is out of date: run `cargo run -- schema > schema.graphql`"
    );
}

#[tokio::test]
async fn the_standard_introspection_query_works_without_a_token() {
    let app = TestApp::spawn().await;
    let reply = app.gql("", INTROSPECTION_QUERY, json!({})).await;
    let types = reply.data()["__schema"]["types"].as_array().expect("types");
    assert!(types.iter().any(|t| t["name"] == "TrainingBlock"));
}

#[tokio::test]
async fn a_query_nested_too_deep_is_refused() {
    let app = TestApp::spawn().await;
    let mut selection = "name".to_owned();
    for _ in 0..tuner::schema::MAX_DEPTH {
        selection = format!("name ofType {{ {selection} }}");
    }
    let query = format!("{{ __schema {{ types {{ {selection} }} }} }}");
    let reply = app.gql("", &query, json!({})).await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    assert!(
        reply.message().contains("nested too deep"),
        "{}",
        reply.message()
    );
}

#[tokio::test]
async fn a_query_too_complex_is_refused() {
    let app = TestApp::spawn().await;
    let fields: String = (0..=tuner::schema::MAX_COMPLEXITY / 2)
        .map(|i| format!("a{i}: viewer {{ role }} "))
        .collect();
    let reply = app
        .gql(&app.admin, &format!("{{ {fields} }}"), json!({}))
        .await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    assert!(reply.message().contains("complex"), "{}", reply.message());
}

#[tokio::test]
async fn malformed_graphql_gets_a_coded_error() {
    let app = TestApp::spawn().await;
    for query in [
        "{ viewer { role }",
        "{ noSuchField }",
        "{ trainingBlocks(first: \"x\") { totalCount } }",
    ] {
        let reply = app.gql(&app.admin, query, json!({})).await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{query}");
    }
}

const FULL_PAGE: &str = "trainingBlocks(first: 500) { totalCount pageInfo { hasNextPage endCursor } \
    edges { cursor node { id status tag additionalRules notes exchanges { prompt response } createdAt updatedAt } } }";

#[tokio::test]
async fn a_full_page_with_every_field_is_within_the_limits() {
    let app = TestApp::spawn().await;
    let reply = app
        .admin_gql(&format!("{{ {FULL_PAGE} }}"), json!({}))
        .await;
    assert_eq!(reply.data()["trainingBlocks"]["totalCount"], 0);
}

#[tokio::test]
async fn large_pages_repeated_under_aliases_are_refused() {
    let app = TestApp::spawn().await;
    let query = format!("{{ a: {FULL_PAGE} b: {FULL_PAGE} }}");
    let reply = app.admin_gql(&query, json!({})).await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    assert!(reply.message().contains("complex"), "{}", reply.message());
}

#[tokio::test]
async fn a_file_marker_written_by_hand_is_refused_instead_of_crashing() {
    let app = TestApp::spawn().await;
    let base = app.serve(crate::harness::http_options()).await;
    let upload = "mutation($f: Upload!) { importTrainingBlocks(file: $f) { blocks } }";
    let forged = [
        json!({ "query": upload, "variables": { "f": "#__graphql_file__:0" } }),
        json!({ "query": upload, "variables": { "f": "#__graphql_file__:x" } }),
        json!({ "query": "mutation { importTrainingBlocks(file: \"#__graphql_file__:0\") { blocks } }" }),
    ];
    for body in forged {
        let response = reqwest::Client::new()
            .post(format!("{base}/graphql"))
            .bearer_auth(&app.admin)
            .json(&body)
            .send()
            .await
            .expect("the server answers");
        let reply: serde_json::Value = response.json().await.expect("json");
        assert_eq!(
            reply["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
    }
    let health = reqwest::get(format!("{base}/healthz"))
        .await
        .expect("still up");
    assert_eq!(health.status(), 200);
}
