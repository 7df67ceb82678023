//! The adapter for OpenAI's fine-tuning API and servers that copy it (Azure OpenAI's v1 API,
//! Nebius Token Factory, local emulators). OpenAI and Azure differ only in base URL and auth
//! header; Nebius's differences (see [`super::nebius`]) are chosen by [`Flavour`].

use std::path::Path;

use chrono::NaiveDate;
use reqwest::multipart::Form;
use reqwest::Method;
use serde::de::DeserializeOwned;

use super::base_models::{self, BaseModel};
use super::http::{HttpClient, Replay};
use super::upload::{file_part, id_segment};
use super::wire::{self, CheckpointWire, EventWire, FileWire, JobWire, ListWire, ModelWire};
use super::{
    nebius, CreateJobRequest, DeployRequest, Deployment, EventPage, FineTuningProvider, JobMarker,
    ProviderCheckpoint, ProviderError, ProviderEvent, ProviderJob, ProviderJobStatus, Serving,
    UploadedFile,
};

/// Page size for the list calls tuner pages through itself.
const PAGE_SIZE: u32 = 100;

/// Which copy of OpenAI's API an adapter speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavour {
    /// OpenAI itself and Azure OpenAI: metadata on jobs, multipliers, models callable at once.
    OpenAi,
    /// Nebius Token Factory: absolute learning rate, LoRA fields, no metadata, losses on
    /// checkpoints, models callable once a checkpoint is registered.
    Nebius,
}

/// An OpenAI-compatible fine-tuning API.
pub(crate) struct OpenAiCompatible {
    http: HttpClient,
    flavour: Flavour,
}

impl OpenAiCompatible {
    pub(crate) fn new(http: HttpClient, flavour: Flavour) -> Self {
        Self { http, flavour }
    }

    /// Every job on the provider's list that `keep` accepts, newest first.
    async fn jobs_where(
        &self,
        filter: &[(String, String)],
        keep: impl Fn(&ProviderJob) -> bool,
    ) -> Result<Vec<ProviderJob>, ProviderError> {
        let segments = ["fine_tuning", "jobs"];
        let mut jobs = self
            .all_pages::<ProviderJob, JobWire>(&segments, filter, |job| job.id.clone())
            .await?;
        jobs.retain(keep);
        jobs.sort_by_key(|job| std::cmp::Reverse(job.created_at));
        Ok(jobs)
    }

    async fn get<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(String, String)],
    ) -> Result<T, ProviderError> {
        let label = format!("GET /{}", segments.join("/"));
        let body = self
            .http
            .execute(&label, Replay::Safe, || async {
                Ok(self.http.request(Method::GET, segments).query(query))
            })
            .await?;
        wire::decode(&label, &body)
    }

    async fn post<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        json: Option<&serde_json::Value>,
        replay: Replay,
    ) -> Result<T, ProviderError> {
        let label = format!("POST /{}", segments.join("/"));
        let body = self
            .http
            .execute(&label, replay, || async {
                let request = self.http.request(Method::POST, segments);
                Ok(match json {
                    Some(json) => request.json(json),
                    None => request,
                })
            })
            .await?;
        wire::decode(&label, &body)
    }

    /// Every job on the list, following `has_more` with `after` = the last id of each page.
    async fn all_pages<T, W>(
        &self,
        segments: &[&str],
        filter: &[(String, String)],
        id: impl Fn(&T) -> String,
    ) -> Result<Vec<T>, ProviderError>
    where
        W: DeserializeOwned + Into<T>,
    {
        let mut items: Vec<T> = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut query = filter.to_vec();
            query.push(("limit".into(), PAGE_SIZE.to_string()));
            query.extend(
                after
                    .iter()
                    .map(|after| ("after".to_owned(), after.clone())),
            );
            let page: ListWire<W> = self.get(segments, &query).await?;
            let has_more = page.has_more;
            let before = items.len();
            items.extend(page.into_data().into_iter().map(Into::into));
            let last = items[before..].last().map(&id);
            match (has_more, last) {
                (false, _) => return Ok(items),
                (true, Some(last)) if after.as_ref() != Some(&last) => after = Some(last),
                (true, _) => {
                    let message = format!(
                        "the provider said more of GET /{} follows but sent no new items; \
                         is the base URL an OpenAI-compatible API?",
                        segments.join("/")
                    );
                    return Err(ProviderError::Protocol { message });
                }
            }
        }
    }
}

#[async_trait::async_trait]
impl FineTuningProvider for OpenAiCompatible {
    async fn list_models(&self) -> Result<Vec<String>, ProviderError> {
        let list: ListWire<ModelWire> = self.get(&["models"], &[]).await?;
        Ok(list.into_data().into_iter().map(|model| model.id).collect())
    }

    async fn announced_shutdowns(&self) -> Result<Vec<(String, NaiveDate)>, ProviderError> {
        let list: ListWire<ModelWire> = self.get(&["models"], &[]).await?;
        Ok(list
            .into_data()
            .into_iter()
            .filter_map(|model| {
                let day = model.shutdown_day()?;
                Some((model.id, day))
            })
            .collect())
    }

    /// OpenAI lists every model, tunable or not: tuner's list of tunable ones. Nebius lists
    /// the models it serves, which are the ones it fine-tunes.
    async fn list_base_models(&self) -> Result<Vec<BaseModel>, ProviderError> {
        match self.flavour {
            Flavour::OpenAi => Ok(base_models::openai_tunable()),
            Flavour::Nebius => {
                let answer: serde_json::Value = self.get(&["models"], &[]).await?;
                Ok(base_models::listed_models(&answer))
            }
        }
    }

    async fn upload_training_file(
        &self,
        path: &Path,
        filename: &str,
    ) -> Result<UploadedFile, ProviderError> {
        let label = "POST /files";
        let body = self
            .http
            .execute(label, Replay::Safe, || async {
                let (part, _) = file_part(path, filename, "application/octet-stream").await?;
                let form = Form::new().text("purpose", "fine-tune").part("file", part);
                Ok(self.http.upload(&["files"]).multipart(form))
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
        let body = match self.flavour {
            Flavour::OpenAi => wire::create_job_body(request),
            Flavour::Nebius => nebius::create_job_body(request),
        };
        // Not idempotent: a repeat after a timeout could start (and bill) a second job. Callers
        // that lose an answer find the job again with `find_job`.
        let job: JobWire = self
            .post(&["fine_tuning", "jobs"], Some(&body), Replay::UnsentOnly)
            .await?;
        Ok(job.into())
    }

    async fn get_job(&self, job_id: &str) -> Result<ProviderJob, ProviderError> {
        let segments = ["fine_tuning", "jobs", id_segment(job_id)?];
        let job: JobWire = self.get(&segments, &[]).await?;
        let mut job: ProviderJob = job.into();
        let unnamed = job.fine_tuned_model.is_none() && job.status == ProviderJobStatus::Succeeded;
        if self.flavour == Flavour::Nebius && unnamed {
            let checkpoints = self.list_checkpoints(&job.id).await?;
            job.fine_tuned_model = nebius::trained_checkpoint(&job.id, &checkpoints);
        }
        Ok(job)
    }

    async fn find_job(&self, marker: &JobMarker) -> Result<Option<ProviderJob>, ProviderError> {
        let found = match self.flavour {
            Flavour::OpenAi => {
                let key = format!("metadata[{}]", super::JOB_ID_METADATA);
                let filter = [(key, marker.tuner_job_id.clone())];
                self.jobs_where(&filter, |_| true).await?
            }
            Flavour::Nebius => {
                let Some(file) = marker.training_file.as_deref() else {
                    return Ok(None);
                };
                self.jobs_where(&[], |job| job.training_file.as_deref() == Some(file))
                    .await?
            }
        };
        Ok(found.into_iter().next())
    }

    async fn cancel_job(&self, job_id: &str) -> Result<ProviderJob, ProviderError> {
        let segments = ["fine_tuning", "jobs", id_segment(job_id)?, "cancel"];
        let job: JobWire = self.post(&segments, None, Replay::Safe).await?;
        Ok(job.into())
    }

    async fn list_events(
        &self,
        job_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<EventPage, ProviderError> {
        let segments = ["fine_tuning", "jobs", id_segment(job_id)?, "events"];
        let mut query = vec![("limit".to_owned(), limit.max(1).to_string())];
        query.extend(after.map(|after| ("after".to_owned(), after.to_owned())));
        let page: ListWire<EventWire> = self.get(&segments, &query).await?;
        let has_more = page.has_more;
        let events = page.into_data().into_iter().map(Into::into);
        let events = match self.flavour {
            Flavour::OpenAi => events.collect(),
            Flavour::Nebius => events.map(nebius::as_message).collect(),
        };
        Ok(EventPage { events, has_more })
    }

    async fn list_checkpoints(
        &self,
        job_id: &str,
    ) -> Result<Vec<ProviderCheckpoint>, ProviderError> {
        let segments = ["fine_tuning", "jobs", id_segment(job_id)?, "checkpoints"];
        self.all_pages::<ProviderCheckpoint, CheckpointWire>(&segments, &[], |checkpoint| {
            checkpoint.id.clone()
        })
        .await
    }

    async fn list_metrics(&self, job_id: &str) -> Result<Vec<ProviderEvent>, ProviderError> {
        match self.flavour {
            Flavour::OpenAi => Ok(Vec::new()),
            Flavour::Nebius => {
                let checkpoints = self.list_checkpoints(job_id).await?;
                Ok(nebius::checkpoint_metrics(&checkpoints))
            }
        }
    }

    fn serving(&self) -> Serving {
        match self.flavour {
            Flavour::OpenAi => Serving::Immediate,
            Flavour::Nebius => Serving::AfterDeployment,
        }
    }

    /// Nebius: registers the trained checkpoint as a custom model (`POST /v0/models`).
    async fn deploy(&self, request: &DeployRequest) -> Result<Deployment, ProviderError> {
        if self.flavour != Flavour::Nebius {
            return Err(not_deployable());
        }
        let v0 = self.http.sibling("v0");
        let label = "POST /v0/models";
        let body = nebius::register_body(request);
        // Not repeated after a lost answer (the name would then be taken): the model it may
        // have registered is looked for by its source instead (Nebius names it).
        let registered = v0
            .execute(label, Replay::UnsentOnly, || async {
                Ok(v0.request(Method::POST, &["models"]).json(&body))
            })
            .await
            .and_then(|answer| nebius::registered_model(&wire::decode(label, &answer)?));
        match registered {
            Err(error) if error.may_have_taken_effect() => {
                let listed = v0
                    .execute("GET /v0/models", Replay::Safe, || async {
                        Ok(v0.request(Method::GET, &["models"]))
                    })
                    .await?;
                let listed = wire::decode("GET /v0/models", &listed)?;
                match nebius::registered_from(&listed, &request.trained_model) {
                    Some(found) => nebius::registered_model(found),
                    None => Err(error),
                }
            }
            other => other,
        }
    }

    async fn get_deployment(&self, id: &str) -> Result<Option<Deployment>, ProviderError> {
        if self.flavour != Flavour::Nebius {
            return Ok(None);
        }
        let v0 = self.http.sibling("v0");
        let label = "GET /v0/models/{name}";
        let answer = v0
            .execute(label, Replay::Safe, || async {
                Ok(v0.request(Method::GET, &["models", id]))
            })
            .await;
        match answer {
            Ok(body) => nebius::registered_model(&wire::decode(label, &body)?).map(Some),
            Err(ProviderError::NotFound { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn undeploy(&self, id: &str) -> Result<(), ProviderError> {
        if self.flavour != Flavour::Nebius {
            return Ok(());
        }
        let v0 = self.http.sibling("v0");
        let answer = v0
            .execute("DELETE /v0/models/{name}", Replay::Safe, || async {
                Ok(v0.request(Method::DELETE, &["models", id]))
            })
            .await;
        match answer {
            Ok(_) | Err(ProviderError::NotFound { .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }
}

fn not_deployable() -> ProviderError {
    ProviderError::Rejected {
        status: 400,
        code: Some("deployment_not_needed".into()),
        message: "this provider serves trained models as soon as training ends".into(),
        param: None,
    }
}
