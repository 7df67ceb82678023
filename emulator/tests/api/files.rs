//! File upload and retrieval.

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;

use crate::helpers::{examples, spawn};

#[tokio::test]
async fn an_uploaded_file_can_be_retrieved_with_its_bytes() {
    let app = spawn().await;
    let content = examples(10);
    let (status, file) = app.upload_as(&content, "fine-tune").await;
    assert_eq!(status, StatusCode::OK, "{file}");
    let id = file["id"].as_str().unwrap();
    assert!(id.starts_with("file-"));
    assert_eq!(file["object"], "file");
    assert_eq!(file["bytes"], content.len());
    assert_eq!(file["filename"], "train.jsonl");
    assert_eq!(file["purpose"], "fine-tune");
    assert_eq!(file["status"], "processed");
    assert_eq!(app.get_json(&format!("/files/{id}")).await, file);
    assert_eq!(app.emulator.file_content(id).unwrap(), content.as_bytes());
    let bytes = app
        .get(&format!("/files/{id}/content"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes, content.as_bytes());
}

#[tokio::test]
async fn an_upload_without_purpose_is_rejected() {
    let app = spawn().await;
    let form = Form::new().part(
        "file",
        Part::bytes(examples(10).into_bytes()).file_name("t.jsonl"),
    );
    let (status, body) = app.send(app.post("/files").multipart(form)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["param"], "purpose");
    let (status, body) = app.upload_as("x", "homework").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["param"], "purpose");
}

#[tokio::test]
async fn an_unknown_file_and_an_unknown_route_answer_openai_shaped_404s() {
    let app = spawn().await;
    let (status, body) = app.send(app.get("/files/file-nope")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let (status, body) = app.send(app.get("/no/such/route")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("/v1/no/such/route"));
}
