//! `/files` of the OpenAI-shaped dialects (OpenAI, Nebius): multipart upload, file object and content.

use std::sync::Arc;

use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::{OriginalUri, Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::Value;

use crate::dialect::Dialect;
use crate::error::{ApiError, ApiResult};
use crate::file::StoredFile;
use crate::ids;
use crate::state::Shared;
use crate::validation;

const PURPOSES: &[&str] = &[
    "assistants",
    "batch",
    "fine-tune",
    "vision",
    "user_data",
    "evals",
];

#[derive(Default)]
struct Form {
    purpose: Option<String>,
    file: Option<(String, Vec<u8>)>,
}

/// `POST /files`: stores the `file` part under its `purpose` (OpenAI and Nebius).
pub async fn upload(
    State(shared): State<Arc<Shared>>,
    OriginalUri(uri): OriginalUri,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<Value>> {
    let multipart = multipart
        .map_err(|e| ApiError::invalid(format!("Send the file as multipart/form-data ({e}).")))?;
    let form = read_form(multipart).await?;
    let purpose = form.purpose.ok_or_else(|| {
        ApiError::invalid("Missing required parameter: 'purpose'.").param("purpose")
    })?;
    if !PURPOSES.contains(&purpose.as_str()) {
        let message = format!(
            "'{purpose}' is not a valid purpose; use one of {}.",
            PURPOSES.join(", ")
        );
        return Err(ApiError::invalid(message).param("purpose"));
    }
    let (filename, bytes) = form
        .file
        .ok_or_else(|| ApiError::invalid("Missing required parameter: 'file'.").param("file"))?;
    if purpose == "fine-tune" {
        validation::check_upload(&bytes).map_err(|m| ApiError::invalid(m).param("file"))?;
    }
    let file = StoredFile {
        id: ids::new_id("file-"),
        filename,
        purpose,
        bytes,
        created_at: shared.now_secs(),
        dialect: Dialect::of_path(uri.path()),
    };
    let json = file.to_json();
    shared.store().files.insert(file.id.clone(), file);
    Ok(Json(json))
}

async fn read_form(mut multipart: Multipart) -> ApiResult<Form> {
    let mut form = Form::default();
    while let Some(field) = multipart.next_field().await.map_err(bad_form)? {
        match field.name() {
            Some("purpose") => form.purpose = Some(field.text().await.map_err(bad_form)?),
            Some("file") => {
                let name = field.file_name().unwrap_or("upload.jsonl").to_owned();
                let bytes = field.bytes().await.map_err(bad_form)?;
                form.file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    Ok(form)
}

fn bad_form(error: MultipartError) -> ApiError {
    ApiError::new(
        error.status(),
        "invalid_request_error",
        format!("Could not read the multipart body: {}.", error.body_text()),
    )
}

fn missing(id: &str) -> ApiError {
    ApiError::not_found(format!("No such File object: {id}")).param("id")
}

/// `GET /files/{id}`.
pub async fn retrieve(
    State(shared): State<Arc<Shared>>,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = shared.store();
    let dialect = Dialect::of_path(uri.path());
    let file = store.file(&id, dialect).ok_or_else(|| missing(&id))?;
    Ok(Json(file.to_json()))
}

/// `GET /files/{id}/content`: the stored bytes.
pub async fn content(
    State(shared): State<Arc<Shared>>,
    OriginalUri(uri): OriginalUri,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let store = shared.store();
    let dialect = Dialect::of_path(uri.path());
    let file = store.file(&id, dialect).ok_or_else(|| missing(&id))?;
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream")],
        file.bytes.clone(),
    ))
}
