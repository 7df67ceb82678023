//! Importing an OpenAI chat JSONL file as training blocks, all or nothing: a first pass over the
//! file checks every line, a second inserts the blocks in batches in one write transaction.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DatabaseTransaction, EntityTrait, Set};
use tokio::fs::File;

use super::lines::{Line, LineReader};
use super::parse::{parse_line, ParsedBlock};
use super::{ImportError, Problems};
use crate::entities::exchange;
use crate::entities::training_block::{self, TrainingStatus};
use crate::error::Error;
use crate::ids::{BlockId, TypedId, WorkspaceId};
use crate::training_blocks::validation::normalize_tag;
use crate::{db, global_rules};

/// Most blocks one import may create.
pub const MAX_IMPORT_BLOCKS: u64 = 100_000;
/// Blocks per INSERT statement.
const BATCH_BLOCKS: usize = 500;

/// How to import.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Check the file only; import nothing.
    pub dry_run: bool,
    /// Tag for every imported block.
    pub tag: Option<String>,
}

/// What an import did, or in a dry run would do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportReport {
    /// Whether it was a dry run (nothing imported).
    pub dry_run: bool,
    /// Blocks imported (or that would be).
    pub blocks: u64,
    /// Exchanges in those blocks.
    pub exchanges: u64,
}

/// Which pass over the file is under way, for progress reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// Checking every line.
    Check,
    /// Inserting the blocks.
    Insert,
}

/// Imports `file` into the workspace as NOT_TRAINED blocks. `progress` hears the bytes read so
/// far in each pass. Nothing is imported unless every line is a valid block.
pub async fn import(
    db: &DatabaseConnection,
    workspace_id: WorkspaceId,
    file: File,
    options: &ImportOptions,
    mut progress: impl FnMut(Pass, u64),
) -> Result<ImportReport, ImportError> {
    let tag = normalize_tag(options.tag.as_deref())?;
    let rules: HashSet<String> = global_rules::list(db, workspace_id)
        .await?
        .into_iter()
        .map(|rule| rule.text)
        .collect();
    let mut lines = LineReader::new(file);
    lines.rewind().await.map_err(read_error)?;
    let mut report = check(&mut lines, &rules, &mut progress).await?;
    report.dry_run = options.dry_run;
    if options.dry_run {
        return Ok(report);
    }
    lines.rewind().await.map_err(read_error)?;
    let target = Target {
        workspace_id,
        tag,
        now: Utc::now(),
    };
    insert(
        db,
        &target,
        &mut lines,
        &rules,
        report.blocks,
        &mut progress,
    )
    .await?;
    Ok(report)
}

/// First pass: every line parsed, problems collected, blocks counted.
async fn check(
    lines: &mut LineReader,
    rules: &HashSet<String>,
    progress: &mut impl FnMut(Pass, u64),
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport {
        dry_run: false,
        blocks: 0,
        exchanges: 0,
    };
    let mut problems = Problems::default();
    while let Some(line) = lines.next().await.map_err(read_error)? {
        let parsed = match line {
            Line::Blank => continue,
            Line::Text(text) => parse_line(text, rules).map_err(|err| err.to_string()),
            Line::Unreadable(problem) => Err(problem),
        };
        progress(Pass::Check, lines.bytes);
        match parsed {
            Ok(block) => {
                report.blocks += 1;
                report.exchanges += block.exchanges.len() as u64;
            }
            Err(message) => problems.add(lines.number, message),
        }
        if report.blocks + problems.total > MAX_IMPORT_BLOCKS {
            return Err(file_error(format!(
                "the file holds more than {MAX_IMPORT_BLOCKS} examples; split it and import the \
                 parts one at a time"
            )));
        }
    }
    if problems.total > 0 {
        return Err(ImportError::Invalid(problems));
    }
    if report.blocks == 0 {
        return Err(file_error(
            "the file holds no examples; each line must be {\"messages\": [...]} in the OpenAI \
             chat fine-tuning format",
        ));
    }
    Ok(report)
}

/// Where the blocks go.
struct Target {
    workspace_id: WorkspaceId,
    tag: Option<String>,
    now: DateTime<Utc>,
}

/// Second pass: the checked lines inserted in batches, in one write transaction.
async fn insert(
    db: &DatabaseConnection,
    target: &Target,
    lines: &mut LineReader,
    rules: &HashSet<String>,
    expected: u64,
    progress: &mut impl FnMut(Pass, u64),
) -> Result<(), ImportError> {
    let txn = db::begin_write(db).await?;
    let mut batch = Vec::with_capacity(BATCH_BLOCKS);
    let mut inserted = 0;
    while let Some(line) = lines.next().await.map_err(read_error)? {
        let parsed = match line {
            Line::Blank => continue,
            Line::Text(text) => parse_line(text, rules).map_err(|_| changed_file())?,
            Line::Unreadable(_) => return Err(changed_file()),
        };
        progress(Pass::Insert, lines.bytes);
        batch.push(parsed);
        if batch.len() == BATCH_BLOCKS {
            inserted += insert_batch(&txn, target, std::mem::take(&mut batch)).await?;
        }
    }
    inserted += insert_batch(&txn, target, batch).await?;
    if inserted != expected {
        return Err(changed_file());
    }
    txn.commit().await?;
    Ok(())
}

async fn insert_batch(
    txn: &DatabaseTransaction,
    target: &Target,
    batch: Vec<ParsedBlock>,
) -> Result<u64, ImportError> {
    if batch.is_empty() {
        return Ok(0);
    }
    let count = batch.len() as u64;
    let mut blocks = Vec::with_capacity(batch.len());
    let mut exchanges = Vec::with_capacity(batch.len() * 2);
    for parsed in batch {
        let id = BlockId::generate();
        blocks.push(training_block::ActiveModel {
            id: Set(id),
            workspace_id: Set(target.workspace_id),
            status: Set(TrainingStatus::NotTrained),
            tag: Set(target.tag.clone()),
            additional_rules: Set(parsed.additional_rules),
            notes: Set(None),
            trained_by_job_id: Set(None),
            created_at: Set(target.now),
            updated_at: Set(target.now),
        });
        for (exchange, position) in parsed.exchanges.into_iter().zip(0..) {
            exchanges.push(exchange::ActiveModel {
                block_id: Set(id),
                position: Set(position),
                prompt: Set(exchange.prompt),
                response: Set(exchange.response),
            });
        }
    }
    training_block::Entity::insert_many(blocks)
        .exec_without_returning(txn)
        .await?;
    exchange::Entity::insert_many(exchanges)
        .exec_without_returning(txn)
        .await?;
    Ok(count)
}

fn read_error(err: std::io::Error) -> ImportError {
    ImportError::Failed(Error::Internal(
        anyhow::Error::new(err).context("cannot read the file being imported"),
    ))
}

fn file_error(message: impl Into<String>) -> ImportError {
    ImportError::Failed(Error::bad_input("file", message))
}

fn changed_file() -> ImportError {
    file_error("the file changed while it was being imported; nothing was imported, try again")
}
