//! SeaORM entities: one file per table. They describe storage only; the API has its own types.

pub mod api_token;
pub mod custom_model;
pub mod exchange;
pub mod global_rule;
pub mod training_block;
pub mod workspace;
