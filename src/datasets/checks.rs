//! The checks a dataset compiler runs on each example as it streams by.
//!
//! Memory stays bounded by the issue lists (at most [`MAX_ISSUE_BLOCK_IDS`] ids each) except
//! for duplicate detection, which keeps one 64-bit key per distinct example (the first 8 bytes
//! of the line's SHA-256): 8 bytes each, ~10–20 bytes with the hash table's slack and ~31 for a
//! moment while it grows (measured: +33 MB peak for 1,000,000 examples, see BENCHMARKS.md).
//! That is the only per-example memory. Two different lines share a key with probability
//! ~n²/2⁶⁵, negligible for any dataset a provider accepts.

use std::collections::HashSet;

use super::format::{ChatMessage, ASSISTANT, USER};
use super::models::ModelFacts;
use super::provider_checks::ProviderChecks;
use super::report::{
    DatasetIssue, DUPLICATE_EXAMPLE, EMPTY_CONTENT, EXAMPLE_TOO_LONG, MAX_ISSUE_BLOCK_IDS,
    MISSING_USER_MESSAGE, TOO_FEW_EXAMPLES,
};
use crate::ids::BlockId;
use crate::provider::DataRules;

/// The blocks an issue concerns: the first few ids and how many in all.
#[derive(Debug, Default)]
pub(super) struct Blocks {
    ids: Vec<BlockId>,
    count: usize,
}

impl Blocks {
    pub(super) fn note(&mut self, id: BlockId) {
        self.count += 1;
        if self.ids.len() < MAX_ISSUE_BLOCK_IDS {
            self.ids.push(id);
        }
    }

    /// The issue, if any block was noted; `message` gets e.g. "3 examples".
    pub(super) fn into_issue(
        self,
        code: &'static str,
        message: impl FnOnce(String) -> String,
    ) -> Option<DatasetIssue> {
        (self.count > 0).then(|| DatasetIssue {
            code,
            message: message(examples(self.count)),
            block_ids: self.ids,
            count: self.count,
        })
    }
}

/// One example as the checks see it.
pub(super) struct Example<'a> {
    pub block_id: BlockId,
    pub messages: &'a [ChatMessage<'a>],
    pub tokens: usize,
    /// A 64-bit digest of the exact line (equal lines, equal keys).
    pub line_key: u64,
    /// Bytes of the line with its newline.
    pub bytes: u64,
}

/// Running state of every check.
#[derive(Debug)]
pub(super) struct Checks {
    facts: ModelFacts,
    all: Blocks,
    too_long: Blocks,
    longest: usize,
    empty: Blocks,
    seen: HashSet<u64>,
    duplicates: Blocks,
    missing_user: Blocks,
    provider: ProviderChecks,
}

impl Checks {
    /// Checks for a model's facts and the provider's data rules.
    pub fn new(facts: ModelFacts, rules: DataRules) -> Self {
        Self {
            provider: ProviderChecks::new(rules),
            facts,
            all: Blocks::default(),
            too_long: Blocks::default(),
            longest: 0,
            empty: Blocks::default(),
            seen: HashSet::new(),
            duplicates: Blocks::default(),
            missing_user: Blocks::default(),
        }
    }

    /// Runs every check on one example.
    pub fn check(&mut self, example: &Example<'_>) {
        let id = example.block_id;
        self.all.note(id);
        if example.tokens > self.facts.token_limit {
            self.too_long.note(id);
            self.longest = self.longest.max(example.tokens);
        }
        let spoken = || {
            example
                .messages
                .iter()
                .filter(|m| m.role == USER || m.role == ASSISTANT)
        };
        if spoken().any(|m| m.content.trim().is_empty()) {
            self.empty.note(id);
        }
        if !spoken().any(|m| m.role == USER) {
            self.missing_user.note(id);
        }
        if !self.seen.insert(example.line_key) {
            self.duplicates.note(id);
        }
        self.provider.check(example);
    }

    /// The errors and the warnings found.
    pub fn finish(self) -> (Vec<DatasetIssue>, Vec<DatasetIssue>) {
        let examples = self.all.count;
        let min = self.provider.rules().min_examples;
        let too_few = (examples < min).then(|| DatasetIssue {
            code: TOO_FEW_EXAMPLES,
            message: too_few_message(examples, min),
            block_ids: self.all.ids,
            count: examples,
        });
        let (facts, longest) = (self.facts, self.longest);
        let errors = [
            too_few,
            self.too_long
                .into_issue(EXAMPLE_TOO_LONG, |n| too_long_message(n, &facts, longest)),
            self.empty.into_issue(EMPTY_CONTENT, |n| {
                format!(
                    "{n} with an empty user or assistant message; fill in or remove those \
                     exchanges"
                )
            }),
        ];
        let errors = errors.into_iter().chain(self.provider.finish());
        let warnings = [
            self.duplicates.into_issue(DUPLICATE_EXAMPLE, |n| {
                format!(
                    "{n} repeating an earlier example exactly, so trained on more than once; \
                     delete or change these repeats"
                )
            }),
            self.missing_user.into_issue(MISSING_USER_MESSAGE, |n| {
                format!("{n} without a user message; add an exchange to those blocks")
            }),
        ];
        (
            errors.flatten().collect(),
            warnings.into_iter().flatten().collect(),
        )
    }
}

/// "1 example", "3 examples".
fn examples(n: usize) -> String {
    let plural = if n == 1 { "" } else { "s" };
    format!("{n} example{plural}")
}

fn too_few_message(n: usize, min: usize) -> String {
    format!(
        "the dataset has {}; the provider needs at least {min}: add {} more training \
         block(s)",
        examples(n),
        min - n
    )
}

fn too_long_message(n: String, facts: &ModelFacts, longest: usize) -> String {
    let assumed = if facts.token_limit_assumed {
        " (assumed: the model is unknown)"
    } else {
        ""
    };
    format!(
        "{n} over the limit of {} tokens per example{assumed} (longest: {longest} tokens); \
         shorten or split those blocks",
        facts.token_limit
    )
}

#[cfg(test)]
mod tests {
    use crate::datasets::compiler::DatasetCompiler;
    use crate::datasets::report::*;
    use crate::ids::{BlockId, TypedId};
    use crate::training_blocks::validation::ExchangeText;
    use uuid::Uuid;

    fn exchange(prompt: &str, response: &str) -> ExchangeText {
        ExchangeText {
            prompt: prompt.into(),
            response: response.into(),
        }
    }

    fn id(n: u128) -> BlockId {
        BlockId::from_uuid(Uuid::from_u128(n))
    }

    /// Compiles blocks (id, system prompt, exchanges) with `model` and returns the report.
    fn compile(
        model: &str,
        blocks: &[(BlockId, Option<&str>, Vec<ExchangeText>)],
    ) -> DatasetReport {
        let mut compiler = DatasetCompiler::new(model, 0);
        let mut out = Vec::new();
        for (block_id, system, exchanges) in blocks {
            compiler
                .add(*block_id, *system, exchanges, &mut out)
                .expect("writing to memory");
        }
        compiler.finish()
    }

    /// `n` distinct, valid blocks with ids 1..=n.
    fn valid_blocks(n: u128) -> Vec<(BlockId, Option<&'static str>, Vec<ExchangeText>)> {
        (1..=n)
            .map(|i| (id(i), None, vec![exchange(&format!("Q{i}"), "A")]))
            .collect()
    }

    const MODEL: &str = "gpt-4o-mini-2024-07-18";

    #[test]
    fn fewer_than_ten_examples_is_an_error_naming_them_all() {
        let report = compile(MODEL, &valid_blocks(9));
        let issue = report.issue(TOO_FEW_EXAMPLES).expect("too few");
        assert!(report.has_errors());
        assert_eq!(issue.count, 9);
        assert_eq!(issue.block_ids, (1..=9).map(id).collect::<Vec<_>>());
        assert!(issue.message.contains("9 examples"), "{}", issue.message);
        assert!(issue.message.contains("at least 10"), "{}", issue.message);
        assert!(compile(MODEL, &valid_blocks(10)).errors.is_empty());
    }

    #[test]
    fn an_example_over_the_token_limit_is_an_error_with_the_limit() {
        let mut blocks = valid_blocks(10);
        let long = "word ".repeat(16_400);
        blocks.push((id(99), None, vec![exchange(&long, "A")]));
        let report = compile("gpt-3.5-turbo-0125", &blocks);
        let issue = report.issue(EXAMPLE_TOO_LONG).expect("too long");
        assert_eq!((issue.block_ids.clone(), issue.count), (vec![id(99)], 1));
        assert!(issue.message.contains("16385 tokens"), "{}", issue.message);
        assert!(report.has_errors());
        // The same example fits gpt-4o-mini's 65,536 tokens.
        assert!(compile(MODEL, &blocks).issue(EXAMPLE_TOO_LONG).is_none());
    }

    #[test]
    fn an_empty_user_or_assistant_message_is_an_error() {
        let mut blocks = valid_blocks(10);
        blocks.push((id(50), None, vec![exchange("  \n", "A")]));
        blocks.push((
            id(51),
            None,
            vec![exchange("Q", "ok"), exchange("Q2", "\t")],
        ));
        blocks.push((id(52), Some("   "), vec![exchange("Q3", "A")]));
        let report = compile(MODEL, &blocks);
        let issue = report.issue(EMPTY_CONTENT).expect("empty content");
        assert_eq!(
            (issue.block_ids.clone(), issue.count),
            (vec![id(50), id(51)], 2)
        );
        assert!(issue.message.starts_with("2 examples"), "{}", issue.message);
    }

    #[test]
    fn exact_duplicates_are_warnings_naming_the_repeats() {
        let mut blocks = valid_blocks(10);
        blocks.push((id(70), None, vec![exchange("Q3", "A")]));
        blocks.push((id(71), None, vec![exchange("Q3", "A")]));
        blocks.push((id(72), Some("Rule"), vec![exchange("Q3", "A")]));
        let report = compile(MODEL, &blocks);
        assert!(!report.has_errors());
        let issue = report.issue(DUPLICATE_EXAMPLE).expect("duplicates");
        assert_eq!(issue.block_ids, vec![id(70), id(71)]);
        assert_eq!(issue.count, 2);
    }

    #[test]
    fn an_example_without_a_user_message_is_a_warning() {
        let mut blocks = valid_blocks(10);
        blocks.push((id(80), Some("Only rules"), vec![]));
        let report = compile(MODEL, &blocks);
        let issue = report.issue(MISSING_USER_MESSAGE).expect("missing user");
        assert_eq!((issue.block_ids.clone(), issue.count), (vec![id(80)], 1));
        assert_eq!(report.warnings.len(), 1);
        assert!(!report.has_errors());
    }

    #[test]
    fn issues_list_at_most_twenty_ids_but_count_them_all() {
        let mut blocks = valid_blocks(10);
        for i in 100..125 {
            blocks.push((id(i), None, vec![exchange("", "A")]));
        }
        let report = compile(MODEL, &blocks);
        let issue = report.issue(EMPTY_CONTENT).expect("empty content");
        assert_eq!(issue.count, 25);
        assert_eq!(issue.block_ids, (100..120).map(id).collect::<Vec<_>>());
        // The 24 later empty blocks are also exact repeats of the first one.
        assert_eq!(report.issue(DUPLICATE_EXAMPLE).map(|i| i.count), Some(24));
    }

    #[test]
    fn an_unknown_model_says_its_limit_is_assumed() {
        let mut blocks = valid_blocks(10);
        blocks.push((id(90), None, vec![exchange(&"word ".repeat(66_000), "A")]));
        let report = compile("some-open-model", &blocks);
        let issue = report.issue(EXAMPLE_TOO_LONG).expect("too long");
        assert!(issue.message.contains("assumed"), "{}", issue.message);
    }
}
