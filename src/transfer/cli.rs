//! `tuner import` and `tuner export`: the transfer services on a workspace named on the command
//! line, with a progress bar on standard error for imports.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::pin::pin;

use anyhow::Context as _;
use futures_util::TryStreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::DatabaseConnection;

use super::export::{self, ExportQuery};
use super::import::{self, ImportOptions, ImportReport, Pass};
use super::ImportError;
use crate::config::{ExportArgs, ImportArgs};
use crate::error::for_cli;
use crate::ids::WorkspaceId;
use crate::workspaces;

/// Imports a JSONL file into a workspace.
pub async fn import(db: &DatabaseConnection, args: ImportArgs) -> anyhow::Result<()> {
    let workspace = workspaces::find_by_name(db, &args.workspace)
        .await
        .map_err(for_cli)?;
    let path = args.file.display().to_string();
    let file = tokio::fs::File::open(&args.file)
        .await
        .with_context(|| format!("cannot open {path}"))?;
    let size = file.metadata().await.map(|m| m.len()).unwrap_or(0);
    let bar = progress_bar(size);
    let mut current = None;
    let options = ImportOptions {
        dry_run: args.dry_run,
        tag: args.tag,
    };
    let result = import::import(db, workspace.id, file, &options, |pass, bytes| {
        if current != Some(pass) {
            current = Some(pass);
            bar.set_message(match pass {
                Pass::Check => "checking",
                Pass::Insert => "importing",
            });
        }
        bar.set_position(bytes);
    })
    .await;
    bar.finish_and_clear();
    let report = result.map_err(|err| describe(err, &path))?;
    println!("{}", summary(&report, &path, &workspace.name));
    Ok(())
}

fn progress_bar(size: u64) -> ProgressBar {
    let bar = ProgressBar::new(size);
    if let Ok(style) =
        ProgressStyle::with_template("{msg:>9} [{bar:40}] {bytes}/{total_bytes} ({eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn summary(report: &ImportReport, path: &str, workspace: &str) -> String {
    let what = format!(
        "{} training blocks ({} exchanges)",
        report.blocks, report.exchanges
    );
    if report.dry_run {
        format!("dry run: {path} is valid; {what} would be imported into workspace {workspace:?}; nothing was imported")
    } else {
        format!("imported {what} from {path} into workspace {workspace:?}")
    }
}

fn describe(err: ImportError, path: &str) -> anyhow::Error {
    match err {
        ImportError::Failed(err) => for_cli(err),
        ImportError::Invalid(problems) => {
            let mut text = format!(
                "{path}: nothing was imported; {} line(s) have problems:",
                problems.total
            );
            for problem in &problems.lines {
                text.push_str(&format!("\n  line {}: {}", problem.line, problem.message));
            }
            let listed = problems.lines.len() as u64;
            if problems.total > listed {
                text.push_str(&format!(
                    "\n  ... and {} more (only the first {listed} are listed)",
                    problems.total - listed
                ));
            }
            anyhow::anyhow!(text)
        }
    }
}

/// Exports a workspace's blocks as JSONL.
pub async fn export(db: &DatabaseConnection, args: ExportArgs) -> anyhow::Result<()> {
    let workspace = workspaces::find_by_name(db, &args.workspace)
        .await
        .map_err(for_cli)?;
    let query = ExportQuery {
        status: args.status,
        tag: args.tag,
    };
    let filter = query.filter().map_err(for_cli)?;
    let result = match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            let result = write(db, workspace.id, &filter, BufWriter::new(file)).await;
            if result.is_err() {
                // A partial export is worse than none.
                let _ = std::fs::remove_file(path);
            }
            result
        }
        None => write(db, workspace.id, &filter, std::io::stdout()).await,
    };
    let blocks = result?;
    let place = args.output.as_deref().map(Path::display);
    let place = place.map_or_else(|| "standard output".to_owned(), |p| p.to_string());
    eprintln!(
        "exported {blocks} training blocks from workspace {:?} to {place}",
        workspace.name
    );
    Ok(())
}

/// Writes the export to `out`; returns the number of blocks.
async fn write(
    db: &DatabaseConnection,
    workspace_id: WorkspaceId,
    filter: &crate::training_blocks::listing::BlockFilter,
    mut out: impl Write,
) -> anyhow::Result<u64> {
    let chunks = export::export(db.clone(), workspace_id, filter)
        .await
        .map_err(for_cli)?;
    let mut chunks = pin!(chunks);
    let mut blocks = 0;
    while let Some(chunk) = chunks.try_next().await.map_err(for_cli)? {
        blocks += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        // Plain blocking writes: the command does nothing else meanwhile.
        out.write_all(&chunk).context("cannot write the export")?;
    }
    out.flush().context("cannot write the export")?;
    Ok(blocks)
}
