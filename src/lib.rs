//! tuner: a GraphQL API server that turns curated example conversations into fine-tuned chat
//! models and tells every app which models exist.

pub mod app;
pub mod app_context;
pub mod auth;
pub mod available_models;
pub mod change_relay;
pub mod changes;
pub mod cli;
pub mod config;
pub mod context;
pub mod credits;
pub mod custom_models;
pub mod datasets;
pub mod db;
pub mod entities;
pub mod error;
pub mod global_rules;
pub mod graphql;
pub mod ids;
pub mod pagination;
pub mod provider;
pub mod provider_clients;
pub mod retirements;
pub mod schema;
pub mod secrets;
pub mod supervisor;
pub mod telemetry;
pub mod tenancy;
pub mod training_blocks;
pub mod training_jobs;
pub mod training_settings;
pub mod transfer;
pub mod validate;
pub mod webhook_signature;
pub mod webhooks;
pub mod workspaces;
