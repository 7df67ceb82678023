//! Emulator of the fine-tuning APIs tuner uses (development only): OpenAI, Together AI,
//! Fireworks AI and Nebius Token Factory, each a *dialect* under its own path prefix on one
//! listener, all in memory, all driven by one virtual clock.
//!
//! [`Emulator::spawn`] serves it in-process on 127.0.0.1 for tests; [`serve`] runs it on a given
//! listener for the `tuner-emulator` binary.
//!
//! # Dialects and base URLs
//!
//! | Dialect | Base URL ([`Emulator::base_url_for`]) | Chat ([`Emulator::inference_url_for`]) |
//! |---|---|---|
//! | [`Dialect::OpenAi`] | `/v1` (Azure: `/openai/v1`) | `/v1/chat/completions` |
//! | [`Dialect::Together`] | `/together/v1` | `/together/v1/chat/completions` |
//! | [`Dialect::Fireworks`] | `/fireworks/v1` + `/accounts/{account}/…` | `/fireworks/inference/v1/chat/completions` |
//! | [`Dialect::Nebius`] | `/nebius/v1` (custom models: [`Emulator::nebius_v0_url`] = `/nebius/v0`) | `/nebius/v1/chat/completions` |
//!
//! - **OpenAI**: `/files`, `/fine_tuning/jobs` (+ `/events`, `/checkpoints`, `/cancel`), `/models`.
//! - **Together**: `/files/upload` (multipart `purpose`, `file_name`, `file`), `/files`,
//!   `/fine-tunes` (create, list, get, delete, `/cancel`, `/events`, `/checkpoints`,
//!   `/metrics`), `/fine-tunes/models/supported`, `/fine-tunes/models/limits`, `/endpoints`
//!   (PENDING → STARTING → STARTED), `/models`. Jobs fail with status `error` and a `job_error`
//!   event when user and assistant turns do not alternate.
//! - **Fireworks**: `/datasets` (+ `{id}:upload`), `/supervisedFineTuningJobs` (list takes
//!   `filter=dataset="accounts/a/datasets/d"`; `DELETE` cancels), `/models/{id}`,
//!   `/deployments` (CREATING → READY, scale to zero when idle). A tuned model is called as
//!   `accounts/a/models/m#accounts/a/deployments/d`. Fewer than 3 examples fail the job.
//! - **Nebius**: OpenAI's paths with Nebius hyperparameters (`learning_rate`, `lora`, `lora_r`,
//!   `lora_alpha`, `context_length`, `packing`…); checkpoints `ftckpt_…` carry `train_loss` and
//!   `valid_loss`; `POST /v0/models {name, base_model, source: "ftjob-…:ftckpt_…"}` registers a
//!   model (validating → active) callable by its returned `name`.
//!
//! Every dialect answers chat completions deterministically with
//! `[model=X] [system=Y] echo: <last user message>` and token `usage`, as JSON or (with
//! `stream: true`) Server-Sent Events, pausing [`EmulatorConfig::stream_delay_ms`] between
//! chunks. Errors take each provider's shape: OpenAI's `{"error":{…}}` (also Together and
//! Nebius), Fireworks' `{"code","message","details"}` on its control plane and
//! `{"error":{"object":"error",…}}` on inference.
//!
//! # Knobs
//!
//! Faults, held responses and request counts match by method and path prefix, so they target
//! one dialect (`/together/v1/fine-tunes`, `/fireworks/`) or all of them (empty prefix); an
//! injected error is rendered in the shape of the dialect it hits. A garbage fault
//! (`{"garbage": true}` in place of a status) lets the request take effect and answers a 200
//! whose body no client can read. The `/_emulator` admin
//! routes (no key) are `clock`, `clock/advance`, `faults`, `latency`, `delays`, `requests`,
//! `stream-delay {"ms"}` and `undeploy-idle {"idle_secs"}` (deletes idle Fireworks
//! deployments, stops idle Together endpoints, as the providers do).

mod auth;
mod catalog;
mod chat;
mod clock;
mod config;
mod dataset;
mod delays;
mod deployment;
mod dialect;
mod emulator;
mod error;
mod error_shape;
mod faults;
mod file;
mod fireworks;
mod hyperparams;
mod ids;
mod job;
mod job_request;
mod lifecycle;
mod lock;
mod matching;
mod middleware;
mod models;
mod nebius;
mod pagination;
mod request_log;
mod routes;
mod state;
mod together;
mod training;
mod validation;

pub use config::{ClockMode, EmulatorConfig};
pub use dialect::Dialect;
pub use emulator::{serve, Emulator};
