//! Global rules: one-line instructions that, in order, form the system prompt of every example.

pub mod graphql;
pub mod loader;

use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, ModelTrait, PaginatorTrait, QueryOrder,
    QuerySelect, Set,
};

use crate::app_context::AppContext;
use crate::entities::global_rule;
use crate::error::{Error, Result};
use crate::ids::{RuleId, TypedId, WorkspaceId};
use crate::tenancy::{get_in, WorkspaceScoped};
use crate::{db, validate, workspaces};

/// Longest rule, in characters.
pub const MAX_RULE_CHARS: usize = 2_000;
/// Most rules one workspace may have.
pub const MAX_RULES: u64 = 500;

/// Checks and normalises a rule's text: one trimmed, non-empty line of at most 2,000 characters.
pub fn validate_text(field: &str, text: &str) -> Result<String> {
    let text = validate::required_trimmed(field, text)?;
    if text.contains(['\n', '\r']) {
        return Err(Error::bad_input(
            field,
            format!("{field} must be one line; put each instruction in a rule of its own"),
        ));
    }
    validate::no_control_chars(field, &text)?;
    validate::max_chars(field, &text, MAX_RULE_CHARS)?;
    Ok(text)
}

/// The workspace's rules in order.
pub async fn list(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
) -> Result<Vec<global_rule::Model>> {
    Ok(global_rule::Entity::in_workspace(workspace_id)
        .order_by_asc(global_rule::Column::Position)
        .order_by_asc(global_rule::Column::Id)
        .all(db)
        .await?)
}

/// The system prompt for rules in order, plus a block's additional rules (each non-empty line),
/// joined with newlines; `None` when there is no rule at all.
pub fn system_prompt<'a>(
    rules: impl IntoIterator<Item = &'a str>,
    additional_rules: Option<&'a str>,
) -> Option<String> {
    let extra = additional_rules.into_iter().flat_map(str::lines);
    let lines: Vec<&str> = rules
        .into_iter()
        .chain(extra)
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// Appends a rule at the end of the list.
pub async fn create(
    app: &AppContext,
    workspace_id: WorkspaceId,
    text: &str,
) -> Result<global_rule::Model> {
    let text = validate_text("text", text)?;
    let txn = db::begin_write(&app.db).await?;
    workspaces::lock(&txn, workspace_id).await?;
    if global_rule::Entity::in_workspace(workspace_id)
        .count(&txn)
        .await?
        >= MAX_RULES
    {
        return Err(Error::bad_input(
            "text",
            format!("a workspace may have at most {MAX_RULES} rules; merge or delete some first"),
        ));
    }
    let last: Option<i32> = global_rule::Entity::in_workspace(workspace_id)
        .select_only()
        .column_as(global_rule::Column::Position.max(), "position")
        .into_tuple()
        .one(&txn)
        .await?
        .flatten();
    let now = Utc::now();
    let rule = global_rule::ActiveModel {
        id: Set(RuleId::generate()),
        workspace_id: Set(workspace_id),
        text: Set(text),
        position: Set(last.map_or(0, |p| p + 1)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    app.commit_catalog_change(txn, workspace_id).await?;
    Ok(rule)
}

/// The rule with this id in the workspace.
pub async fn get(
    db: &impl ConnectionTrait,
    workspace_id: WorkspaceId,
    id: RuleId,
) -> Result<global_rule::Model> {
    get_in::<global_rule::Entity>(db, workspace_id, id).await
}

/// Replaces a rule's text.
pub async fn update(
    app: &AppContext,
    workspace_id: WorkspaceId,
    id: RuleId,
    text: &str,
) -> Result<global_rule::Model> {
    let text = validate_text("text", text)?;
    let txn = db::begin_write(&app.db).await?;
    let mut rule: global_rule::ActiveModel = get(&txn, workspace_id, id).await?.into();
    rule.text = Set(text);
    rule.updated_at = Set(Utc::now());
    let rule = rule.update(&txn).await?;
    app.commit_catalog_change(txn, workspace_id).await?;
    Ok(rule)
}

/// Deletes a rule (under the workspace lock, so a concurrent reorder sees it or not at all).
pub async fn delete(app: &AppContext, workspace_id: WorkspaceId, id: RuleId) -> Result<()> {
    let txn = db::begin_write(&app.db).await?;
    workspaces::lock(&txn, workspace_id).await?;
    get(&txn, workspace_id, id).await?.delete(&txn).await?;
    app.commit_catalog_change(txn, workspace_id).await
}

/// Puts the rules in the given order; `order` must hold each of the workspace's rules once.
pub async fn reorder(
    app: &AppContext,
    workspace_id: WorkspaceId,
    order: &[RuleId],
) -> Result<Vec<global_rule::Model>> {
    let txn = db::begin_write(&app.db).await?;
    workspaces::lock(&txn, workspace_id).await?;
    let rules = list(&txn, workspace_id).await?;
    check_is_permutation(&rules, order)?;
    let now = Utc::now();
    let mut reordered = Vec::with_capacity(rules.len());
    for (position, id) in order.iter().enumerate() {
        let Some(rule) = rules.iter().find(|r| r.id == *id) else {
            continue;
        };
        let mut rule: global_rule::ActiveModel = rule.clone().into();
        rule.position = Set(i32::try_from(position).unwrap_or(i32::MAX));
        rule.updated_at = Set(now);
        reordered.push(rule.update(&txn).await?);
    }
    app.commit_catalog_change(txn, workspace_id).await?;
    Ok(reordered)
}

fn check_is_permutation(rules: &[global_rule::Model], order: &[RuleId]) -> Result<()> {
    let existing: HashSet<RuleId> = rules.iter().map(|r| r.id).collect();
    let mut seen = HashSet::new();
    for id in order {
        if !existing.contains(id) {
            return Err(Error::bad_input(
                "ids",
                format!("ids holds {id}, which is not a rule of this workspace"),
            ));
        }
        if !seen.insert(*id) {
            return Err(Error::bad_input(
                "ids",
                format!("ids holds {id} more than once"),
            ));
        }
    }
    if seen.len() != existing.len() {
        let missing = existing.len() - seen.len();
        return Err(Error::bad_input(
            "ids",
            format!("ids must list every rule of the workspace exactly once; {missing} missing"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_prompt_joins_rules_then_additional_lines() {
        let prompt = system_prompt(["Be brief.", "Be kind."], Some("Say hi.\n\n  Sign off.  "));
        assert_eq!(
            prompt.as_deref(),
            Some("Be brief.\nBe kind.\nSay hi.\nSign off.")
        );
    }

    #[test]
    fn no_rules_means_no_system_prompt() {
        assert_eq!(system_prompt([], None), None);
        assert_eq!(system_prompt([], Some(" \n ")), None);
    }

    #[test]
    fn multi_line_rules_are_refused() {
        assert!(validate_text("text", "one\ntwo").is_err());
        assert_eq!(
            validate_text("text", "  one  ").ok().as_deref(),
            Some("one")
        );
    }
}
