//! Shared emulator state: configuration, clock, knobs, and the store of files and jobs.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::clock::{secs, Clock, Millis};
use crate::config::EmulatorConfig;
use crate::dataset::Dataset;
use crate::delays::Delays;
use crate::deployment::Deployment;
use crate::dialect::Dialect;
use crate::faults::Faults;
use crate::file::StoredFile;
use crate::job::Job;
use crate::lifecycle;
use crate::lock::lock;
use crate::request_log::RequestLog;

/// Everything one emulator instance holds; shared by the server and the [`crate::Emulator`] handle.
#[derive(Debug)]
pub struct Shared {
    pub config: EmulatorConfig,
    pub clock: Clock,
    pub faults: Faults,
    pub log: RequestLog,
    /// Extra delay before every API response, in milliseconds.
    pub latency_ms: AtomicU64,
    /// Responses held back after their request was handled.
    pub delays: Delays,
    /// Pause between two streamed chat-completion chunks, in milliseconds.
    pub stream_delay_ms: AtomicU64,
    store: Mutex<Store>,
}

/// Files, datasets, jobs and deployments, in creation order.
#[derive(Debug, Default)]
pub struct Store {
    pub files: HashMap<String, StoredFile>,
    pub jobs: Vec<Job>,
    /// Fireworks datasets.
    pub datasets: Vec<Dataset>,
    /// Together endpoints, Fireworks deployments and Nebius custom models.
    pub deployments: Vec<Deployment>,
    /// Shutdown days set for OpenAI models (`None`: announced as none), over the defaults.
    pub shutdown_dates: std::collections::BTreeMap<String, Option<String>>,
}

impl Shared {
    pub fn new(config: EmulatorConfig) -> Arc<Self> {
        let stream_delay_ms = AtomicU64::new(config.stream_delay_ms);
        Arc::new(Self {
            clock: Clock::new(config.clock),
            config,
            faults: Faults::default(),
            log: RequestLog::default(),
            latency_ms: AtomicU64::new(0),
            delays: Delays::default(),
            stream_delay_ms,
            store: Mutex::new(Store::default()),
        })
    }

    pub fn now_ms(&self) -> Millis {
        self.clock.now_ms()
    }

    pub fn now_secs(&self) -> i64 {
        secs(self.now_ms())
    }

    /// Locks the store after bringing every job up to the current virtual time.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        let now = self.now_ms();
        let mut store = lock(&self.store);
        store.sync(now);
        store
    }
}

impl Store {
    fn sync(&mut self, now: Millis) {
        for job in &mut self.jobs {
            if let Some(results) = lifecycle::advance(job, now) {
                self.files.insert(results.id.clone(), results);
            }
        }
    }

    /// An OpenAI job by id.
    pub fn job(&self, id: &str) -> Option<&Job> {
        self.job_in(Dialect::OpenAi, id)
    }

    /// An OpenAI job by id, to change it.
    pub fn job_mut(&mut self, id: &str) -> Option<&mut Job> {
        self.job_in_mut(Dialect::OpenAi, id)
    }

    /// A job of `dialect` by id.
    pub fn job_in(&self, dialect: Dialect, id: &str) -> Option<&Job> {
        self.jobs
            .iter()
            .find(|job| job.id == id && job.dialect() == dialect)
    }

    /// A job of `dialect` by id, to change it.
    pub fn job_in_mut(&mut self, dialect: Dialect, id: &str) -> Option<&mut Job> {
        self.jobs
            .iter_mut()
            .find(|job| job.id == id && job.dialect() == dialect)
    }

    /// The jobs of `dialect`, oldest first.
    pub fn jobs_of(&self, dialect: Dialect) -> impl DoubleEndedIterator<Item = &Job> {
        self.jobs.iter().filter(move |job| job.dialect() == dialect)
    }

    /// A file uploaded to `dialect`.
    pub fn file(&self, id: &str, dialect: Dialect) -> Option<&StoredFile> {
        self.files.get(id).filter(|file| file.dialect == dialect)
    }
}
