//! Exporting training blocks as OpenAI chat JSONL, a page of blocks at a time: memory holds one
//! page whatever the number of blocks. The system message of each line is the workspace's
//! current global rules followed by the block's additional rules.

use bytes::Bytes;
use futures_util::stream::{self, Stream};
use sea_orm::DatabaseConnection;
use serde::Deserialize;

use crate::auth::{self, Role};
use crate::datasets::format::ChatLine;
use crate::entities::training_block::TrainingStatus;
use crate::error::{Error, Result};
use crate::global_rules;
use crate::ids::WorkspaceId;
use crate::training_blocks::listing::{BlockFilter, BlockPages, BlockWithExchanges};
use crate::training_blocks::validation::MAX_TAG_CHARS;
use crate::validate;

/// Blocks read per page.
pub const EXPORT_PAGE_SIZE: u64 = 200;

/// Which blocks to export, as a client spells it (the query string of the HTTP export).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ExportQuery {
    /// `NOT_TRAINED`, `TRAINED` or `DRAFT` (any case); all statuses when absent.
    pub status: Option<String>,
    /// Exact tag; all blocks when absent.
    pub tag: Option<String>,
}

impl ExportQuery {
    /// The checked filter.
    pub fn filter(&self) -> Result<BlockFilter> {
        let status = self.status.as_deref().map(parse_status).transpose()?;
        let tag = self.tag.as_deref().map(str::trim).filter(|t| !t.is_empty());
        if let Some(tag) = tag {
            validate::text("tag", tag, MAX_TAG_CHARS)?;
        }
        Ok(BlockFilter {
            status,
            tag: tag.map(str::to_owned),
            search: None,
        })
    }
}

/// A status as the API spells it (`NOT_TRAINED`, `TRAINED`, `DRAFT`; any case).
pub fn parse_status(raw: &str) -> Result<TrainingStatus> {
    match raw.trim().to_ascii_uppercase().as_str() {
        "NOT_TRAINED" => Ok(TrainingStatus::NotTrained),
        "TRAINED" => Ok(TrainingStatus::Trained),
        "DRAFT" => Ok(TrainingStatus::Draft),
        _ => Err(Error::bad_input(
            "status",
            format!("status must be NOT_TRAINED, TRAINED or DRAFT; got {raw:?}"),
        )),
    }
}

/// The export for the caller holding `token` (EDITOR and up), filtered by `query`; fails before
/// anything is streamed when the caller may not export or the query is invalid.
pub async fn export_for(
    db: &DatabaseConnection,
    token: Option<&str>,
    query: &ExportQuery,
) -> Result<impl Stream<Item = Result<Bytes>> + Send + 'static> {
    let caller = auth::authenticate(db, token).await?;
    let workspace_id = caller.require(Role::Editor)?.workspace_id;
    export(db.clone(), workspace_id, &query.filter()?).await
}

/// The JSONL of the workspace's blocks matching `filter`, oldest first, one chunk per page.
/// The global rules are read once, before the first page.
pub async fn export(
    db: DatabaseConnection,
    workspace_id: WorkspaceId,
    filter: &BlockFilter,
) -> Result<impl Stream<Item = Result<Bytes>> + Send + 'static> {
    let rules: Vec<String> = global_rules::list(&db, workspace_id)
        .await?
        .into_iter()
        .map(|rule| rule.text)
        .collect();
    let pages = BlockPages::new(filter.apply(workspace_id), EXPORT_PAGE_SIZE);
    Ok(stream::try_unfold(
        (db, pages, rules),
        |(db, mut pages, rules)| async move {
            let Some(blocks) = pages.next(&db).await? else {
                return Ok(None);
            };
            let chunk = render(&rules, &blocks);
            Ok(Some((chunk, (db, pages, rules))))
        },
    ))
}

/// The lines of `blocks`, each ending with a line break.
fn render(rules: &[String], blocks: &[BlockWithExchanges]) -> Bytes {
    let mut out = String::new();
    for item in blocks {
        let system = global_rules::system_prompt(
            rules.iter().map(String::as_str),
            item.block.additional_rules.as_deref(),
        );
        out.push_str(&ChatLine::for_block(system.as_deref(), &item.exchanges).to_json());
        out.push('\n');
    }
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_read_in_any_case_and_others_are_refused() {
        assert_eq!(
            parse_status("not_trained").ok(),
            Some(TrainingStatus::NotTrained)
        );
        assert_eq!(parse_status(" DRAFT ").ok(), Some(TrainingStatus::Draft));
        assert!(parse_status("DONE").is_err());
    }
}
