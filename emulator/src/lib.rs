//! Emulator of the OpenAI fine-tuning API subset that tuner uses (development only).
//!
//! [`Emulator::spawn`] serves it in-process on 127.0.0.1 for tests; [`serve`] runs it on a given
//! listener for the `tuner-emulator` binary. Everything lives in memory.

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
