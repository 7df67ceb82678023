//! Together `/files`: multipart upload (`purpose`, `file_name`, `file`), list, retrieve, delete, content.

use std::sync::Arc;

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

use crate::dialect::Dialect;
use crate::error::{ApiError, ApiResult};
use crate::file::StoredFile;
use crate::routes::multipart::Form;
use crate::state::Shared;
use crate::together::wire;
use crate::validation;

const PURPOSES: &[&str] = &[
    "fine-tune",
    "eval",
    "eval-sample",
    "eval-output",
    "eval-summary",
    "batch-generated",
    "batch-api",
];

fn missing(id: &str) -> ApiError {
    ApiError::not_found(format!("File {id} not found.")).param("id")
}

/// `POST /files/upload`.
pub async fn upload(
    State(shared): State<Arc<Shared>>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<Value>> {
    let form = Form::read(multipart).await?;
    let purpose = form.required("purpose")?.to_owned();
    if !PURPOSES.contains(&purpose.as_str()) {
        let message = format!(
            "'{purpose}' is not a valid purpose; use one of {}.",
            PURPOSES.join(", ")
        );
        return Err(ApiError::invalid(message).param("purpose"));
    }
    let file_name = form.required("file_name")?.to_owned();
    let (_, bytes) = form
        .file
        .ok_or_else(|| ApiError::invalid("Missing required parameter: 'file'.").param("file"))?;
    if purpose == "fine-tune" {
        validation::check_upload(&bytes).map_err(|m| ApiError::invalid(m).param("file"))?;
    }
    let file = StoredFile {
        id: format!("file-{}", uuid::Uuid::new_v4()),
        filename: file_name,
        purpose,
        bytes,
        created_at: shared.now_secs(),
        dialect: Dialect::Together,
    };
    let json = wire::file(&file);
    shared.store().files.insert(file.id.clone(), file);
    Ok(Json(json))
}

/// `GET /files`, newest first.
pub async fn list(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let store = shared.store();
    let mut files: Vec<&StoredFile> = store
        .files
        .values()
        .filter(|f| f.dialect == Dialect::Together)
        .collect();
    files.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    let data: Vec<Value> = files.into_iter().map(wire::file).collect();
    Json(json!({"data": data}))
}

/// `GET /files/{id}`.
pub async fn retrieve(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let store = shared.store();
    let file = store
        .file(&id, Dialect::Together)
        .ok_or_else(|| missing(&id))?;
    Ok(Json(wire::file(file)))
}

/// `DELETE /files/{id}`.
pub async fn delete(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let mut store = shared.store();
    store
        .file(&id, Dialect::Together)
        .ok_or_else(|| missing(&id))?;
    store.files.remove(&id);
    Ok(Json(json!({"id": id, "deleted": true})))
}

/// `GET /files/{id}/content`.
pub async fn content(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let store = shared.store();
    let file = store
        .file(&id, Dialect::Together)
        .ok_or_else(|| missing(&id))?;
    Ok(([(header::CONTENT_TYPE, "text/plain")], file.bytes.clone()))
}
