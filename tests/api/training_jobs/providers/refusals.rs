//! What tuner refuses before sending anything, depending on the model's provider: the other
//! kind of learning rate, LoRA settings, and too few examples (naming the blocks).

use serde_json::json;

use super::{fixture, NEBIUS, TOGETHER};
use crate::training_jobs::Fixture;

#[tokio::test]
async fn each_provider_refuses_the_learning_rate_it_does_not_take_naming_the_field() {
    let cases = [
        (
            fixture(&TOGETHER, 1_000).await,
            json!({ "learningRateMultiplier": 0.5 }),
            "hyperparameters.learningRateMultiplier",
            "learningRate",
        ),
        (
            fixture(&NEBIUS, 1_000).await,
            json!({ "learningRateMultiplier": 0.5 }),
            "hyperparameters.learningRateMultiplier",
            "learningRate",
        ),
        (
            Fixture::new(1_000).await,
            json!({ "learningRate": 1e-5 }),
            "hyperparameters.learningRate",
            "learningRateMultiplier",
        ),
        (
            Fixture::new(1_000).await,
            json!({ "loraRank": 8 }),
            "hyperparameters.loraRank",
            "LoRA",
        ),
    ];
    for (fixture, hyperparameters, field, advice) in cases {
        fixture.blocks(10, None).await;
        let reply = fixture
            .run(json!({ "hyperparameters": hyperparameters }))
            .await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{hyperparameters}");
        assert_eq!(reply.field(), field, "{hyperparameters}");
        assert!(reply.message().contains(advice), "{}", reply.message());
        assert!(fixture
            .emulator
            .jobs_for(tuner_emulator::Dialect::Together)
            .is_empty());
        let (balance, _) = fixture.credits().await;
        assert_eq!(balance, 1_000, "nothing charged");
    }
}

#[tokio::test]
async fn out_of_range_lora_settings_and_rates_are_refused_with_the_range() {
    let fixture = fixture(&TOGETHER, 1_000).await;
    fixture.blocks(2, None).await;
    for (hyperparameters, field) in [
        (
            json!({ "learningRate": 0.5 }),
            "hyperparameters.learningRate",
        ),
        (json!({ "loraRank": 0 }), "hyperparameters.loraRank"),
        (
            json!({ "loraRank": 8, "loraAlpha": 10_000 }),
            "hyperparameters.loraAlpha",
        ),
        (json!({ "loraAlpha": 16 }), "hyperparameters.loraRank"),
    ] {
        let reply = fixture
            .run(json!({ "hyperparameters": hyperparameters }))
            .await;
        assert_eq!(
            (reply.code(), reply.field()),
            ("BAD_USER_INPUT", field),
            "{hyperparameters}"
        );
    }
    assert_eq!(fixture.emulator.requests("POST", "/together/v1/"), 0);
}

#[tokio::test]
async fn nebius_needs_ten_examples_and_the_refusal_names_the_blocks() {
    let fixture = fixture(&NEBIUS, 1_000).await;
    let blocks = fixture.blocks(4, None).await;
    let preview = "query($id: ID!) { trainingPreview(modelId: $id) { errors { code message blockIds count } } }";
    let reply = fixture
        .app
        .admin_gql(preview, json!({ "id": fixture.model_id }))
        .await;
    let errors = reply.data()["trainingPreview"]["errors"].clone();
    assert_eq!(errors[0]["code"], "TOO_FEW_EXAMPLES", "{errors}");
    assert_eq!(errors[0]["blockIds"], json!(blocks));
    assert!(errors[0]["message"]
        .as_str()
        .expect("message")
        .contains("at least 10"));
    let reply = fixture.run(json!({})).await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    assert!(
        reply.message().contains("TOO_FEW_EXAMPLES"),
        "{}",
        reply.message()
    );
    assert_eq!(
        fixture.emulator.requests("POST", "/nebius/v1/"),
        0,
        "nothing sent"
    );
}

#[tokio::test]
async fn together_trains_on_a_single_example() {
    let fixture = fixture(&TOGETHER, 1_000).await;
    fixture.blocks(1, None).await;
    let preview = "query($id: ID!) { trainingPreview(modelId: $id) { errors { code } } }";
    let reply = fixture
        .app
        .admin_gql(preview, json!({ "id": fixture.model_id }))
        .await;
    assert_eq!(reply.data()["trainingPreview"]["errors"], json!([]));
    let openai = Fixture::new(1_000).await;
    openai.blocks(1, None).await;
    let reply = openai
        .app
        .admin_gql(preview, json!({ "id": openai.model_id }))
        .await;
    assert_eq!(
        reply.data()["trainingPreview"]["errors"][0]["code"],
        "TOO_FEW_EXAMPLES"
    );
}
