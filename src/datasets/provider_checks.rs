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
            self.not_alternating
                .into_issue(TURNS_DO_NOT_ALTERNATE, |n| {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::format::ChatMessage;
    use crate::ids::{BlockId, TypedId};
    use uuid::Uuid;

    fn rules(strict: bool, max_file_bytes: u64) -> DataRules {
        DataRules {
            min_examples: 1,
            strict_alternation: strict,
            max_file_bytes,
        }
    }

    fn message(role: &'static str) -> ChatMessage<'static> {
        ChatMessage { role, content: "x" }
    }

    fn run(checks: &mut ProviderChecks, n: u128, roles: &[&'static str], bytes: u64) {
        let messages: Vec<ChatMessage<'_>> = roles.iter().map(|r| message(r)).collect();
        checks.check(&Example {
            block_id: BlockId::from_uuid(Uuid::from_u128(n)),
            messages: &messages,
            tokens: 1,
            line_key: n as u64,
            bytes,
        });
    }

    #[test]
    fn strict_alternation_names_the_blocks_whose_turns_do_not_alternate() {
        let mut checks = ProviderChecks::new(rules(true, u64::MAX));
        run(
            &mut checks,
            1,
            &[SYSTEM, USER, ASSISTANT, USER, ASSISTANT],
            10,
        );
        run(&mut checks, 2, &[SYSTEM, USER, USER, ASSISTANT], 10);
        run(&mut checks, 3, &[USER, ASSISTANT, ASSISTANT], 10);
        run(&mut checks, 4, &[SYSTEM, USER], 10);
        run(&mut checks, 5, &[SYSTEM], 10);
        let [alternation, size] = checks.finish();
        let issue = alternation.expect("an alternation error");
        assert_eq!(issue.code, TURNS_DO_NOT_ALTERNATE);
        let named: Vec<u128> = issue
            .block_ids
            .iter()
            .map(|id| id.uuid().as_u128())
            .collect();
        assert_eq!(named, [2, 3, 4, 5]);
        assert!(issue.message.starts_with("4 examples"), "{}", issue.message);
        assert!(size.is_none());
    }

    #[test]
    fn without_strict_alternation_nothing_is_reported() {
        let mut checks = ProviderChecks::new(rules(false, u64::MAX));
        run(&mut checks, 1, &[SYSTEM, USER, USER], 10);
        assert!(checks.finish().iter().all(Option::is_none));
    }

    #[test]
    fn blocks_past_the_file_size_limit_are_named() {
        let mut checks = ProviderChecks::new(rules(false, 2_500_000));
        for n in 1..=4 {
            run(&mut checks, n, &[USER, ASSISTANT], 1_000_000);
        }
        let [_, size] = checks.finish();
        let issue = size.expect("too large");
        assert_eq!(issue.code, FILE_TOO_LARGE);
        let named: Vec<u128> = issue
            .block_ids
            .iter()
            .map(|id| id.uuid().as_u128())
            .collect();
        assert_eq!(named, [3, 4]);
        assert!(issue.message.contains("4 MB"), "{}", issue.message);
        assert!(issue.message.contains("limit of 2 MB"), "{}", issue.message);
    }
}
