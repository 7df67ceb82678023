//! What compiling a dataset found: sizes, token statistics, the file's digest and the issues.
//!
//! Plain data (no GraphQL, HTTP or database types): the service and GraphQL layers wrap it.

use crate::ids::BlockId;
use serde::Serialize;

/// Fewest examples OpenAI accepts (`invalid_n_examples` below this); each provider's own
/// minimum is in its data rules.
pub const MIN_EXAMPLES: usize = 10;
/// Most block ids an issue lists; `count` says how many blocks it concerns in all.
pub const MAX_ISSUE_BLOCK_IDS: usize = 20;

/// Error: the dataset has fewer examples than the provider needs.
pub const TOO_FEW_EXAMPLES: &str = "TOO_FEW_EXAMPLES";
/// Error: an example has more tokens than the model accepts.
pub const EXAMPLE_TOO_LONG: &str = "EXAMPLE_TOO_LONG";
/// Error: a user or assistant message is empty (or only whitespace).
pub const EMPTY_CONTENT: &str = "EMPTY_CONTENT";
/// Error: user and assistant turns do not alternate, and the provider requires it.
pub const TURNS_DO_NOT_ALTERNATE: &str = "TURNS_DO_NOT_ALTERNATE";
/// Error: the training file is larger than the provider accepts.
pub const FILE_TOO_LARGE: &str = "FILE_TOO_LARGE";
/// Warning: an example is an exact repeat of an earlier one.
pub const DUPLICATE_EXAMPLE: &str = "DUPLICATE_EXAMPLE";
/// Warning: the provider takes no new jobs after a date that is near (or past).
pub const PROVIDER_STOPS_JOBS: &str = "PROVIDER_STOPS_JOBS";
/// Warning (a notice): the job trains from the base model on every block the model was trained
/// on, not only on the NOT_TRAINED ones.
pub const RETRAINS_ALL_BLOCKS: &str = "RETRAINS_ALL_BLOCKS";
/// Warning: an example has no user message.
pub const MISSING_USER_MESSAGE: &str = "MISSING_USER_MESSAGE";

/// One problem with a dataset and the blocks it concerns.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DatasetIssue {
    /// A stable code, e.g. `EXAMPLE_TOO_LONG`.
    pub code: &'static str,
    /// What is wrong and what to change.
    pub message: String,
    /// The first blocks concerned, in dataset order (at most [`MAX_ISSUE_BLOCK_IDS`]).
    pub block_ids: Vec<BlockId>,
    /// How many blocks it concerns in all (or, for `TOO_FEW_EXAMPLES`, how many there are).
    pub count: usize,
}

/// The result of compiling a dataset.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DatasetReport {
    /// Examples (lines) written.
    pub examples: usize,
    /// Tokens of all examples, counted the way the provider counts them.
    pub total_tokens: u64,
    /// Tokens of the shortest example (0 when there are none).
    pub min_tokens: usize,
    /// Tokens of the longest example (0 when there are none).
    pub max_tokens: usize,
    /// Mean tokens per example (0 when there are none).
    pub mean_tokens: f64,
    /// The encoding tokens were counted with, e.g. `o200k_base`.
    pub encoding: &'static str,
    /// True when the model was unknown and the encoding a guess.
    pub encoding_assumed: bool,
    /// Most tokens one example may hold for the model.
    pub token_limit: usize,
    /// True when the model was unknown and the limit a guess.
    pub token_limit_assumed: bool,
    /// Problems that make the provider reject the dataset.
    pub errors: Vec<DatasetIssue>,
    /// Problems worth a look that the provider accepts.
    pub warnings: Vec<DatasetIssue>,
    /// SHA-256 (lowercase hex) of every byte written.
    pub file_sha256: String,
    /// Bytes written.
    pub file_bytes: u64,
    /// The first lines written, without their newline.
    pub sample_lines: Vec<String>,
}

impl DatasetReport {
    /// True when the provider would reject the dataset.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The error or warning with a code, if the dataset has it.
    pub fn issue(&self, code: &str) -> Option<&DatasetIssue> {
        self.errors
            .iter()
            .chain(&self.warnings)
            .find(|issue| issue.code == code)
    }
}
