//! tuner's integration tests: one binary, one module per area, all on the `TestApp` harness.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod announcements;
mod auth;
mod available_models;
mod chat;
mod cli;
mod custom_models;
mod database;
mod global_rules;
mod harness;
mod isolation;
mod limits;
mod metrics;
mod pagination;
mod persisted_queries;
mod schema;
mod shutdown;
mod smoke;
mod subscriptions;
mod token_checks;
mod training_blocks;
mod training_jobs;
mod transfer;
mod webhooks;
mod websocket_protocol;
