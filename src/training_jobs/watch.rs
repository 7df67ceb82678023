//! Watching training jobs as they move: the current state first, then an update after every
//! change announced on the [`ChangeBus`], re-read from the database (notices carry ids only).

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};
use futures_util::Stream;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;
use uuid::Uuid;

use crate::changes::{Change, ChangeBus, JobChanged};
use crate::entities::training_job::{self, JobStatus};
use crate::entities::training_job_event as event;
use crate::error::Result;

/// Which jobs to watch, all within one workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// One job; the watch ends once the job has ended.
    Job(Uuid),
    /// The jobs of one custom model (its active jobs at first, then any that changes).
    Model(Uuid),
    /// Every job of the workspace (its active jobs at first, then any that changes).
    Workspace,
}

/// A job as it now is, with the events stored since the previous update of the same job.
#[derive(Clone, Debug)]
pub struct Update {
    /// The job, re-read after the change.
    pub job: training_job::Model,
    /// Its events not sent before, oldest first.
    pub new_events: Vec<event::Model>,
}

/// What was last sent about a job.
struct Sent {
    status: JobStatus,
    updated_at: DateTime<Utc>,
    last_event: Option<Uuid>,
}

/// The state of one watch.
struct Watcher {
    db: DatabaseConnection,
    workspace_id: Uuid,
    scope: Scope,
    notices: Receiver<Change>,
    sent: HashMap<Uuid, Sent>,
    pending: VecDeque<Update>,
    done: bool,
}

/// Starts watching. Listens on `bus` before reading the current state, so no change falls in
/// between. NOT_FOUND when the scope's job or model is not the workspace's.
pub async fn watch(
    db: DatabaseConnection,
    bus: &ChangeBus,
    workspace_id: Uuid,
    scope: Scope,
) -> Result<impl Stream<Item = Result<Update>> + Send + 'static> {
    let notices = bus.subscribe();
    let initial = match scope {
        Scope::Job(id) => vec![super::get(&db, workspace_id, id).await?],
        Scope::Model(id) => {
            crate::custom_models::get(&db, workspace_id, id).await?;
            active_jobs(&db, workspace_id, Some(id)).await?
        }
        Scope::Workspace => active_jobs(&db, workspace_id, None).await?,
    };
    let mut watcher = Watcher {
        db,
        workspace_id,
        scope,
        notices,
        sent: HashMap::new(),
        pending: VecDeque::new(),
        done: false,
    };
    for job in initial {
        watcher.stage(job, true).await?;
    }
    Ok(futures_util::stream::unfold(watcher, |mut w| async move {
        w.next().await.map(|item| (item, w))
    }))
}

async fn active_jobs(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    model_id: Option<Uuid>,
) -> Result<Vec<training_job::Model>> {
    let mut select = super::in_workspace(workspace_id)
        .filter(training_job::Column::Status.is_in(JobStatus::ACTIVE));
    if let Some(model_id) = model_id {
        select = select.filter(training_job::Column::ModelId.eq(model_id));
    }
    Ok(select
        .order_by_asc(training_job::Column::Id)
        .all(db)
        .await?)
}

impl Watcher {
    /// The next update; `None` when the watch is over.
    async fn next(&mut self) -> Option<Result<Update>> {
        loop {
            if let Some(update) = self.pending.pop_front() {
                if matches!(self.scope, Scope::Job(_)) && update.job.status.is_terminal() {
                    self.done = true;
                    self.pending.clear();
                }
                return Some(Ok(update));
            }
            if self.done {
                return None;
            }
            let reread = match self.notices.recv().await {
                Ok(Change::Job(notice)) if self.concerns(&notice) => {
                    self.reread(&[notice.job_id]).await
                }
                Ok(Change::Job(_) | Change::Catalog(_)) => Ok(()),
                // Notices were lost: catch up with the latest state of every job in scope.
                Ok(Change::Resync) | Err(RecvError::Lagged(_)) => self.catch_up().await,
                Err(RecvError::Closed) => return None,
            };
            if let Err(err) = reread {
                self.done = true;
                return Some(Err(err));
            }
        }
    }

    fn concerns(&self, notice: &JobChanged) -> bool {
        notice.workspace_id == self.workspace_id
            && match self.scope {
                Scope::Job(id) => notice.job_id == id,
                Scope::Model(id) => notice.model_id == id,
                Scope::Workspace => true,
            }
    }

    async fn catch_up(&mut self) -> Result<()> {
        let mut ids: Vec<Uuid> = self.sent.keys().copied().collect();
        let model = match self.scope {
            Scope::Job(id) => return self.reread(&[id]).await,
            Scope::Model(id) => Some(id),
            Scope::Workspace => None,
        };
        for job in active_jobs(&self.db, self.workspace_id, model).await? {
            if !ids.contains(&job.id) {
                ids.push(job.id);
            }
        }
        self.reread(&ids).await
    }

    async fn reread(&mut self, ids: &[Uuid]) -> Result<()> {
        for &id in ids {
            let job = super::in_workspace(self.workspace_id)
                .filter(training_job::Column::Id.eq(id))
                .one(&self.db)
                .await?;
            if let Some(job) = job {
                self.stage(job, false).await?;
            }
        }
        Ok(())
    }

    /// Queues an update for `job` when something changed since the last one (or `always`).
    async fn stage(&mut self, job: training_job::Model, always: bool) -> Result<()> {
        let last_event = self.sent.get(&job.id).and_then(|sent| sent.last_event);
        let new_events = events_after(&self.db, job.id, last_event).await?;
        let changed = self
            .sent
            .get(&job.id)
            .is_none_or(|sent| sent.status != job.status || sent.updated_at != job.updated_at);
        if !(always || changed || !new_events.is_empty()) {
            return Ok(());
        }
        let sent = Sent {
            status: job.status,
            updated_at: job.updated_at,
            last_event: new_events.last().map(|e| e.id).or(last_event),
        };
        self.sent.insert(job.id, sent);
        self.pending.push_back(Update { job, new_events });
        Ok(())
    }
}

/// The job's events stored after `after` (all when `None`), oldest first.
async fn events_after(
    db: &DatabaseConnection,
    job_id: Uuid,
    after: Option<Uuid>,
) -> Result<Vec<event::Model>> {
    let mut select = event::Entity::find().filter(event::Column::JobId.eq(job_id));
    if let Some(after) = after {
        select = select.filter(event::Column::Id.gt(after));
    }
    Ok(select.order_by_asc(event::Column::Id).all(db).await?)
}
