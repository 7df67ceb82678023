//! Benchmark of dataset compilation: streams generated training blocks through
//! `DatasetCompiler`, a page of 500 at a time, into a file and prints throughput and the
//! process' peak memory.
//!
//! `cargo run --release --example compile_bench -- [BLOCKS] [OUTPUT]` (default 100,000 blocks,
//! written to a temporary file unless OUTPUT is given, e.g. for `bench/tiktoken_count.py`).
//! Blocks are generated one at a time from a fixed seed, so every run compiles the same bytes
//! and the dataset is never held in memory. Results are recorded in BENCHMARKS.md.

use std::error::Error;
use std::io::BufWriter;
use std::time::{Duration, Instant};

use tuner::datasets::compiler::{BlockSource, DatasetCompiler};
use tuner::global_rules::system_prompt;
use tuner::ids::{BlockId, TypedId};
use tuner::training_blocks::validation::ExchangeText;
use uuid::Uuid;

const MODEL: &str = "gpt-4o-mini-2024-07-18";
const DEFAULT_BLOCKS: usize = 100_000;
/// Blocks compiled together, as a training job reads them.
const PAGE_SIZE: usize = 500;
const SEED: u64 = 0x7475_6e65_7221;

#[rustfmt::skip]
const WORDS: &[&str] = &[
    "the", "a", "to", "and", "of", "in", "is", "you", "that", "it", "for", "on", "with", "as",
    "your", "can", "be", "this", "are", "we", "have", "or", "not", "will", "from", "by", "at",
    "our", "if", "when", "please", "order", "account", "delivery", "refund", "payment", "card",
    "customer", "support", "team", "product", "price", "shipping", "address", "email", "password",
    "reset", "subscription", "plan", "invoice", "store", "return", "policy", "days", "week",
    "help", "question", "answer", "problem", "issue", "update", "change", "cancel", "confirm",
    "check", "receive", "send", "need", "want", "know", "make", "sure", "time", "usually",
    "available", "today", "tomorrow", "morning", "evening", "free", "extra", "small", "large",
    "fast", "simple", "important", "possible", "different", "several", "every", "some", "any",
    "there", "here", "about", "after", "before", "because", "while", "which", "would", "could",
    "should", "might", "also", "only", "just", "still", "already", "again", "then", "than", "more",
    "most", "many", "much", "very", "really", "quickly", "carefully", "directly", "settings",
    "profile", "notification", "message", "website", "app", "phone", "number", "tracking",
    "package", "warehouse", "courier", "discount", "coupon", "code", "balance", "credit",
    "history", "details", "information", "instructions", "steps", "option", "button", "screen",
    "page", "menu", "section", "request", "form", "document", "photo", "receipt", "warranty",
    "repair", "replacement", "size", "color", "stock", "item", "items", "service", "experience",
    "feedback", "review", "thanks", "sorry", "understand", "explain", "follow", "choose", "select",
    "open", "close", "enter", "find", "see", "look", "wait", "call",
];

const RULES: &[&str] = &[
    "You are the support assistant of an online store; answer as a friendly, competent colleague.",
    "Keep answers short: at most three paragraphs, and use numbered steps for instructions.",
    "Never promise refunds or delivery dates; explain the policy and offer to escalate instead.",
    "If a question is not about the store, its orders or its products, say so politely.",
    "Answer in the language of the customer and never ask for full card numbers or passwords.",
];

/// SplitMix64: a tiny seeded generator whose sequence depends on nothing but this code, so
/// results stay comparable across platforms and `rand` releases.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: usize, high: usize) -> usize {
        low + (self.next_u64() % (high - low + 1) as u64) as usize
    }
}

/// English-like text of `words` words in sentences of 5 to 16 words.
fn text(rng: &mut SplitMix64, words: usize, end: char) -> String {
    let mut out = String::with_capacity(words * 8);
    let mut left_in_sentence = 0;
    for index in 0..words {
        let word = WORDS[rng.between(0, WORDS.len() - 1)];
        if left_in_sentence == 0 {
            if index > 0 {
                out.push_str(". ");
            }
            left_in_sentence = rng.between(5, 16);
            let mut chars = word.chars();
            out.extend(chars.next().map(|c| c.to_ascii_uppercase()));
            out.push_str(chars.as_str());
        } else {
            out.push_str(if rng.between(0, 11) == 0 { ", " } else { " " });
            out.push_str(word);
        }
        left_in_sentence -= 1;
    }
    out.push(end);
    out
}

/// One block: 3 exchanges, prompts of 20–80 words, responses of 60–200 words, and now and
/// then an additional rule.
fn block(rng: &mut SplitMix64) -> (Uuid, Option<String>, Vec<ExchangeText>) {
    let id = Uuid::from_u64_pair(rng.next_u64(), rng.next_u64());
    let extra = (rng.between(0, 4) == 0).then(|| text(rng, 12, '.'));
    let exchanges = (0..3)
        .map(|_| {
            let prompt_words = rng.between(20, 80);
            let response_words = rng.between(60, 200);
            ExchangeText {
                prompt: text(rng, prompt_words, '?'),
                response: text(rng, response_words, '.'),
            }
        })
        .collect();
    (id, extra, exchanges)
}

/// A field of `/proc/self/status` (e.g. `VmHWM`, the peak resident set size), as written.
fn proc_status(field: &str) -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .map(|value| value.trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn main() -> Result<(), Box<dyn Error>> {
    let blocks = match std::env::args().nth(1) {
        Some(arg) => arg.replace('_', "").parse()?,
        None => DEFAULT_BLOCKS,
    };
    let file = match std::env::args().nth(2) {
        Some(path) => std::fs::File::create(path)?,
        None => tempfile::tempfile()?,
    };
    let load_start = Instant::now();
    let mut compiler = DatasetCompiler::new(MODEL, 3);
    let load = load_start.elapsed();
    let peak_after_load = proc_status("VmHWM");

    let mut rng = SplitMix64(SEED);
    let mut out = BufWriter::with_capacity(1 << 16, file);
    let mut in_compiler = Duration::ZERO;
    let start = Instant::now();
    let mut done = 0;
    while done < blocks {
        // A page at a time, as a training job compiles (`training_jobs::dataset`).
        let page: Vec<_> = (done..blocks.min(done + PAGE_SIZE))
            .map(|_| {
                let (id, extra, exchanges) = block(&mut rng);
                let system = system_prompt(RULES.iter().copied(), extra.as_deref());
                (id, system, exchanges)
            })
            .collect();
        let sources: Vec<BlockSource<'_>> = page
            .iter()
            .map(|(id, system, exchanges)| BlockSource {
                id: BlockId::from_uuid(*id),
                system_prompt: system.as_deref(),
                exchanges,
            })
            .collect();
        let before = Instant::now();
        compiler.add_all(&sources, &mut out)?;
        in_compiler += before.elapsed();
        done += page.len();
    }
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    let elapsed = start.elapsed().as_secs_f64();
    let file_len = file.metadata()?.len();
    let report = compiler.finish();

    let tokens = report.total_tokens as f64;
    println!("model              {MODEL} ({})", report.encoding);
    println!("blocks             {}", report.examples);
    println!("total tokens       {}", report.total_tokens);
    println!("mean tokens/block  {:.1}", report.mean_tokens);
    println!("encoding load s    {:.3}", load.as_secs_f64());
    println!("elapsed s          {elapsed:.3}");
    println!("  in compiler s    {:.3}", in_compiler.as_secs_f64());
    println!("blocks/s           {:.0}", report.examples as f64 / elapsed);
    println!("tokens/s           {:.0}", tokens / elapsed);
    println!(
        "file bytes         {file_len} ({:.1} MiB)",
        file_len as f64 / 1048576.0
    );
    println!("file sha256        {}", report.file_sha256);
    println!(
        "issues             {} errors, {} warnings",
        report.errors.len(),
        report.warnings.len()
    );
    println!("peak RSS after load {peak_after_load}");
    println!("peak RSS (VmHWM)   {}", proc_status("VmHWM"));
    Ok(())
}
