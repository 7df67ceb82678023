//! The GraphQL side of transfers: `importTrainingBlocks`, a multipart file upload. Exports are
//! served over plain HTTP (`GET /export/training-blocks`), streamed.

use async_graphql::{Context, ErrorExtensions, Object, SimpleObject, Upload, Value};

use super::import::{self, ImportOptions};
use super::{ImportError, Problems};
use crate::auth::Role;
use crate::context::ContextExt;
use crate::error::Error;

/// What an import did or, in a dry run, would do.
#[derive(SimpleObject)]
pub struct ImportReport {
    /// Whether this was a dry run: the file was checked and nothing was imported.
    dry_run: bool,
    /// Training blocks imported (in a dry run: that would be imported), one per line.
    blocks: i32,
    /// Exchanges in those blocks.
    exchanges: i32,
}

impl From<import::ImportReport> for ImportReport {
    fn from(report: import::ImportReport) -> Self {
        Self {
            dry_run: report.dry_run,
            blocks: i32::try_from(report.blocks).unwrap_or(i32::MAX),
            exchanges: i32::try_from(report.exchanges).unwrap_or(i32::MAX),
        }
    }
}

/// Importing training blocks. EDITOR and up.
#[derive(Default)]
pub struct TransferMutation;

#[Object]
impl TransferMutation {
    /// Imports training blocks from an OpenAI chat fine-tuning JSONL file (the format the export
    /// at `GET /export/training-blocks` writes): each non-blank line `{"messages": [...]}`
    /// becomes one NOT_TRAINED block. In a leading system message, lines equal to one of the
    /// workspace's global rules are dropped and the other lines become the block's additional
    /// rules; then alternating user and assistant messages form 1 to 3 exchanges. All or
    /// nothing: when a line has a problem nothing is imported and the BAD_USER_INPUT error
    /// carries `extensions.lines`, up to 100 `{line, message}`. At most 100,000 blocks per file.
    async fn import_training_blocks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The JSONL file, sent as a multipart upload.")] file: Upload,
        #[graphql(
            default_with = "Some(false)",
            desc = "Check the file and report what would be imported, without importing."
        )]
        dry_run: Option<bool>,
        #[graphql(desc = "Tag to give every imported block (at most 64 characters, one line).")]
        tag: Option<String>,
    ) -> async_graphql::Result<ImportReport> {
        let principal = ctx.principal(Role::Editor)?;
        let upload = file.value(ctx).map_err(|err| {
            Error::Internal(anyhow::Error::new(err).context("cannot open the uploaded file"))
        })?;
        let file = tokio::fs::File::from_std(upload.content);
        let options = ImportOptions {
            dry_run: dry_run.unwrap_or(false),
            tag,
        };
        import::import(ctx.db()?, principal.workspace_id, file, &options, |_, _| {})
            .await
            .map(ImportReport::from)
            .map_err(to_graphql)
    }
}

fn to_graphql(err: ImportError) -> async_graphql::Error {
    match err {
        ImportError::Failed(err) => err.into(),
        ImportError::Invalid(problems) => invalid_file(&problems),
    }
}

/// `BAD_USER_INPUT` on `file`, with every reported line in `extensions.lines`.
fn invalid_file(problems: &Problems) -> async_graphql::Error {
    let lines: Vec<Value> = problems
        .lines
        .iter()
        .map(|problem| {
            let mut entry = async_graphql::indexmap::IndexMap::new();
            entry.insert(async_graphql::Name::new("line"), Value::from(problem.line));
            entry.insert(
                async_graphql::Name::new("message"),
                Value::from(problem.message.as_str()),
            );
            Value::Object(entry)
        })
        .collect();
    async_graphql::Error::new(problems.message()).extend_with(|_, ext| {
        ext.set("code", "BAD_USER_INPUT");
        ext.set("field", "file");
        ext.set("lines", Value::List(lines));
        ext.set("problemCount", Value::from(problems.total));
    })
}
