//! `availableModels`: what bot platforms are told about ready models.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tuner::auth::Role;

use crate::training_jobs::Fixture;

const AVAILABLE: &str =
    "{ availableModels { id name providerModel systemPrompt baseModel provider \
    trainedAt rulesChangedSinceTraining retiresAt } }";

async fn trained_fixture() -> Fixture {
    let fixture = Fixture::new(1_000).await;
    fixture.app.create_rule("Be brief.").await;
    fixture.blocks(10, None).await;
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    fixture.finish(job["id"].as_str().expect("id")).await;
    fixture
}

#[tokio::test]
async fn a_ready_model_is_listed_with_the_system_prompt_it_was_trained_with() {
    let fixture = Fixture::new(1_000).await;
    let reader = fixture.app.token(Role::Reader).await;
    let before = fixture.app.gql(&reader, AVAILABLE, json!({})).await;
    assert_eq!(
        before.data()["availableModels"],
        json!([]),
        "nothing is ready yet"
    );

    fixture.app.create_rule("Be brief.").await;
    fixture.blocks(10, None).await;
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    let done = fixture.finish(job["id"].as_str().expect("id")).await;

    let reply = fixture.app.gql(&reader, AVAILABLE, json!({})).await;
    let models = reply.data()["availableModels"]
        .as_array()
        .expect("list")
        .clone();
    assert_eq!(models.len(), 1);
    let model = &models[0];
    assert_eq!(model["id"], fixture.model_id.as_str());
    assert_eq!(model["providerModel"], done["fineTunedModel"]);
    assert_eq!(model["systemPrompt"], "Be brief.");
    assert_eq!(model["baseModel"], "gpt-4o-mini-2024-07-18");
    assert_eq!(model["provider"], "openai");
    assert_eq!(model["rulesChangedSinceTraining"], false);
    assert_eq!(model["retiresAt"], "2027-01-14T00:00:00+00:00");
    assert!(model["trainedAt"].is_string());
}

#[tokio::test]
async fn changing_the_rules_after_training_is_flagged() {
    let fixture = trained_fixture().await;
    fixture.app.create_rule("Sign every answer.").await;
    let reply = fixture.app.admin_gql(AVAILABLE, json!({})).await;
    let model = &reply.data()["availableModels"][0];
    assert_eq!(model["rulesChangedSinceTraining"], true);
    assert_eq!(
        model["systemPrompt"], "Be brief.",
        "still the prompt it was trained with"
    );
}

#[tokio::test]
async fn retired_models_are_not_listed() {
    let mut fixture = trained_fixture().await;
    let app = &mut fixture.app;
    app.training.retirements =
        tuner::retirements::Retirements::parse("gpt-4o-mini-2024-07-18=2020-01-01").expect("table");
    app.rebuild_schema();
    let reply = app.admin_gql(AVAILABLE, json!({})).await;
    assert_eq!(reply.data()["availableModels"], json!([]));
}

#[tokio::test]
async fn other_workspaces_and_missing_tokens_see_nothing() {
    let fixture = trained_fixture().await;
    let other = fixture.app.other_workspace("other").await;
    let reply = fixture.app.gql(&other, AVAILABLE, json!({})).await;
    assert_eq!(reply.data()["availableModels"], json!([]));
    let reply = fixture.app.gql("", AVAILABLE, json!({})).await;
    assert_eq!(reply.code(), "UNAUTHENTICATED");
}

#[tokio::test]
async fn repeated_reads_are_served_from_memory_until_something_changes() {
    let fixture = trained_fixture().await;
    let app = &fixture.app;
    let (first, _) = app.counted(AVAILABLE).await;
    let (again, statements) = app.counted(AVAILABLE).await;
    assert_eq!(again, first);
    assert_eq!(statements, 0, "the second read comes from memory");

    let rule = app.create_rule("Sign every answer.").await;
    let (changed, statements) = app.counted(AVAILABLE).await;
    assert!(statements > 0, "a rule change makes the list be read again");
    assert_eq!(
        changed["availableModels"][0]["rulesChangedSinceTraining"],
        true
    );

    let delete = "mutation($id: ID!) { deleteGlobalRule(id: $id) }";
    app.admin_gql(delete, json!({ "id": rule })).await.data();
    let (back, _) = app.counted(AVAILABLE).await;
    assert_eq!(back, first, "the rules are the trained ones again");
}

#[tokio::test]
async fn editing_or_reordering_rules_and_renaming_or_deleting_the_model_show_at_once() {
    let fixture = Fixture::new(1_000).await;
    let app = &fixture.app;
    let brief = app.create_rule("Be brief.").await;
    let kind = app.create_rule("Be kind.").await;
    fixture.blocks(10, None).await;
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    fixture.finish(job["id"].as_str().expect("id")).await;
    let flagged = |reply: Value| reply["availableModels"][0]["rulesChangedSinceTraining"].clone();
    assert_eq!(flagged(app.counted(AVAILABLE).await.0), false);

    let reorder = "mutation($ids: [ID!]!) { reorderGlobalRules(ids: $ids) { id } }";
    app.admin_gql(reorder, json!({ "ids": [kind, brief] }))
        .await
        .data();
    assert_eq!(flagged(app.counted(AVAILABLE).await.0), true);
    app.admin_gql(reorder, json!({ "ids": [brief, kind] }))
        .await
        .data();
    assert_eq!(flagged(app.counted(AVAILABLE).await.0), false);

    let update =
        "mutation($id: ID!, $text: String!) { updateGlobalRule(id: $id, text: $text) { id } }";
    let vars = json!({ "id": kind, "text": "Be warm." });
    app.admin_gql(update, vars).await.data();
    assert_eq!(flagged(app.counted(AVAILABLE).await.0), true);

    let rename =
        "mutation($id: ID!) { updateCustomModel(id: $id, input: { name: \"renamed\" }) { id } }";
    app.admin_gql(rename, json!({ "id": fixture.model_id }))
        .await
        .data();
    let (listed, _) = app.counted(AVAILABLE).await;
    assert_eq!(listed["availableModels"][0]["name"], "renamed");

    let delete = "mutation($id: ID!) { deleteCustomModel(id: $id) }";
    app.admin_gql(delete, json!({ "id": fixture.model_id }))
        .await
        .data();
    let (listed, _) = app.counted(AVAILABLE).await;
    assert_eq!(listed["availableModels"], json!([]));
}

/// `availableModels` on a running `tuner serve` at `base`, as a READER bot platform asks.
async fn available_over_http(base: &str, token: &str) -> Value {
    let body: Value = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": AVAILABLE }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    body["data"]["availableModels"].clone()
}

/// Asks `base` until `accept` holds (another replica's change arrives asynchronously).
async fn eventually(base: &str, token: &str, accept: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let models = available_over_http(base, token).await;
        if accept(&models) {
            return models;
        }
        assert!(Instant::now() < deadline, "never changed: {models}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn another_replica_serves_what_this_one_changed() {
    let fixture = Fixture::new(1_000).await;
    if !fixture.app.database_url.starts_with("postgres") {
        // Replicas share Postgres; one SQLite file is served by one process (tests above).
        return;
    }
    let reader = fixture.app.token(Role::Reader).await;
    let replica = crate::cli::Server::start(&fixture.app.database_url);
    let base = format!("http://{}", replica.address);
    assert_eq!(available_over_http(&base, &reader).await, json!([]));

    // Trained through this process: the replica's cached empty list must give way.
    fixture.blocks(10, None).await;
    let job = fixture.run(json!({})).await.data()["runTrainingJob"].clone();
    fixture.finish(job["id"].as_str().expect("id")).await;
    let models = eventually(&base, &reader, |m| {
        m.as_array().is_some_and(|m| m.len() == 1)
    })
    .await;
    assert_eq!(models[0]["rulesChangedSinceTraining"], false);

    fixture.app.create_rule("Sign every answer.").await;
    eventually(&base, &reader, |m| {
        m[0]["rulesChangedSinceTraining"] == true
    })
    .await;
    let delete = "mutation($id: ID!) { deleteCustomModel(id: $id) }";
    let vars = json!({ "id": fixture.model_id });
    fixture.app.admin_gql(delete, vars).await.data();
    eventually(&base, &reader, |m| *m == json!([])).await;
    let (status, _) = replica.stop();
    assert!(status.success());
}

#[tokio::test]
async fn the_chat_base_url_follows_the_workspaces_credentials_at_once() {
    let fixture = trained_fixture().await;
    let url =
        |reply: crate::harness::Reply| reply.data()["availableModels"][0]["chatBaseUrl"].clone();
    let query = "{ availableModels { chatBaseUrl } }";
    assert_eq!(
        url(fixture.app.admin_gql(query, json!({})).await),
        fixture.emulator.base_url().as_str()
    );
    let set = "mutation { setProviderCredentials(provider: \"openai\", apiKey: \"sk-other\", baseUrl: \"https://proxy.example/v1\") { provider } }";
    fixture.app.admin_gql(set, json!({})).await.data();
    assert_eq!(
        url(fixture.app.admin_gql(query, json!({})).await),
        "https://proxy.example/v1"
    );
}

/// Posts `query` to `base`'s `/graphql` with `token`; the body as sent.
async fn post_bytes(base: &str, token: &str, query: &str) -> String {
    let response = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 200);
    response.text().await.expect("text")
}

const ANSWER_HITS: &str =
    "tuner_cache_lookups_total{cache=\"available_models_answers\",result=\"hit\"}";

#[tokio::test]
async fn a_kept_answer_is_the_engines_answer_and_is_dropped_when_the_list_changes() {
    let fixture = trained_fixture().await;
    let app = &fixture.app;
    let base = crate::metrics::serve(app).await;
    let reader = app.token(Role::Reader).await;
    let hits =
        || async { crate::metrics::sample(&crate::metrics::scrape(&base).await, ANSWER_HITS) };

    let first = post_bytes(&base, &reader, AVAILABLE).await;
    let engine = app.gql(&reader, AVAILABLE, json!({})).await;
    assert_eq!(
        serde_json::from_str::<Value>(&first).expect("json")["data"],
        *engine.data()
    );
    let before = hits().await;
    let again = post_bytes(&base, &reader, AVAILABLE).await;
    assert_eq!(again, first, "the same bytes");
    assert_eq!(
        hits().await,
        before + 1.0,
        "the second answer was the kept one"
    );

    app.create_rule("Sign every answer.").await;
    let changed: Value =
        serde_json::from_str(&post_bytes(&base, &reader, AVAILABLE).await).unwrap();
    assert_eq!(
        changed["data"]["availableModels"][0]["rulesChangedSinceTraining"],
        true
    );

    let rename =
        "mutation($id: ID!) { updateCustomModel(id: $id, input: { name: \"renamed\" }) { id } }";
    app.admin_gql(rename, json!({ "id": fixture.model_id }))
        .await
        .data();
    let renamed: Value =
        serde_json::from_str(&post_bytes(&base, &reader, AVAILABLE).await).unwrap();
    assert_eq!(renamed["data"]["availableModels"][0]["name"], "renamed");
}

#[tokio::test]
async fn kept_answers_belong_to_one_workspace() {
    let fixture = trained_fixture().await;
    let app = &fixture.app;
    let base = app.serve(crate::harness::http_options()).await;
    let reader = app.token(Role::Reader).await;
    let other = app.other_workspace("other").await;
    let ours: Value = serde_json::from_str(&post_bytes(&base, &reader, AVAILABLE).await).unwrap();
    assert_eq!(
        ours["data"]["availableModels"].as_array().map(Vec::len),
        Some(1)
    );
    for _ in 0..2 {
        let theirs: Value =
            serde_json::from_str(&post_bytes(&base, &other, AVAILABLE).await).unwrap();
        assert_eq!(theirs["data"]["availableModels"], json!([]));
    }
}

#[tokio::test]
async fn an_operation_asking_for_more_than_the_list_is_answered_for_each_caller() {
    let fixture = trained_fixture().await;
    let app = &fixture.app;
    let base = app.serve(crate::harness::http_options()).await;
    let query = "{ availableModels { name } viewer { role } }";
    for role in [Role::Reader, Role::Admin, Role::Reader, Role::Editor] {
        let token = app.token(role).await;
        let reply: Value = serde_json::from_str(&post_bytes(&base, &token, query).await).unwrap();
        assert_eq!(
            reply["data"]["viewer"]["role"],
            format!("{role:?}").to_uppercase()
        );
        assert_eq!(
            reply["data"]["availableModels"].as_array().map(Vec::len),
            Some(1)
        );
    }
}

/// `retiresAt` of the only available model, through a READER token.
async fn retires_at(fixture: &Fixture) -> Value {
    let reader = fixture.app.token(Role::Reader).await;
    let reply = fixture
        .app
        .gql(&reader, "{ availableModels { retiresAt } }", json!({}))
        .await;
    reply.data()["availableModels"][0]["retiresAt"].clone()
}

#[tokio::test]
async fn the_shutdown_day_the_provider_announces_wins_over_the_table_and_reaches_bots_at_once() {
    let fixture = trained_fixture().await;
    assert_eq!(retires_at(&fixture).await, "2027-01-14T00:00:00+00:00");
    let context = fixture.app.context();

    fixture
        .emulator
        .set_shutdown_date("gpt-4o-mini-2024-07-18", Some("2026-12-20"));
    let asked = tuner::reported_retirements::refresh_all(&context)
        .await
        .expect("refresh");
    assert_eq!(asked, 1, "the workspace's openai credentials");
    assert_eq!(
        retires_at(&fixture).await,
        "2026-12-20T00:00:00+00:00",
        "from the base model's shutdown_date"
    );

    let served = fixture.app.admin_gql(AVAILABLE, json!({})).await.data()["availableModels"][0]
        ["providerModel"]
        .as_str()
        .expect("provider model")
        .to_owned();
    fixture
        .emulator
        .set_shutdown_date(&served, Some("2026-12-10"));
    tuner::reported_retirements::refresh_all(&context)
        .await
        .expect("refresh");
    assert_eq!(
        retires_at(&fixture).await,
        "2026-12-10T00:00:00+00:00",
        "the tuned model's own day first"
    );

    fixture.emulator.set_shutdown_date(&served, None);
    fixture
        .emulator
        .set_shutdown_date("gpt-4o-mini-2024-07-18", None);
    tuner::reported_retirements::refresh_all(&context)
        .await
        .expect("refresh");
    assert_eq!(
        retires_at(&fixture).await,
        "2027-01-14T00:00:00+00:00",
        "nothing announced: the operator's table"
    );
}
