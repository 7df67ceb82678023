//! Watching training jobs as they move: the current state first, then an update after every
//! change, as the process's [`JobFeed`] re-read it (or, when the feed's read leaves a gap, as the
//! watcher re-reads it).

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};
use futures_util::Stream;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;
use uuid::Uuid;

use super::feed::{FeedItem, JobFeed, JobRead, Subscription};
use crate::entities::training_job::{self, JobStatus};
use crate::entities::training_job_event as event;
use crate::error::Result;
use crate::ids::{JobId, ModelId, WorkspaceId};
use crate::tenancy::WorkspaceScoped;

/// Which jobs to watch, all within one workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// One job; the watch ends once the job has ended.
    Job(JobId),
    /// The jobs of one custom model (its active jobs at first, then any that changes).
    Model(ModelId),
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
    workspace_id: WorkspaceId,
    scope: Scope,
    feed: Receiver<FeedItem>,
    /// Feed reads numbered up to this one are older than the watcher's first read.
    fresh_after: u64,
    sent: HashMap<JobId, Sent>,
    pending: VecDeque<Update>,
    done: bool,
}

/// Starts watching. Listens to `feed` before reading the current state, so no change falls in
/// between. NOT_FOUND when the scope's job or model is not the workspace's.
pub async fn watch(
    db: DatabaseConnection,
    feed: &JobFeed,
    workspace_id: WorkspaceId,
    scope: Scope,
) -> Result<impl Stream<Item = Result<Update>> + Send + 'static> {
    let Subscription {
        items: feed,
        fresh_after,
    } = feed.subscribe();
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
        feed,
        fresh_after,
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
    workspace_id: WorkspaceId,
    model_id: Option<ModelId>,
) -> Result<Vec<training_job::Model>> {
    let mut select = training_job::Entity::in_workspace(workspace_id)
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
            let reread = match self.feed.recv().await {
                Ok(FeedItem::Job(read)) if self.concerns(&read.job) => self.take(&read).await,
                Ok(FeedItem::Unread(notice))
                    if self.concerns_ids(notice.job_id, notice.model_id) =>
                {
                    self.reread(&[notice.job_id]).await
                }
                Ok(FeedItem::Job(_) | FeedItem::Unread(_)) => Ok(()),
                // Changes were missed: catch up with the latest state of every job in scope.
                Ok(FeedItem::Resync) | Err(RecvError::Lagged(_)) => self.catch_up().await,
                Err(RecvError::Closed) => return None,
            };
            if let Err(err) = reread {
                self.done = true;
                return Some(Err(err));
            }
        }
    }

    fn concerns(&self, job: &training_job::Model) -> bool {
        job.workspace_id == self.workspace_id && self.concerns_ids(job.id, job.model_id)
    }

    /// Whether a job of this workspace with these ids is in scope.
    fn concerns_ids(&self, job_id: JobId, model_id: ModelId) -> bool {
        match self.scope {
            Scope::Job(id) => job_id == id,
            Scope::Model(id) => model_id == id,
            Scope::Workspace => true,
        }
    }

    /// Stages the feed's read of a job, or reads the job when the feed's read leaves a gap.
    /// A read begun before this watcher's own first read is skipped: it is no fresher.
    async fn take(&mut self, read: &JobRead) -> Result<()> {
        if read.number <= self.fresh_after {
            return Ok(());
        }
        let last_event = self.sent.get(&read.job.id).and_then(|sent| sent.last_event);
        match read.events_since(last_event) {
            Some(new_events) => {
                self.stage_with(read.job.clone(), new_events, false);
                Ok(())
            }
            None => self.reread(&[read.job.id]).await,
        }
    }

    async fn catch_up(&mut self) -> Result<()> {
        let mut ids: Vec<JobId> = self.sent.keys().copied().collect();
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

    async fn reread(&mut self, ids: &[JobId]) -> Result<()> {
        for &id in ids {
            let job = training_job::Entity::in_workspace(self.workspace_id)
                .filter(training_job::Column::Id.eq(id))
                .one(&self.db)
                .await?;
            if let Some(job) = job {
                self.stage(job, false).await?;
            }
        }
        Ok(())
    }

    /// Reads the events of `job` not sent yet and stages them with it.
    async fn stage(&mut self, job: training_job::Model, always: bool) -> Result<()> {
        let last_event = self.sent.get(&job.id).and_then(|sent| sent.last_event);
        let new_events = events_after(&self.db, job.id, last_event).await?;
        self.stage_with(job, new_events, always);
        Ok(())
    }

    /// Queues an update for `job` when something changed since the last one (or `always`).
    fn stage_with(
        &mut self,
        job: training_job::Model,
        new_events: Vec<event::Model>,
        always: bool,
    ) {
        let last_event = self.sent.get(&job.id).and_then(|sent| sent.last_event);
        let changed = self
            .sent
            .get(&job.id)
            .is_none_or(|sent| sent.status != job.status || sent.updated_at != job.updated_at);
        if !(always || changed || !new_events.is_empty()) {
            return;
        }
        let sent = Sent {
            status: job.status,
            updated_at: job.updated_at,
            last_event: new_events.last().map(|e| e.id).or(last_event),
        };
        self.sent.insert(job.id, sent);
        self.pending.push_back(Update { job, new_events });
    }
}

/// The job's events stored after `after` (all when `None`), oldest first.
async fn events_after(
    db: &DatabaseConnection,
    job_id: JobId,
    after: Option<Uuid>,
) -> Result<Vec<event::Model>> {
    let mut select = event::Entity::find().filter(event::Column::JobId.eq(job_id));
    if let Some(after) = after {
        select = select.filter(event::Column::Id.gt(after));
    }
    Ok(select.order_by_asc(event::Column::Id).all(db).await?)
}
