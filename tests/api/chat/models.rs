//! `GET /v1/models`, tokens and model names: who can call what, and why not.

use serde_json::{json, Value};
use tuner::auth::Role;

use super::{ask, failure, Chat};

#[tokio::test]
async fn the_models_list_holds_the_callable_models_only() {
    let chat = Chat::new().await;
    chat.fixture.app.create_model("untrained").await;
    let response = chat.get(&chat.reader, "/v1/models").await;
    assert_eq!(response.status(), 200);
    let list: Value = response.json().await.expect("json");
    assert_eq!(list["object"], "list");
    let ids: Vec<&str> = list["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert_eq!(ids, ["support"]);
    let one: Value = chat
        .get(&chat.reader, "/v1/models/support")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (one["id"].as_str(), one["object"].as_str()),
        (Some("support"), Some("model"))
    );
    let (status, error) = failure(chat.get(&chat.reader, "/v1/models/untrained").await).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (404, Some("model_not_found"))
    );
}

#[tokio::test]
async fn a_model_that_cannot_be_called_is_a_404_that_says_why() {
    let chat = Chat::new().await;
    chat.fixture.app.create_model("untrained").await;
    let (status, error) = failure(chat.post(&chat.reader, ask("untrained", "hi")).await).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (404, Some("model_not_found"))
    );
    assert!(error["message"]
        .as_str()
        .unwrap_or_default()
        .contains("not been trained"));
    let (status, error) = failure(chat.post(&chat.reader, ask("nope", "hi")).await).await;
    assert_eq!(
        (status, error["type"].as_str()),
        (404, Some("invalid_request_error"))
    );
    assert!(error["message"]
        .as_str()
        .unwrap_or_default()
        .contains("does not exist"));
}

#[tokio::test]
async fn another_workspaces_token_sees_an_unknown_model() {
    let chat = Chat::new().await;
    let other_admin = chat.fixture.app.other_workspace("other").await;
    let reply = chat
        .fixture
        .app
        .gql(
            &other_admin,
            "mutation { createApiToken(name: \"bot\", role: READER) { secret } }",
            json!({}),
        )
        .await;
    let other_reader = reply.data()["createApiToken"]["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let (status, theirs) = failure(chat.post(&other_reader, ask("support", "hi")).await).await;
    let (_, unknown) = failure(chat.post(&chat.reader, ask("no-such-model", "hi")).await).await;
    assert_eq!(status, 404);
    assert_eq!(
        theirs["message"]
            .as_str()
            .map(|m| m.replace("support", "X")),
        unknown["message"]
            .as_str()
            .map(|m| m.replace("no-such-model", "X")),
        "the same answer as for a model that does not exist"
    );
    let listed: Value = chat
        .get(&other_reader, "/v1/models")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["data"], json!([]));
}

#[tokio::test]
async fn a_missing_or_wrong_token_is_a_401_in_openais_shape() {
    let chat = Chat::new().await;
    let response = chat
        .http
        .post(format!("{}/v1/chat/completions", chat.base))
        .json(&ask("support", "hi"))
        .send()
        .await
        .expect("request");
    let (status, error) = failure(response).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (401, Some("invalid_api_key"))
    );
    let (status, error) = failure(chat.post("tnr_wrong", ask("support", "hi")).await).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (401, Some("invalid_api_key"))
    );
    for role in [Role::Editor, Role::Admin] {
        let token = chat.fixture.app.token(role).await;
        assert_eq!(chat.post(&token, ask("support", "hi")).await.status(), 200);
    }
}

#[tokio::test]
async fn a_body_that_is_not_a_chat_request_is_a_400_naming_the_field() {
    let chat = Chat::new().await;
    let (status, error) = failure(chat.post(&chat.reader, json!({ "messages": [] })).await).await;
    assert_eq!((status, error["param"].as_str()), (400, Some("model")));
    let (status, error) = failure(
        chat.post(
            &chat.reader,
            json!({ "model": "support", "messages": "hi" }),
        )
        .await,
    )
    .await;
    assert_eq!((status, error["param"].as_str()), (400, Some("messages")));
}
