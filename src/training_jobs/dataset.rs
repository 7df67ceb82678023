//! The dataset of a training job: which blocks it takes, and their compilation page by page.

use std::io::Write;

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, QueryFilter, Select};

use crate::datasets::compiler::{BlockSource, DatasetCompiler};
use crate::datasets::report::DatasetReport;
use crate::entities::training_block::{self, TrainingStatus};
use crate::entities::training_job::{self, JobStatus};
use crate::entities::training_job_block;
use crate::error::{Error, Result};
use crate::global_rules;
use crate::ids::{BlockId, ModelId, WorkspaceId};
use crate::provider::DataRules;
use crate::training_blocks::listing::{BlockFilter, BlockPages};

/// Blocks compiled per page: memory holds one page of blocks at a time.
const PAGE_SIZE: u64 = 500;
/// JSONL lines kept for previews.
pub const SAMPLE_LINES: usize = 3;

/// The blocks a job would train: the workspace's NOT_TRAINED blocks (with the tag, if given)
/// that no active job holds.
pub fn selection(workspace_id: WorkspaceId, tag: Option<&str>) -> Select<training_block::Entity> {
    selection_for(workspace_id, tag, None)
}

/// Like [`selection`]; with `retrained`, also the blocks the succeeded jobs of that model were
/// trained on (whatever their status now, DRAFT excepted), as a move trains them again.
pub fn selection_for(
    workspace_id: WorkspaceId,
    tag: Option<&str>,
    retrained: Option<ModelId>,
) -> Select<training_block::Entity> {
    let held = Query::select()
        .column((
            training_job_block::Entity,
            training_job_block::Column::BlockId,
        ))
        .from(training_job_block::Entity)
        .inner_join(
            training_job::Entity,
            Expr::col((training_job::Entity, training_job::Column::Id)).eq(Expr::col((
                training_job_block::Entity,
                training_job_block::Column::JobId,
            ))),
        )
        .and_where(training_job::Column::WorkspaceId.eq(workspace_id))
        .and_where(training_job::Column::Status.is_in(JobStatus::ACTIVE))
        .to_owned();
    let filter = BlockFilter {
        status: None,
        tag: tag.map(str::to_owned),
        search: None,
    };
    let untrained = training_block::Column::Status.eq(TrainingStatus::NotTrained);
    let wanted = match retrained {
        None => Condition::all().add(untrained),
        Some(model_id) => Condition::any().add(untrained).add(
            Condition::all()
                .add(training_block::Column::Status.ne(TrainingStatus::Draft))
                .add(training_block::Column::Id.in_subquery(trained_for(model_id))),
        ),
    };
    filter
        .apply(workspace_id)
        .filter(wanted)
        .filter(training_block::Column::Id.not_in_subquery(held))
}

/// The ids of the blocks the model's succeeded jobs sent.
fn trained_for(model_id: ModelId) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column((
            training_job_block::Entity,
            training_job_block::Column::BlockId,
        ))
        .from(training_job_block::Entity)
        .inner_join(
            training_job::Entity,
            Expr::col((training_job::Entity, training_job::Column::Id)).eq(Expr::col((
                training_job_block::Entity,
                training_job_block::Column::JobId,
            ))),
        )
        .and_where(training_job::Column::ModelId.eq(model_id))
        .and_where(training_job::Column::Status.eq(JobStatus::Succeeded))
        .to_owned()
}

/// Compiles selected blocks into chat JSONL, a page at a time.
pub struct DatasetBuilder {
    pages: BlockPages,
    compiler: DatasetCompiler,
    rules: Vec<String>,
}

impl DatasetBuilder {
    /// A builder for the blocks of `select`, with the global `rules` in order, for `model`
    /// and the provider's data rules `data`.
    pub fn new(
        select: Select<training_block::Entity>,
        rules: Vec<String>,
        model: &str,
        data: DataRules,
    ) -> Self {
        Self {
            pages: BlockPages::new(select, PAGE_SIZE),
            compiler: DatasetCompiler::with_rules(model, SAMPLE_LINES, data),
            rules,
        }
    }

    /// The system prompt of a block without additional rules: the global rules alone.
    pub fn global_prompt(&self) -> Option<String> {
        global_rules::system_prompt(self.rules.iter().map(String::as_str), None)
    }

    /// Compiles the next page into `out`; returns each block's id with the hash of its line, or
    /// `None` when every block has been compiled.
    pub async fn next_page<W: Write>(
        &mut self,
        db: &impl ConnectionTrait,
        out: &mut W,
    ) -> Result<Option<Vec<(BlockId, String)>>> {
        let Some(page) = self.pages.next(db).await? else {
            return Ok(None);
        };
        let prompts: Vec<Option<String>> = page
            .iter()
            .map(|item| {
                let rules = self.rules.iter().map(String::as_str);
                global_rules::system_prompt(rules, item.block.additional_rules.as_deref())
            })
            .collect();
        let blocks: Vec<BlockSource<'_>> = page
            .iter()
            .zip(&prompts)
            .map(|(item, prompt)| BlockSource {
                id: item.block.id,
                system_prompt: prompt.as_deref(),
                exchanges: &item.exchanges,
            })
            .collect();
        let entries = self.compiler.add_all(&blocks, out).map_err(|err| {
            Error::Internal(anyhow::Error::new(err).context("writing the dataset"))
        })?;
        Ok(Some(
            blocks
                .iter()
                .zip(entries)
                .map(|(block, entry)| (block.id, entry.content_hash))
                .collect(),
        ))
    }

    /// The report on everything compiled.
    pub fn finish(self) -> DatasetReport {
        self.compiler.finish()
    }
}

/// Fails with `BAD_USER_INPUT` naming the dataset's problems when it has errors or is larger
/// than `max_file_bytes`, the most a provider accepts.
pub fn require_no_errors(report: &DatasetReport, max_file_bytes: u64) -> Result<()> {
    if report.file_bytes > max_file_bytes {
        return Err(Error::bad_input(
            "tag",
            format!(
                "the training file would be {} MB; providers accept at most {} MB, so train the blocks in parts (input.tag selects a part)",
                report.file_bytes.div_ceil(1_000_000),
                max_file_bytes / 1_000_000
            ),
        ));
    }
    if !report.has_errors() {
        return Ok(());
    }
    let problems: Vec<String> = report
        .errors
        .iter()
        .map(|issue| format!("{}: {}", issue.code, issue.message))
        .collect();
    Err(Error::bad_input(
        "modelId",
        format!(
            "the training data has problems; fix them and run again (trainingPreview lists them): {}",
            problems.join("; ")
        ),
    ))
}
