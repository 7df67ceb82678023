//! The public handle: spawn an emulator in-process, turn its knobs and inspect what it holds.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::clock::Millis;
use crate::config::EmulatorConfig;
use crate::deployment::Phase;
use crate::dialect::Dialect;
use crate::routes;
use crate::state::Shared;
use crate::{fireworks, nebius, together};

/// A running emulator. Clones share the same state; the server stops when the last clone drops.
#[derive(Clone)]
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    // Dropping the last sender completes the server's shutdown future.
    _stop: Arc<oneshot::Sender<()>>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr)
            .finish()
    }
}

impl Emulator {
    /// Binds 127.0.0.1 on a free port and serves in a tokio task.
    pub async fn spawn(config: EmulatorConfig) -> std::io::Result<Emulator> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Shared::new(config);
        let (stop, stopped) = oneshot::channel::<()>();
        let app = routes::app(shared.clone());
        tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(error) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(%error, "tuner-emulator server failed");
            }
        });
        Ok(Emulator {
            shared,
            addr,
            _stop: Arc::new(stop),
        })
    }

    /// OpenAI-style base URL, e.g. `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Azure OpenAI v1 base URL, e.g. `http://127.0.0.1:PORT/openai/v1`.
    pub fn azure_base_url(&self) -> String {
        format!("http://{}/openai/v1", self.addr)
    }

    /// The base URL of `dialect`'s main API: `…/v1`, `…/together/v1`, `…/fireworks/v1` (add
    /// `/accounts/{account}/…`) or `…/nebius/v1` (Nebius' custom models are under
    /// [`Emulator::nebius_v0_url`]).
    pub fn base_url_for(&self, dialect: Dialect) -> String {
        format!("http://{}{}", self.addr, dialect.base_path())
    }

    /// The base URL serving `/chat/completions` for `dialect` (`…/fireworks/inference/v1` for
    /// Fireworks, the same as [`Emulator::base_url_for`] otherwise).
    pub fn inference_url_for(&self, dialect: Dialect) -> String {
        format!("http://{}{}", self.addr, dialect.inference_path())
    }

    /// Nebius' `/v0` base (custom models: `POST …/nebius/v0/models`).
    pub fn nebius_v0_url(&self) -> String {
        format!("http://{}/nebius/v0", self.addr)
    }

    /// Pauses `millis` between streamed chat-completion chunks.
    pub fn set_stream_delay(&self, millis: u64) {
        self.shared.stream_delay_ms.store(millis, Ordering::SeqCst);
    }

    /// Undeploys what has served no request for `idle_secs` virtual seconds, as providers do:
    /// Fireworks deployments are deleted, Together endpoints stopped. Returns their names.
    pub fn undeploy_idle(&self, idle_secs: u64) -> Vec<String> {
        undeploy_idle(&self.shared, idle_secs)
    }

    /// Makes `GET /v1/models` list `model` (and the models tuned from it) with `shutdown_date`
    /// `day` (`YYYY-MM-DD`; `None`: not announced).
    pub fn set_shutdown_date(&self, model: &str, day: Option<&str>) {
        self.shared
            .store()
            .shutdown_dates
            .insert(model.to_owned(), day.map(str::to_owned));
    }

    /// The ids of `dialect`'s deployments that have not been deleted, oldest first (stopped
    /// Together endpoints included).
    pub fn deployments_for(&self, dialect: Dialect) -> Vec<String> {
        let store = self.shared.store();
        store
            .deployments
            .iter()
            .filter(|d| d.dialect == dialect)
            .map(|d| d.id.clone())
            .collect()
    }

    /// The job with `id` in `dialect`'s wire shape, as that provider's GET would return it.
    pub fn job_for(&self, dialect: Dialect, id: &str) -> Option<Value> {
        let now = self.shared.now_ms();
        let store = self.shared.store();
        let job = store.jobs_of(dialect).find(|job| job.id == id)?;
        Some(render_job(job, now))
    }

    /// All of `dialect`'s jobs in its wire shape, newest first.
    pub fn jobs_for(&self, dialect: Dialect) -> Vec<Value> {
        let now = self.shared.now_ms();
        let store = self.shared.store();
        store
            .jobs_of(dialect)
            .rev()
            .map(|job| render_job(job, now))
            .collect()
    }

    /// Moves the virtual clock forward (in real-clock mode this skips ahead).
    pub fn advance(&self, seconds: u64) {
        self.shared.clock.advance(seconds);
    }

    /// The next `count` requests whose method matches (`""`/`"*"` = any) and whose path starts
    /// with `path_prefix` (a `/v1/...` prefix also matches `/openai/v1/...`) answer `status`
    /// with an OpenAI-shaped error, and a `Retry-After` header when given.
    pub fn fail_next(
        &self,
        method: &str,
        path_prefix: &str,
        status: u16,
        count: u32,
        retry_after_secs: Option<u64>,
    ) {
        self.shared
            .faults
            .add(method, path_prefix, status, count, retry_after_secs);
    }

    /// Drops every pending fault.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// Makes the next `count` requests matching `method` and `path_prefix` take effect, then
    /// answer a 200 whose body no client can read.
    pub fn garble_next(&self, method: &str, path_prefix: &str, count: u32) {
        self.shared.faults.add_garbage(method, path_prefix, count);
    }

    /// Delays every API response by `millis` (0 turns it off).
    pub fn set_latency(&self, millis: u64) {
        self.shared.latency_ms.store(millis, Ordering::SeqCst);
    }

    /// Handles requests matching the method (`""`/`"*"` = any) and path prefix at once, but
    /// holds their responses for `millis` (0 removes the rule): what the request does is done
    /// even if the client gives up or dies before the answer arrives.
    pub fn hold_responses(&self, method: &str, path_prefix: &str, millis: u64) {
        self.shared.delays.set(method, path_prefix, millis);
    }

    /// How many API requests matching the method and path prefix have arrived.
    pub fn requests(&self, method: &str, path_prefix: &str) -> usize {
        self.shared.log.count(method, path_prefix)
    }

    /// The job as `GET /fine_tuning/jobs/{id}` would return it.
    pub fn job(&self, id: &str) -> Option<Value> {
        self.shared.store().job(id).map(|job| job.to_json())
    }

    /// All jobs, newest first.
    pub fn jobs(&self) -> Vec<Value> {
        self.shared
            .store()
            .jobs_of(Dialect::OpenAi)
            .rev()
            .map(|job| job.to_json())
            .collect()
    }

    /// The bytes of an uploaded (or generated) file.
    pub fn file_content(&self, file_id: &str) -> Option<Vec<u8>> {
        self.shared
            .store()
            .files
            .get(file_id)
            .map(|file| file.bytes.clone())
    }
}

fn render_job(job: &crate::job::Job, now: Millis) -> Value {
    match job.dialect() {
        Dialect::OpenAi => job.to_json(),
        Dialect::Together => together::wire::job(job, now, true),
        Dialect::Fireworks => fireworks::wire::job(job, now),
        Dialect::Nebius => nebius::wire::job(job),
    }
}

/// Deletes idle Fireworks deployments and stops idle Together endpoints; returns their names.
pub(crate) fn undeploy_idle(shared: &Shared, idle_secs: u64) -> Vec<String> {
    let now = shared.now_ms();
    let idle_ms = crate::clock::ms_of_secs(idle_secs);
    let mut store = shared.store();
    let mut names = Vec::new();
    store.deployments.retain_mut(|d| {
        let idle = d.phase(now) == Phase::Ready && d.idle_ms(now) >= idle_ms;
        match d.dialect {
            Dialect::Fireworks if idle => {
                names.push(d.name.clone());
                false
            }
            Dialect::Together if idle => {
                d.stopped = true;
                names.push(d.name.clone());
                true
            }
            _ => true,
        }
    });
    names
}

/// Serves an emulator on `listener` until `shutdown` completes (used by the binary).
pub async fn serve(
    listener: TcpListener,
    config: EmulatorConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = routes::app(Shared::new(config));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
