//! The adapter for Together AI's fine-tuning API (`/files/upload`, `/fine-tunes`): uploads,
//! jobs, typed events, `/metrics` loss snapshots and checkpoints. Together keeps no metadata on
//! jobs, so a lost job is found again by its training file; a trained model is callable only
//! once deployed on an endpoint.

use std::path::Path;

use reqwest::multipart::Form;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::base_models::{self, BaseModel};
use super::http::{HttpClient, Replay};
use super::together_wire::{self as tw, CheckpointWire, DataWire, EventWire, JobWire, MetricsWire};
use super::upload::{file_part, id_segment};
use super::wire::{self, FileWire};
use super::{
    CreateJobRequest, DeployRequest, Deployment, DeploymentState, EventPage, FineTuningProvider,
    JobMarker, ProviderCheckpoint, ProviderError, ProviderEvent, ProviderJob, Serving,
    UploadedFile,
};

/// Together AI's fine-tuning API.
pub(crate) struct Together {
    http: HttpClient,
}

impl Together {
    pub(crate) fn new(http: HttpClient) -> Self {
        Self { http }
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        json: Option<&Value>,
        replay: Replay,
    ) -> Result<T, ProviderError> {
        let label = format!("{method} /{}", segments.join("/"));
        let body = self
            .exchange(&label, method, segments, json, replay)
            .await?;
        wire::decode(&label, &body)
    }

    /// One request (retried as `replay` allows); the answer's body, unread.
    async fn exchange(
        &self,
        label: &str,
        method: Method,
        segments: &[&str],
        json: Option<&Value>,
        replay: Replay,
    ) -> Result<bytes::Bytes, ProviderError> {
        self.http
            .execute(label, replay, || async {
                let request = self.http.request(method.clone(), segments);
                Ok(match json {
                    Some(json) => request.json(json),
                    None => request,
                })
            })
            .await
    }

    async fn get<T: DeserializeOwned>(&self, segments: &[&str]) -> Result<T, ProviderError> {
        self.send(Method::GET, segments, None, Replay::Safe).await
    }

    /// The newest dedicated endpoint serving `model` that is not stopping or stopped.
    async fn endpoint_serving(&self, model: &str) -> Result<Option<Deployment>, ProviderError> {
        let listed: Value = self.get(&["endpoints"]).await?;
        let newest = listed
            .get("data")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|e| e.get("model").and_then(Value::as_str) == Some(model))
            .filter(|e| {
                let state = e.get("state").and_then(Value::as_str).unwrap_or_default();
                !matches!(state, "STOPPING" | "STOPPED" | "ERROR")
            })
            .max_by_key(|e| {
                e.get("created_at")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
            });
        newest.map(endpoint_of).transpose()
    }
}

fn now_seconds() -> i64 {
    chrono::Utc::now().timestamp()
}

#[async_trait::async_trait]
impl FineTuningProvider for Together {
    async fn list_models(&self) -> Result<Vec<String>, ProviderError> {
        let answer: Value = self.get(&["models"]).await?;
        Ok(tw::model_ids(&answer))
    }

    async fn list_base_models(&self) -> Result<Vec<BaseModel>, ProviderError> {
        let supported: Value = self.get(&["fine-tunes", "models", "supported"]).await?;
        let models: Value = self.get(&["models"]).await?;
        Ok(base_models::together_supported(&supported, &models))
    }

    async fn upload_training_file(
        &self,
        path: &Path,
        filename: &str,
    ) -> Result<UploadedFile, ProviderError> {
        let label = "POST /files/upload";
        let body = self
            .http
            .execute(label, Replay::Safe, || async {
                let (part, _) = file_part(path, filename, "application/octet-stream").await?;
                let form = Form::new()
                    .text("purpose", "fine-tune")
                    .text("file_name", filename.to_owned())
                    .part("file", part);
                Ok(self.http.upload(&["files", "upload"]).multipart(form))
            })
            .await?;
        let file: FileWire = wire::decode(label, &body)?;
        let bytes = match file.bytes {
            Some(bytes) => bytes,
            None => tokio::fs::metadata(path).await.map_or(0, |meta| meta.len()),
        };
        Ok(UploadedFile { id: file.id, bytes })
    }

    async fn create_job(&self, request: &CreateJobRequest) -> Result<ProviderJob, ProviderError> {
        let body = tw::create_job_body(request);
        // Not idempotent: after a lost answer the job is looked for with `find_job`.
        let job: JobWire = self
            .send(
                Method::POST,
                &["fine-tunes"],
                Some(&body),
                Replay::UnsentOnly,
            )
            .await?;
        Ok(job.into())
    }

    async fn get_job(&self, job_id: &str) -> Result<ProviderJob, ProviderError> {
        let job: JobWire = self.get(&["fine-tunes", id_segment(job_id)?]).await?;
        Ok(job.into())
    }

    async fn find_job(&self, marker: &JobMarker) -> Result<Option<ProviderJob>, ProviderError> {
        let Some(file) = marker.training_file.as_deref() else {
            return Ok(None);
        };
        // Together lists every job in one answer (no pages), newest first.
        let list: DataWire<JobWire> = self.get(&["fine-tunes"]).await?;
        let newest = list
            .into_data()
            .into_iter()
            .map(ProviderJob::from)
            .filter(|job| job.training_file.as_deref() == Some(file))
            .max_by_key(|job| job.created_at);
        Ok(newest)
    }

    async fn cancel_job(&self, job_id: &str) -> Result<ProviderJob, ProviderError> {
        let segments = ["fine-tunes", id_segment(job_id)?, "cancel"];
        let job: JobWire = self
            .send(Method::POST, &segments, None, Replay::Safe)
            .await?;
        Ok(job.into())
    }

    /// Together sends the whole log at once; `after` and `limit` page through it here.
    async fn list_events(
        &self,
        job_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<EventPage, ProviderError> {
        let segments = ["fine-tunes", id_segment(job_id)?, "events"];
        let list: DataWire<EventWire> = self.get(&segments).await?;
        let newest_first = tw::events(job_id.trim(), list.into_data());
        let start = after
            .and_then(|after| newest_first.iter().position(|e| e.id == after))
            .map_or(0, |at| at + 1);
        let limit = usize::try_from(limit.max(1)).unwrap_or(usize::MAX);
        let rest = newest_first.len().saturating_sub(start);
        let events: Vec<ProviderEvent> = newest_first.into_iter().skip(start).take(limit).collect();
        Ok(EventPage {
            has_more: rest > events.len(),
            events,
        })
    }

    async fn list_checkpoints(
        &self,
        job_id: &str,
    ) -> Result<Vec<ProviderCheckpoint>, ProviderError> {
        let segments = ["fine-tunes", id_segment(job_id)?, "checkpoints"];
        let list: DataWire<CheckpointWire> = self.get(&segments).await?;
        Ok(tw::checkpoints(job_id.trim(), list.into_data()))
    }

    async fn list_metrics(&self, job_id: &str) -> Result<Vec<ProviderEvent>, ProviderError> {
        let segments = ["fine-tunes", id_segment(job_id)?, "metrics"];
        let answer: MetricsWire = self.get(&segments).await?;
        Ok(tw::metrics(job_id.trim(), answer, now_seconds()))
    }

    fn serving(&self) -> Serving {
        Serving::AfterDeployment
    }

    /// A dedicated endpoint of one replica on one GPU, stopped by Together after an hour idle.
    async fn deploy(&self, request: &DeployRequest) -> Result<Deployment, ProviderError> {
        let options = &request.options;
        let min_replicas = options.min_replicas.unwrap_or(1);
        let body = json!({
            "model": request.trained_model,
            "display_name": request.name,
            "hardware": options.hardware.as_deref().unwrap_or(ENDPOINT_HARDWARE),
            "autoscaling": {
                "min_replicas": min_replicas,
                "max_replicas": options.max_replicas.unwrap_or(min_replicas.max(1)),
            },
            "inactive_timeout": options.idle_minutes.map_or(ENDPOINT_IDLE_MINUTES, u64::from),
        });
        // Not repeated after a lost answer (a second endpoint would be billed too): the
        // endpoint it may have started is looked for instead.
        let created = self
            .send::<Value>(
                Method::POST,
                &["endpoints"],
                Some(&body),
                Replay::UnsentOnly,
            )
            .await;
        match created {
            Ok(endpoint) => endpoint_of(&endpoint),
            Err(error) if error.may_have_taken_effect() => {
                match self.endpoint_serving(&request.trained_model).await? {
                    Some(found) => Ok(found),
                    None => Err(error),
                }
            }
            Err(error) => Err(error),
        }
    }

    async fn get_deployment(&self, id: &str) -> Result<Option<Deployment>, ProviderError> {
        match self.get::<Value>(&["endpoints", id_segment(id)?]).await {
            Ok(endpoint) => endpoint_of(&endpoint).map(Some),
            Err(ProviderError::NotFound { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn undeploy(&self, id: &str) -> Result<(), ProviderError> {
        let segments = ["endpoints", id_segment(id)?];
        // Together answers 204 No Content: there is no body to read.
        let label = "DELETE /endpoints/{id}";
        match self
            .exchange(label, Method::DELETE, &segments, None, Replay::Safe)
            .await
        {
            Ok(_) | Err(ProviderError::NotFound { .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }
}

/// The GPU a dedicated endpoint runs on unless the admin chose one (Together's hardware id).
const ENDPOINT_HARDWARE: &str = "1x_nvidia_h100_80gb_sxm";
/// Minutes without requests after which Together stops an endpoint (and its billing), unless
/// the admin chose otherwise.
const ENDPOINT_IDLE_MINUTES: u64 = 60;

/// A Together endpoint (`PENDING`, `STARTING`, `STARTED`, `STOPPING`, `STOPPED`, `ERROR`):
/// bots call it by its `name`.
fn endpoint_of(endpoint: &Value) -> Result<Deployment, ProviderError> {
    let text = |field: &str| {
        endpoint
            .get(field)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let (Some(id), Some(name)) = (text("id"), text("name")) else {
        return Err(ProviderError::Protocol {
            message: "the endpoint answer has no id or name".into(),
        });
    };
    let provider_state = text("state").unwrap_or_else(|| "UNKNOWN".into());
    let state = match provider_state.as_str() {
        "STARTED" => DeploymentState::Ready,
        "STOPPING" | "STOPPED" | "ERROR" | "FAILED" => DeploymentState::Down,
        _ => DeploymentState::Pending,
    };
    Ok(Deployment {
        id,
        state,
        provider_state,
        model: name,
    })
}
