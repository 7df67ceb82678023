//! Fireworks datasets: create (`{datasetId, dataset}`), `{id}:upload` (multipart `file`), get,
//! list, delete.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::multipart::Multipart;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{StatusCode, Uri};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::dataset::Dataset;
use crate::error::{ApiError, ApiResult};
use crate::fireworks::list::ListQuery;
use crate::fireworks::names;
use crate::routes::json_body;
use crate::routes::multipart::Form;
use crate::state::{Shared, Store};
use crate::validation;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Create {
    dataset_id: String,
    dataset: DatasetBody,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DatasetBody {
    display_name: Option<String>,
}

fn not_found(name: &str) -> ApiError {
    ApiError::not_found(format!("dataset \"{name}\" not found"))
}

fn find_mut<'a>(store: &'a mut Store, name: &str) -> ApiResult<&'a mut Dataset> {
    store
        .datasets
        .iter_mut()
        .find(|d| d.name == name)
        .ok_or_else(|| not_found(name))
}

/// `POST .../datasets`: an empty dataset in state `UPLOADING`.
pub async fn create(
    State(shared): State<Arc<Shared>>,
    Path(account): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let request: Create = json_body(&body)?;
    names::check_id(&request.dataset_id, "dataset")?;
    let name = names::name(&account, "datasets", &request.dataset_id);
    let now = shared.now_ms();
    let mut store = shared.store();
    if store.datasets.iter().any(|d| d.name == name) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "invalid_request_error",
            format!("dataset \"{name}\" already exists"),
        ));
    }
    let dataset = Dataset {
        name,
        display_name: request.dataset.display_name,
        created_ms: now,
        updated_ms: now,
        file: None,
        example_count: 0,
    };
    let json = dataset.to_json();
    store.datasets.push(dataset);
    Ok(Json(json))
}

/// `POST .../datasets/{id}:upload` (multipart `file`); other `:verbs` are not emulated.
pub async fn action(
    State(shared): State<Arc<Shared>>,
    Path((account, id)): Path<(String, String)>,
    request: Request,
) -> ApiResult<Json<Value>> {
    let Some(id) = id.strip_suffix(":upload") else {
        return Err(ApiError::not_found(format!(
            "the emulator does not serve POST .../datasets/{id}"
        )));
    };
    let name = names::name(&account, "datasets", id);
    let multipart = Multipart::from_request(request, &shared).await;
    let form = Form::read(multipart).await?;
    let (file_name, bytes) = form
        .file
        .ok_or_else(|| ApiError::invalid("missing multipart part 'file'"))?;
    validation::check_upload(&bytes).map_err(ApiError::invalid)?;
    let now = shared.now_ms();
    let mut store = shared.store();
    let dataset = find_mut(&mut store, &name)?;
    let examples = String::from_utf8_lossy(&bytes)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count();
    let size = bytes.len();
    dataset.example_count = examples;
    dataset.updated_ms = now;
    dataset.file = Some((file_name.clone(), bytes));
    Ok(Json(json!({
        "id": id,
        "object": "file",
        "bytes": size,
        "created_at": now / 1000,
        "filename": file_name,
        "purpose": "fine-tune",
    })))
}

/// `GET .../datasets/{id}`.
pub async fn retrieve(
    State(shared): State<Arc<Shared>>,
    Path((account, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let name = names::name(&account, "datasets", &id);
    let mut store = shared.store();
    Ok(Json(find_mut(&mut store, &name)?.to_json()))
}

/// `GET .../datasets?filter=&pageSize=&pageToken=`.
pub async fn list(
    State(shared): State<Arc<Shared>>,
    Path(account): Path<String>,
    uri: Uri,
) -> ApiResult<Json<Value>> {
    let query = ListQuery::from_query(uri.query())?;
    let prefix = format!("accounts/{account}/datasets/");
    let store = shared.store();
    let items = store
        .datasets
        .iter()
        .filter(|d| d.name.starts_with(&prefix))
        .map(|d| (d.name.clone(), d.created_ms, d.to_json()))
        .filter(|(_, _, json)| {
            query.keeps(|field| json.get(field).and_then(Value::as_str).map(str::to_owned))
        })
        .collect();
    Ok(Json(query.page("datasets", items)))
}

/// `DELETE .../datasets/{id}`.
pub async fn delete(
    State(shared): State<Arc<Shared>>,
    Path((account, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let name = names::name(&account, "datasets", &id);
    let mut store = shared.store();
    find_mut(&mut store, &name)?;
    store.datasets.retain(|d| d.name != name);
    Ok(Json(json!({})))
}
