//! Training datasets: the chat JSONL data contract, token counting, checks and estimates.

pub mod format;
