//! Limits and charges: requests per minute, request size, credits per request.

use serde_json::Value;
use tuner::chat::limits::TokenLimits;
use tuner::chat::ChatSettings;

use super::{ask, failure, Chat};

#[tokio::test]
async fn a_token_over_its_requests_per_minute_is_told_when_to_come_back() {
    let settings = ChatSettings {
        limits: TokenLimits {
            requests_per_minute: 2,
            max_concurrent: 8,
        },
        ..ChatSettings::default()
    };
    let chat = Chat::with_settings(settings, 1_000).await;
    for _ in 0..2 {
        assert_eq!(
            chat.post(&chat.reader, ask("support", "hi")).await.status(),
            200
        );
    }
    let response = chat.post(&chat.reader, ask("support", "hi")).await;
    let retry_after = response.headers()["retry-after"]
        .to_str()
        .expect("header")
        .to_owned();
    let (status, error) = failure(response).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (429, Some("rate_limit_exceeded"))
    );
    assert_eq!(retry_after, "30");
}

#[tokio::test]
async fn a_request_larger_than_the_limit_is_a_413() {
    let settings = ChatSettings {
        max_request_bytes: 1_000,
        ..ChatSettings::default()
    };
    let chat = Chat::with_settings(settings, 1_000).await;
    let (status, error) = failure(
        chat.post(&chat.reader, ask("support", &"x".repeat(2_000)))
            .await,
    )
    .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (413, Some("request_too_large"))
    );
}

async fn balance_and_reasons(chat: &Chat) -> (i64, Vec<String>) {
    let (balance, ledger) = chat.fixture.credits().await;
    let reasons = ledger
        .iter()
        .filter_map(|entry: &Value| entry["reason"].as_str().map(str::to_owned))
        .collect();
    (balance, reasons)
}

#[tokio::test]
async fn each_request_costs_its_credits_and_an_empty_balance_is_a_402() {
    let settings = ChatSettings {
        credits_per_request: 5,
        ..ChatSettings::default()
    };
    // The workspace keeps 7 credits after training: one request, then not another.
    let chat = Chat::with_settings(settings, 7).await;
    let (before, _) = balance_and_reasons(&chat).await;
    assert_eq!(before, 7);
    assert_eq!(
        chat.post(&chat.reader, ask("support", "hi")).await.status(),
        200
    );
    let (after, reasons) = balance_and_reasons(&chat).await;
    assert_eq!((after, reasons[0].as_str()), (2, "CHAT_REQUEST"));
    let (status, error) = failure(chat.post(&chat.reader, ask("support", "hi")).await).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (402, Some("insufficient_quota"))
    );
    assert_eq!(
        balance_and_reasons(&chat).await.0,
        2,
        "nothing charged for a refusal"
    );
}

#[tokio::test]
async fn a_request_the_provider_does_not_answer_is_given_back() {
    let settings = ChatSettings {
        credits_per_request: 5,
        ..ChatSettings::default()
    };
    let chat = Chat::with_settings(settings, 100).await;
    chat.fixture
        .emulator
        .fail_next("POST", "/v1/chat/completions", 500, 1, None);
    assert_eq!(
        chat.post(&chat.reader, ask("support", "hi")).await.status(),
        500
    );
    let (balance, reasons) = balance_and_reasons(&chat).await;
    assert_eq!(balance, 100);
    assert_eq!(reasons[..2], ["REFUND", "CHAT_REQUEST"]);
}
