//! Emulator of the OpenAI fine-tuning API subset that tuner uses (development only).
//!
//! [`Emulator::spawn`] serves it in-process on 127.0.0.1 for tests; [`serve`] runs it on a given
//! listener for the `tuner-emulator` binary. Everything lives in memory.

mod auth;
mod clock;
mod config;
mod delays;
mod emulator;
mod error;
mod faults;
mod file;
mod hyperparams;
mod ids;
mod job;
mod job_request;
mod lifecycle;
mod lock;
mod matching;
mod middleware;
mod models;
mod pagination;
mod request_log;
mod routes;
mod state;
mod training;
mod validation;

pub use config::{ClockMode, EmulatorConfig};
pub use emulator::{serve, Emulator};
