//! The checks a provider's data rules add: strict user/assistant alternation (Together) and
//! the training file's size limit. Like the other checks they name the blocks at fault.

use super::checks::{Blocks, Example};
use super::format::{ASSISTANT, SYSTEM, USER};
use super::report::{DatasetIssue, FILE_TOO_LARGE, TURNS_DO_NOT_ALTERNATE};
use crate::provider::DataRules;

/// Running state of the provider's checks.
#[derive(Debug)]
pub(super) struct ProviderChecks {
    rules: DataRules,
    bytes: u64,
    not_alternating: Blocks,
    beyond_limit: Blocks,
}

impl ProviderChecks {
    pub(super) fn new(rules: DataRules) -> Self {
        Self {
            rules,
            bytes: 0,
            not_alternating: Blocks::default(),
            beyond_limit: Blocks::default(),
        }
    }

    pub(super) fn rules(&self) -> DataRules {
        self.rules
    }

    pub(super) fn check(&mut self, example: &Example<'_>) {
        if self.rules.strict_alternation && !alternates(example) {
            self.not_alternating.note(example.block_id);
        }
        self.bytes = self.bytes.saturating_add(example.bytes);
        if self.bytes > self.rules.max_file_bytes {
            self.beyond_limit.note(example.block_id);
        }
    }

    /// The errors found.
    pub(super) fn finish(self) -> [Option<DatasetIssue>; 2] {
        let (total, limit) = (self.bytes, self.rules.max_file_bytes);
        [
            self.not_alternating.into_issue(TURNS_DO_NOT_ALTERNATE, |n| {
                format!(
                    "{n} whose user and assistant turns do not alternate (user first, assistant \
                     last), which the provider requires; give each of those blocks whole \
                     exchanges"
                )
            }),
            self.beyond_limit.into_issue(FILE_TOO_LARGE, |n| {
                format!(
                    "the training file would be {} MB, over the provider's limit of {} MB; {n} \
                     past the limit: train the blocks in parts (input.tag selects a part)",
                    total.div_ceil(1_000_000),
                    limit / 1_000_000
                )
            }),
        ]
    }
}

/// Whether the turns after the system message go user, assistant, user, … and end with the
/// assistant.
fn alternates(example: &Example<'_>) -> bool {
    let turns: Vec<&str> = example
        .messages
        .iter()
        .map(|m| m.role)
        .skip_while(|role| *role == SYSTEM)
        .collect();
    let in_order = turns
        .iter()
        .enumerate()
        .all(|(i, role)| *role == if i % 2 == 0 { USER } else { ASSISTANT });
    in_order && turns.last() == Some(&ASSISTANT)
}

