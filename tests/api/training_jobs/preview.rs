//! `trainingPreview`: counts, checks, estimates and charges, with nothing sent or changed.

use serde_json::{json, Value};

use super::Fixture;

const PREVIEW: &str =
    "query($id: ID!, $input: TrainingJobInput) { trainingPreview(modelId: $id, input: $input) { \
    trainingModel continuesTraining provider blockCount exampleCount \
    tokens { total min mean max encoding encodingAssumed limitPerExample } \
    errors { code message blockIds count } warnings { code message blockIds count } \
    estimatedEpochs estimatedBilledTokens estimatedProviderCostUsd \
    platformCharge { feeCredits blockCredits totalCredits } systemPrompt jsonlPreview } }";

async fn preview(fixture: &Fixture, input: Value) -> Value {
    let reply = fixture
        .app
        .admin_gql(PREVIEW, json!({ "id": fixture.model_id, "input": input }))
        .await;
    reply.data()["trainingPreview"].clone()
}

#[tokio::test]
async fn a_preview_counts_tokens_estimates_costs_and_shows_the_first_lines() {
    let fixture = Fixture::new(0).await;
    fixture.app.create_rule("Be brief.").await;
    fixture.blocks(12, Some("faq")).await;
    let p = preview(&fixture, json!({})).await;
    assert_eq!(p["trainingModel"], "gpt-4o-mini-2024-07-18");
    assert_eq!(p["continuesTraining"], false);
    assert_eq!(p["blockCount"], 12);
    assert_eq!(p["tokens"]["encoding"], "o200k_base");
    assert_eq!(p["tokens"]["encodingAssumed"], false);
    assert_eq!(p["tokens"]["limitPerExample"], 65_536);
    let total = p["tokens"]["total"].as_u64().expect("total");
    assert!(total > 12 * 10, "{p}");
    assert!(p["tokens"]["min"].as_u64() <= p["tokens"]["max"].as_u64());
    assert_eq!(p["errors"], json!([]));
    assert_eq!(
        p["estimatedEpochs"], 8,
        "100 / 12 examples, by OpenAI's heuristic"
    );
    assert_eq!(p["estimatedBilledTokens"].as_u64(), Some(total * 8));
    let cost = p["estimatedProviderCostUsd"].as_f64().expect("cost");
    assert!((cost - (total * 8) as f64 * 3.0 / 1e6).abs() < 1e-9);
    assert_eq!(
        p["platformCharge"],
        json!({ "feeCredits": 100, "blockCredits": 12, "totalCredits": 112 })
    );
    assert_eq!(p["systemPrompt"], "Be brief.");
    let first = p["jsonlPreview"][0].as_str().expect("line");
    assert_eq!(
        first,
        r#"{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Question 0 about faq?"},{"role":"assistant","content":"Answer 0: here is what you need to know."}]}"#
    );
}

#[tokio::test]
async fn a_preview_reports_too_few_examples_and_duplicates() {
    let fixture = Fixture::new(0).await;
    fixture.app.create_block(&[("Same?", "Same.")], None).await;
    let duplicate = fixture.app.create_block(&[("Same?", "Same.")], None).await;
    let p = preview(&fixture, json!({})).await;
    assert_eq!(p["errors"][0]["code"], "TOO_FEW_EXAMPLES");
    assert!(p["errors"][0]["message"]
        .as_str()
        .expect("message")
        .contains("10"));
    assert_eq!(p["warnings"][0]["code"], "DUPLICATE_EXAMPLE");
    assert!(p["warnings"][0]["blockIds"]
        .as_array()
        .expect("ids")
        .contains(&json!(duplicate)));
}

#[tokio::test]
async fn a_preview_applies_the_tag_filter_and_requested_epochs() {
    let fixture = Fixture::new(0).await;
    fixture.blocks(3, Some("billing")).await;
    fixture.blocks(11, Some("returns")).await;
    let p = preview(
        &fixture,
        json!({ "tag": "returns", "hyperparameters": { "nEpochs": 2 } }),
    )
    .await;
    assert_eq!(p["blockCount"], 11);
    assert_eq!(p["estimatedEpochs"], 2);
}

#[tokio::test]
async fn an_unknown_base_model_says_which_encoding_was_assumed() {
    let fixture = Fixture::new(0).await;
    let reply = fixture
        .app
        .admin_gql(
            "mutation { createCustomModel(input: {name: \"x\", baseModel: \"my-own-model\"}) { id } }",
            json!({}),
        )
        .await;
    let id = reply.data()["createCustomModel"]["id"].clone();
    fixture.blocks(10, None).await;
    let reply = fixture.app.admin_gql(PREVIEW, json!({ "id": id })).await;
    let p = &reply.data()["trainingPreview"];
    assert_eq!(p["tokens"]["encoding"], "o200k_base");
    assert_eq!(p["tokens"]["encodingAssumed"], true);
    assert_eq!(p["estimatedProviderCostUsd"], Value::Null);
}

#[tokio::test]
async fn a_preview_sends_and_changes_nothing() {
    let fixture = Fixture::new(0).await;
    let ids = fixture.blocks(10, None).await;
    preview(&fixture, json!({})).await;
    assert_eq!(fixture.emulator.requests("*", "/v1/"), 0);
    assert!(fixture
        .statuses(&ids)
        .await
        .iter()
        .all(|s| s == "NOT_TRAINED"));
}

#[tokio::test]
async fn bad_hyperparameters_are_refused_naming_the_field() {
    let fixture = Fixture::new(0).await;
    let reply = fixture
        .app
        .admin_gql(
            PREVIEW,
            json!({ "id": fixture.model_id, "input": { "hyperparameters": { "nEpochs": 0 } } }),
        )
        .await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    assert_eq!(reply.field(), "hyperparameters.nEpochs");
}
