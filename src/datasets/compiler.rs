//! Streams training blocks into a chat JSONL dataset, counting tokens and checking as it goes.
//!
//! The compiler never holds the dataset: each block becomes one line written straight to the
//! caller's writer. It keeps running totals, the file's SHA-256, the first few lines as samples
//! and the check state (see [`super::checks`] for the one per-example cost: 8 bytes for
//! duplicate detection, ~10–20 bytes with table slack). A page of blocks ([`DatasetCompiler::add_all`])
//! has its lines made and counted on every core, then written and checked in order.

use std::io::{self, Write};
use std::num::NonZeroUsize;

use sha2::{Digest, Sha256};

use super::checks::{Checks, Example};
use super::format::ChatLine;
use super::models::ModelFacts;
use super::report::DatasetReport;
use super::tokens::TokenCounter;
use crate::ids::BlockId;
use crate::provider::{self, DataRules};
use crate::training_blocks::validation::ExchangeText;

/// What was written for one block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockEntry {
    /// SHA-256 (lowercase hex) of the block's line, without its newline.
    pub content_hash: String,
    /// Tokens of the example.
    pub tokens: usize,
}

/// One block to compile.
#[derive(Clone, Copy, Debug)]
pub struct BlockSource<'a> {
    /// The block's id.
    pub id: BlockId,
    /// Its system prompt (global rules, then its additional rules), if any.
    pub system_prompt: Option<&'a str>,
    /// Its exchanges in order.
    pub exchanges: &'a [ExchangeText],
}

/// A block's line, made and counted without the compiler's state (so blocks of a page are made
/// in parallel).
struct PreparedLine {
    /// The JSON line, without its newline.
    line: String,
    digest: sha2::digest::Output<Sha256>,
    tokens: usize,
}

/// Fewest blocks worth a thread of their own.
const BLOCKS_PER_THREAD: usize = 32;

/// Token statistics over the examples so far.
#[derive(Debug, Default)]
struct TokenStats {
    total: u64,
    min: usize,
    max: usize,
}

impl TokenStats {
    fn add(&mut self, tokens: usize, first: bool) {
        self.total += tokens as u64;
        self.min = if first { tokens } else { self.min.min(tokens) };
        self.max = self.max.max(tokens);
    }
}

/// Turns blocks into JSONL lines for one base model; see the module docs.
#[derive(Debug)]
pub struct DatasetCompiler {
    facts: ModelFacts,
    counter: TokenCounter,
    sample_limit: usize,
    samples: Vec<String>,
    examples: usize,
    tokens: TokenStats,
    file_hash: Sha256,
    file_bytes: u64,
    checks: Checks,
}

impl DatasetCompiler {
    /// A compiler for a model (fine-tuned names use their base) on OpenAI's data rules that
    /// keeps the first `sample_lines` lines for the report.
    pub fn new(model: &str, sample_lines: usize) -> Self {
        Self::with_rules(
            model,
            sample_lines,
            provider::profile_or_default("openai").data,
        )
    }

    /// A compiler for a model and the data rules of the provider it trains on.
    pub fn with_rules(model: &str, sample_lines: usize, rules: DataRules) -> Self {
        let facts = ModelFacts::for_model(model);
        Self {
            facts,
            counter: TokenCounter::new(facts.encoding),
            sample_limit: sample_lines,
            samples: Vec::with_capacity(sample_lines.min(100)),
            examples: 0,
            tokens: TokenStats::default(),
            file_hash: Sha256::new(),
            file_bytes: 0,
            checks: Checks::new(facts, rules),
        }
    }

    /// Writes the block's line and its newline to `out`, then records it. On a write error
    /// nothing is recorded, but part of the line may have reached `out`: discard the output.
    pub fn add<W: Write>(
        &mut self,
        block_id: BlockId,
        system_prompt: Option<&str>,
        exchanges: &[ExchangeText],
        out: &mut W,
    ) -> io::Result<BlockEntry> {
        let block = BlockSource {
            id: block_id,
            system_prompt,
            exchanges,
        };
        let prepared = prepare(self.counter, &block);
        self.record(&block, prepared, out)
    }

    /// [`Self::add`] for each block in order, the lines made and counted on every core first.
    /// On a write error the blocks before it stay recorded and the output must be discarded.
    pub fn add_all<W: Write>(
        &mut self,
        blocks: &[BlockSource<'_>],
        out: &mut W,
    ) -> io::Result<Vec<BlockEntry>> {
        let prepared = prepare_all(self.counter, blocks);
        blocks
            .iter()
            .zip(prepared)
            .map(|(block, prepared)| self.record(block, prepared, out))
            .collect()
    }

    /// Writes a prepared line and records it (in file order: hash, checks, totals, samples).
    fn record<W: Write>(
        &mut self,
        block: &BlockSource<'_>,
        prepared: PreparedLine,
        out: &mut W,
    ) -> io::Result<BlockEntry> {
        let PreparedLine {
            mut line,
            digest,
            tokens,
        } = prepared;
        line.push('\n');
        out.write_all(line.as_bytes())?;
        self.file_hash.update(line.as_bytes());
        self.file_bytes += line.len() as u64;
        line.pop();

        let chat = ChatLine::for_block(block.system_prompt, block.exchanges);
        let mut key = [0u8; 8];
        key.copy_from_slice(&digest[..8]);
        self.checks.check(&Example {
            block_id: block.id,
            messages: &chat.messages,
            tokens,
            line_key: u64::from_le_bytes(key),
            bytes: line.len() as u64 + 1,
        });
        self.tokens.add(tokens, self.examples == 0);
        self.examples += 1;
        if self.samples.len() < self.sample_limit {
            self.samples.push(line);
        }
        Ok(BlockEntry {
            content_hash: format!("{digest:x}"),
            tokens,
        })
    }

    /// The report on everything written.
    pub fn finish(self) -> DatasetReport {
        let (errors, warnings) = self.checks.finish();
        let mean_tokens = match self.examples {
            0 => 0.0,
            n => self.tokens.total as f64 / n as f64,
        };
        DatasetReport {
            examples: self.examples,
            total_tokens: self.tokens.total,
            min_tokens: self.tokens.min,
            max_tokens: self.tokens.max,
            mean_tokens,
            encoding: self.facts.encoding.name(),
            encoding_assumed: self.facts.encoding_assumed,
            token_limit: self.facts.token_limit,
            token_limit_assumed: self.facts.token_limit_assumed,
            errors,
            warnings,
            file_sha256: format!("{:x}", self.file_hash.finalize()),
            file_bytes: self.file_bytes,
            sample_lines: self.samples,
        }
    }
}

/// Makes a block's line: its JSON, the line's SHA-256 and the example's tokens.
fn prepare(counter: TokenCounter, block: &BlockSource<'_>) -> PreparedLine {
    let chat = ChatLine::for_block(block.system_prompt, block.exchanges);
    let tokens = counter.count_messages(&chat.messages);
    let line = chat.to_json();
    let digest = Sha256::digest(line.as_bytes());
    PreparedLine {
        line,
        digest,
        tokens,
    }
}

/// [`prepare`] for every block, in order, spread over the machine's cores (this thread takes
/// the first share).
fn prepare_all(counter: TokenCounter, blocks: &[BlockSource<'_>]) -> Vec<PreparedLine> {
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let threads = cores.min(blocks.len() / BLOCKS_PER_THREAD).max(1);
    let share = blocks.len().div_ceil(threads);
    if threads == 1 {
        return blocks.iter().map(|block| prepare(counter, block)).collect();
    }
    std::thread::scope(|scope| {
        let helpers: Vec<_> = blocks
            .chunks(share)
            .skip(1)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|block| prepare(counter, block))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut lines: Vec<PreparedLine> = Vec::with_capacity(blocks.len());
        lines.extend(blocks[..share].iter().map(|block| prepare(counter, block)));
        for helper in helpers {
            match helper.join() {
                Ok(part) => lines.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        lines
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TypedId;
    use uuid::Uuid;

    const MODEL: &str = "gpt-4o-mini-2024-07-18";

    fn exchange(prompt: &str, response: &str) -> ExchangeText {
        ExchangeText {
            prompt: prompt.into(),
            response: response.into(),
        }
    }

    /// Compiles `n` distinct blocks into memory; returns the bytes and the compiler.
    fn compile(n: usize, sample_lines: usize) -> (Vec<u8>, Vec<BlockEntry>, DatasetReport) {
        let mut compiler = DatasetCompiler::new(MODEL, sample_lines);
        let mut out = Vec::new();
        let entries = (0..n)
            .map(|i| {
                let exchanges = [exchange(&format!("Question {i}?"), "An answer.")];
                let id = BlockId::from_uuid(Uuid::from_u128(i as u128));
                compiler.add(id, Some("Be kind."), &exchanges, &mut out)
            })
            .collect::<io::Result<Vec<_>>>()
            .expect("writing to memory");
        (out, entries, compiler.finish())
    }

    #[test]
    fn each_block_becomes_one_line_of_the_data_contract() {
        let (out, entries, report) = compile(12, 0);
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 12);
        assert!(text.ends_with('\n'));
        let third = [exchange("Question 3?", "An answer.")];
        let expected = ChatLine::for_block(Some("Be kind."), &third);
        assert_eq!(lines[3], expected.to_json());
        let hash = format!("{:x}", Sha256::digest(lines[3].as_bytes()));
        assert_eq!(entries[3].content_hash, hash);
        assert_eq!(report.examples, 12);
        assert!(!report.has_errors(), "{:?}", report.errors);
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    }

    #[test]
    fn the_file_digest_and_size_are_those_of_the_bytes_written() {
        let (out, _, report) = compile(15, 0);
        assert_eq!(report.file_bytes, out.len() as u64);
        assert_eq!(report.file_sha256, format!("{:x}", Sha256::digest(&out)));
    }

    #[test]
    fn token_statistics_sum_the_entries() {
        let (_, entries, report) = compile(11, 0);
        let counter = TokenCounter::for_model(MODEL);
        let first = [exchange("Question 0?", "An answer.")];
        let first = ChatLine::for_block(Some("Be kind."), &first);
        assert_eq!(entries[0].tokens, counter.count_messages(&first.messages));
        let total: usize = entries.iter().map(|e| e.tokens).sum();
        assert_eq!(report.total_tokens, total as u64);
        assert_eq!(
            report.min_tokens,
            entries.iter().map(|e| e.tokens).min().unwrap_or(0)
        );
        assert_eq!(
            report.max_tokens,
            entries.iter().map(|e| e.tokens).max().unwrap_or(0)
        );
        assert!((report.mean_tokens - total as f64 / 11.0).abs() < 1e-9);
        assert_eq!(
            (report.encoding, report.encoding_assumed),
            ("o200k_base", false)
        );
        assert_eq!(
            (report.token_limit, report.token_limit_assumed),
            (65_536, false)
        );
    }

    #[test]
    fn the_first_lines_are_kept_as_samples() {
        let (out, _, report) = compile(12, 3);
        let text = String::from_utf8(out).expect("utf-8");
        let first: Vec<String> = text.lines().take(3).map(str::to_owned).collect();
        assert_eq!(report.sample_lines, first);
        assert_eq!(compile(2, 5).2.sample_lines.len(), 2);
    }

    #[test]
    fn an_empty_dataset_reports_zeroes() {
        let report = DatasetCompiler::new("mystery-model", 2).finish();
        assert_eq!((report.examples, report.total_tokens), (0, 0));
        assert_eq!(
            (report.min_tokens, report.max_tokens, report.mean_tokens),
            (0, 0, 0.0)
        );
        assert_eq!(report.file_sha256, format!("{:x}", Sha256::digest(b"")));
        assert!(report.encoding_assumed && report.token_limit_assumed);
    }

    #[test]
    fn a_page_compiled_on_every_core_is_the_same_as_block_by_block() {
        let n = 4 * BLOCKS_PER_THREAD + 7;
        let exchanges: Vec<Vec<ExchangeText>> = (0..n)
            .map(|i| {
                vec![exchange(
                    &format!("Question {i}: où est ma commande ?"),
                    &"ok ".repeat(i),
                )]
            })
            .collect();
        let prompts: Vec<Option<String>> = (0..n)
            .map(|i| (i % 3 > 0).then(|| format!("Rule {i}.")))
            .collect();
        let blocks: Vec<BlockSource<'_>> = (0..n)
            .map(|i| BlockSource {
                id: BlockId::from_uuid(Uuid::from_u128(i as u128)),
                system_prompt: prompts[i].as_deref(),
                exchanges: &exchanges[i],
            })
            .collect();

        let mut one_by_one = DatasetCompiler::new(MODEL, 5);
        let mut expected_out = Vec::new();
        let expected: Vec<BlockEntry> = blocks
            .iter()
            .map(|b| one_by_one.add(b.id, b.system_prompt, b.exchanges, &mut expected_out))
            .collect::<io::Result<_>>()
            .expect("writing to memory");
        let mut paged = DatasetCompiler::new(MODEL, 5);
        let mut out = Vec::new();
        let mut entries = paged.add_all(&blocks[..50], &mut out).expect("memory");
        entries.extend(paged.add_all(&blocks[50..], &mut out).expect("memory"));

        assert_eq!(out, expected_out);
        assert_eq!(entries, expected);
        let (paged, one_by_one) = (paged.finish(), one_by_one.finish());
        assert_eq!(paged.file_sha256, one_by_one.file_sha256);
        assert_eq!(paged.total_tokens, one_by_one.total_tokens);
        assert_eq!(paged.sample_lines, one_by_one.sample_lines);
    }

    #[test]
    fn a_failed_write_is_not_recorded() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut compiler = DatasetCompiler::new(MODEL, 1);
        let exchanges = [exchange("Hi", "Hello")];
        let result = compiler.add(BlockId::generate(), None, &exchanges, &mut Broken);
        assert!(result.is_err());
        let report = compiler.finish();
        assert_eq!((report.examples, report.file_bytes), (0, 0));
        assert!(report.sample_lines.is_empty());
    }
}
