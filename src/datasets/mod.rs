//! Training datasets: the chat JSONL data contract, token counting, checks and estimates.

mod checks;
pub mod compiler;
pub mod estimate;
pub mod format;
pub mod models;
mod pretokenize;
pub mod prices;
mod provider_checks;
mod ranks;
pub mod report;
pub mod tokens;
