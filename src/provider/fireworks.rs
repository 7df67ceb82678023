//! The adapter for Fireworks AI's control plane (`{base}/accounts/{account}/...`): training data
//! goes into a dataset (created, uploaded, then READY), a `supervisedFineTuningJob` trains a LoRA
//! model named `accounts/{a}/models/{m}`, and that model is callable only through a deployment
//! (serverless LoRA was removed), as `accounts/{a}/models/{m}#accounts/{a}/deployments/{d}`.
//!
//! Fireworks keeps no metadata on jobs, so a lost job is found again by its dataset; it has no
//! cancel (a job is deleted instead), no event log and no loss curve: progress is read from the
//! job's `jobProgress.percent` and stored as one event per change.

use std::path::Path;
use std::time::Duration;

use reqwest::multipart::Form;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::fireworks_wire::{self as fw, DatasetWire, JobListWire, JobWire};
use super::http::{HttpClient, Replay};
use super::upload::{file_part, id_segment};
use super::wire;
use super::{
    BaseModel, CreateJobRequest, DeployRequest, Deployment, EventPage, FineTuningProvider,
    JobMarker, ProviderCheckpoint, ProviderError, ProviderEvent, ProviderJob, ProviderJobStatus,
    Serving, UploadedFile,
};

/// How often a new dataset is read while Fireworks prepares it, at most.
const DATASET_POLLS: u32 = 24;
/// First pause between dataset reads; doubles up to [`DATASET_POLL_MAX`].
const DATASET_POLL_FIRST: Duration = Duration::from_millis(500);
const DATASET_POLL_MAX: Duration = Duration::from_secs(5);
/// Jobs asked for per page when looking for a lost one, and pages read at most.
const JOB_PAGE_SIZE: &str = "200";
const JOB_PAGES: usize = 50;
/// Seconds without requests after which a deployment scales to zero replicas (and its billing
/// stops); Fireworks removes deployments that stay idle.
const SCALE_TO_ZERO_SECONDS: u64 = 3600;

/// Fireworks AI, bound to one account (the HTTP client's base URL ends in `/accounts/{id}`).
pub(crate) struct Fireworks {
    http: HttpClient,
}

impl Fireworks {
    pub(crate) fn new(http: HttpClient) -> Self {
        Self { http }
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, &str)],
        json: Option<&Value>,
        replay: Replay,
    ) -> Result<T, ProviderError> {
        let label = format!("{method} .../{}", segments.join("/"));
        let body = self
            .http
            .execute(&label, replay, || async {
                let mut request = self.http.request(method.clone(), segments);
                if !query.is_empty() {
                    request = request.query(query);
                }
                Ok(match json {
                    Some(json) => request.json(json),
                    None => request,
                })
            })
            .await?;
        wire::decode(&label, &body)
    }

    async fn get<T: DeserializeOwned>(&self, segments: &[&str]) -> Result<T, ProviderError> {
        self.send(Method::GET, segments, &[], None, Replay::Safe)
            .await
    }

    async fn job(&self, job_id: &str) -> Result<JobWire, ProviderError> {
        self.get(&["supervisedFineTuningJobs", segment(job_id)?])
            .await
    }

    /// Creates the dataset; one that already exists (a repeated request) is fine.
    async fn create_dataset(&self, dataset_id: &str) -> Result<(), ProviderError> {
        let body = fw::create_dataset_body(dataset_id);
        let created = self
            .send::<Value>(Method::POST, &["datasets"], &[], Some(&body), Replay::Safe)
            .await;
        match created {
            Ok(_) | Err(ProviderError::Rejected { status: 409, .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Waits until the dataset is READY, reading it a bounded number of times.
    async fn dataset_ready(&self, dataset_id: &str) -> Result<String, ProviderError> {
        let mut pause = DATASET_POLL_FIRST;
        let mut last_state = String::new();
        for poll in 0..DATASET_POLLS {
            if poll > 0 {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(DATASET_POLL_MAX);
            }
            let dataset: DatasetWire = self.get(&["datasets", dataset_id]).await?;
            last_state = dataset.state.unwrap_or_default();
            match last_state.as_str() {
                "READY" => return Ok(dataset.name),
                "FAILED" | "DELETED" => break,
                _ => {}
            }
        }
        Err(ProviderError::Unavailable {
            message: format!(
                "Fireworks did not make the dataset {dataset_id} READY (state {last_state:?}); \
                 check it in the Fireworks console, then run the job again"
            ),
        })
    }
}

/// A resource id as a URL segment (a full `accounts/...` name is cut to its id); an empty one
/// would silently address the collection instead.
fn segment(id: &str) -> Result<&str, ProviderError> {
    id_segment(fw::short_id(id))
}

/// A fresh multipart form for one upload attempt, with the file's length.
async fn upload_form(path: &Path, filename: &str) -> Result<(Form, u64), ProviderError> {
    let (part, length) = file_part(path, filename, "application/jsonl").await?;
    Ok((Form::new().part("file", part), length))
}

fn protocol(message: String) -> ProviderError {
    ProviderError::Protocol { message }
}

#[async_trait::async_trait]
impl FineTuningProvider for Fireworks {
    /// The account's models (a check of the key and account id).
    async fn list_models(&self) -> Result<Vec<String>, ProviderError> {
        let answer: Value = self.get(&["models"]).await?;
        Ok(fw::model_names(&answer))
    }

    /// The tunable base models, listed under Fireworks' own account (`accounts/fireworks`).
    async fn list_base_models(&self) -> Result<Vec<BaseModel>, ProviderError> {
        let catalog = self.http.sibling("fireworks");
        let label = "GET /accounts/fireworks/models";
        let body = catalog
            .execute(label, Replay::Safe, || async {
                Ok(catalog.request(Method::GET, &["models"]))
            })
            .await?;
        let answer: Value = super::wire::decode(label, &body)?;
        Ok(fw::base_models(&answer))
    }

    /// Creates a dataset named after the file, uploads the file into it and waits until it is
    /// READY; the file id is the dataset's resource name.
    async fn upload_training_file(
        &self,
        path: &Path,
        filename: &str,
    ) -> Result<UploadedFile, ProviderError> {
        let dataset_id = fw::dataset_id(filename);
        self.create_dataset(&dataset_id).await?;
        let action = format!("{dataset_id}:upload");
        let label = format!("POST .../datasets/{action}");
        let segments = ["datasets", action.as_str()];
        // Repeating an upload replaces the dataset's file: harmless.
        self.http
            .execute(&label, Replay::Safe, || async {
                let (form, _) = upload_form(path, filename).await?;
                Ok(self.http.upload(&segments).multipart(form))
            })
            .await?;
        let name = self.dataset_ready(&dataset_id).await?;
        let bytes = tokio::fs::metadata(path).await.map_or(0, |meta| meta.len());
        Ok(UploadedFile { id: name, bytes })
    }

    async fn create_job(&self, request: &CreateJobRequest) -> Result<ProviderJob, ProviderError> {
        let body = fw::create_job_body(request);
        // Not idempotent: after a lost answer the job is looked for with `find_job`.
        let job: JobWire = self
            .send(
                Method::POST,
                &["supervisedFineTuningJobs"],
                &[],
                Some(&body),
                Replay::UnsentOnly,
            )
            .await?;
        Ok(job.into())
    }

    async fn get_job(&self, job_id: &str) -> Result<ProviderJob, ProviderError> {
        Ok(self.job(job_id).await?.into())
    }

    /// The newest job trained on the marker's dataset (Fireworks keeps no metadata).
    async fn find_job(&self, marker: &JobMarker) -> Result<Option<ProviderJob>, ProviderError> {
        let Some(dataset) = marker.training_file.as_deref() else {
            return Ok(None);
        };
        let filter = format!("dataset=\"{dataset}\"");
        let mut token = String::new();
        let mut newest: Option<ProviderJob> = None;
        for _ in 0..JOB_PAGES {
            let query = [
                ("filter", filter.as_str()),
                ("pageSize", JOB_PAGE_SIZE),
                ("pageToken", token.as_str()),
            ];
            let page: JobListWire = self
                .send(
                    Method::GET,
                    &["supervisedFineTuningJobs"],
                    &query,
                    None,
                    Replay::Safe,
                )
                .await?;
            let (jobs, next) = page.into_parts();
            let found = jobs
                .into_iter()
                .map(ProviderJob::from)
                .filter(|job| job.training_file.as_deref() == Some(dataset));
            for job in found {
                if newest
                    .as_ref()
                    .is_none_or(|n| job.created_at > n.created_at)
                {
                    newest = Some(job);
                }
            }
            match next {
                Some(next) => token = next,
                None => break,
            }
        }
        Ok(newest)
    }

    /// Fireworks has no cancel: a job still going is deleted (which stops it), and reported
    /// cancelled. A job that already ended is left alone (deleting it would remove its model).
    async fn cancel_job(&self, job_id: &str) -> Result<ProviderJob, ProviderError> {
        let mut job: ProviderJob = self.job(job_id).await?.into();
        if job.status.is_terminal() {
            return Ok(job);
        }
        let segments = ["supervisedFineTuningJobs", segment(job_id)?];
        match self
            .send::<Value>(Method::DELETE, &segments, &[], None, Replay::Safe)
            .await
        {
            Ok(_) | Err(ProviderError::NotFound { .. }) => {}
            Err(error) => return Err(error),
        }
        job.status = ProviderJobStatus::Cancelled;
        job.finished_at = Some(chrono::Utc::now().timestamp());
        Ok(job)
    }

    /// The job's state and progress as one event (Fireworks has no event log); none for a job
    /// that is gone (cancelled jobs are deleted).
    async fn list_events(
        &self,
        job_id: &str,
        after: Option<&str>,
        _limit: u32,
    ) -> Result<EventPage, ProviderError> {
        if after.is_some() {
            return Ok(EventPage {
                events: Vec::new(),
                has_more: false,
            });
        }
        let events = match self.job(job_id).await {
            Ok(job) => vec![job.progress_event()],
            // Cancelling deletes the job: a deleted job has nothing more to say.
            Err(ProviderError::NotFound { .. }) => Vec::new(),
            Err(error) => return Err(error),
        };
        Ok(EventPage {
            events,
            has_more: false,
        })
    }

    /// Fireworks' job API exposes no intermediate checkpoints.
    async fn list_checkpoints(
        &self,
        _job_id: &str,
    ) -> Result<Vec<ProviderCheckpoint>, ProviderError> {
        Ok(Vec::new())
    }

    /// Fireworks' job API exposes no loss figures (only a percentage, kept as events).
    async fn list_metrics(&self, _job_id: &str) -> Result<Vec<ProviderEvent>, ProviderError> {
        Ok(Vec::new())
    }

    fn serving(&self) -> Serving {
        Serving::AfterDeployment
    }

    /// An on-demand deployment of the trained model, from zero to one replica, scaled to zero
    /// after an hour without requests. A deployment of that name already there (an earlier
    /// request whose answer was lost) is taken as it is.
    async fn deploy(&self, request: &DeployRequest) -> Result<Deployment, ProviderError> {
        let id = fw::resource_id(&request.name);
        let body = fw::create_deployment_body(
            &request.trained_model,
            &request.name,
            &request.options,
            SCALE_TO_ZERO_SECONDS,
        );
        let query = [("deploymentId", id.as_str())];
        // Not repeated after a lost answer: the deployment it may have made is read by its id
        // instead (and a later try meets it as a conflict).
        let created = self
            .send::<Value>(
                Method::POST,
                &["deployments"],
                &query,
                Some(&body),
                Replay::UnsentOnly,
            )
            .await;
        let deployment = match created {
            Ok(deployment) => deployment,
            Err(ProviderError::Rejected { status: 409, .. }) => {
                self.get(&["deployments", id.as_str()]).await?
            }
            Err(error) if error.may_have_taken_effect() => {
                return match self.get_deployment(&id).await? {
                    Some(found) => Ok(found),
                    None => Err(error),
                };
            }
            Err(error) => return Err(error),
        };
        fw::deployment_of(&deployment).map_err(protocol)
    }

    async fn get_deployment(&self, id: &str) -> Result<Option<Deployment>, ProviderError> {
        match self.get::<Value>(&["deployments", segment(id)?]).await {
            Ok(deployment) => fw::deployment_of(&deployment).map(Some).map_err(protocol),
            Err(ProviderError::NotFound { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn undeploy(&self, id: &str) -> Result<(), ProviderError> {
        let segments = ["deployments", segment(id)?];
        match self
            .send::<Value>(Method::DELETE, &segments, &[], None, Replay::Safe)
            .await
        {
            Ok(_) | Err(ProviderError::NotFound { .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }
}
