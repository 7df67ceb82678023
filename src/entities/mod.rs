//! SeaORM entities: one file per table. They describe storage only; the API has its own types.

pub mod api_token;
pub mod chat_usage;
pub mod credit_ledger;
pub mod custom_model;
pub mod exchange;
pub mod global_rule;
pub mod provider_credential;
pub mod reported_retirement;
pub mod training_block;
pub mod training_job;
pub mod training_job_block;
pub mod training_job_checkpoint;
pub mod training_job_event;
pub mod webhook_delivery;
pub mod workspace;
