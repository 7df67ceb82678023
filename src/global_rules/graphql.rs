//! GraphQL API of global rules and the system prompt they form.

use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::{Context, Object, ID};
use chrono::{DateTime, Utc};

use super::loader::{RuleLoader, SharedRules};
use crate::auth::Role;
use crate::context::ContextExt;
use crate::entities::global_rule;
use crate::graphql::answer_budget::{self, LargeText};
use crate::graphql::SYSTEM_PROMPT_COST;
use crate::ids::{RuleId, TypedId};

/// One line of instruction; all rules in order form the system prompt.
pub struct GlobalRule(Arc<global_rule::Model>);

/// One line of instruction; all rules in order form the system prompt.
#[Object]
impl GlobalRule {
    /// The rule's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The instruction: one line, at most 2,000 characters.
    async fn text(&self) -> LargeText<&str> {
        LargeText(&self.0.text)
    }
    /// Where the rule stands in the system prompt; lower comes first.
    async fn position(&self) -> i32 {
        self.0.position
    }
    /// When the rule was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the rule was last changed or moved.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// Queries on global rules. EDITOR and up.
#[derive(Default)]
pub struct GlobalRuleQuery;

#[Object]
impl GlobalRuleQuery {
    /// The workspace's global rules in system-prompt order.
    #[graphql(complexity = "child_complexity * RULE_ROWS_COUNTED")]
    async fn global_rules(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<GlobalRule>> {
        let rules = rules_of_caller(ctx).await?;
        Ok(rules.iter().cloned().map(GlobalRule).collect())
    }

    /// The system prompt the rules form: their texts in order, joined with newlines. Null when
    /// there are no rules (training examples then carry no system message).
    #[graphql(complexity = "SYSTEM_PROMPT_COST")]
    async fn system_prompt(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<LargeText<String>>> {
        let rules = rules_of_caller(ctx).await?;
        let prompt = super::system_prompt(rules.iter().map(|r| r.text.as_str()), None);
        Ok(prompt.map(LargeText))
    }
}

/// The rows `globalRules` counts as in the query's complexity: more than most workspaces hold
/// and a fifth of the 500 allowed; the answer's size cap bounds the text of the rest.
const RULE_ROWS_COUNTED: usize = 100;

/// The caller's rules (EDITOR and up), read once per request; none once the answer has outgrown
/// its size cap (it is discarded then).
async fn rules_of_caller(ctx: &Context<'_>) -> async_graphql::Result<SharedRules> {
    let principal = ctx.principal(Role::Editor)?;
    let workspace_id = principal.workspace_id;
    let rules = match ctx.data_opt::<DataLoader<RuleLoader, HashMapCache>>() {
        Some(loader) => loader.load_one(workspace_id).await?.unwrap_or_default(),
        None => {
            let rows = super::list(ctx.db()?, workspace_id).await?;
            rows.into_iter().map(Arc::new).collect()
        }
    };
    Ok(if answer_budget::spent(ctx) {
        SharedRules::default()
    } else {
        rules
    })
}

/// Mutations on global rules. EDITOR and up.
#[derive(Default)]
pub struct GlobalRuleMutation;

#[Object]
impl GlobalRuleMutation {
    /// Appends a rule at the end of the list.
    async fn create_global_rule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "One line of instruction, at most 2,000 characters; trimmed.")]
        text: String,
    ) -> async_graphql::Result<GlobalRule> {
        let principal = ctx.principal(Role::Editor)?;
        let rule = super::create(ctx.app()?, principal.workspace_id, &text).await?;
        Ok(GlobalRule(Arc::new(rule)))
    }

    /// Replaces a rule's text; its position is kept.
    async fn update_global_rule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rule's id.")] id: ID,
        #[graphql(desc = "The new text: one line, at most 2,000 characters; trimmed.")]
        text: String,
    ) -> async_graphql::Result<GlobalRule> {
        let principal = ctx.principal(Role::Editor)?;
        let id = RuleId::parse("id", &id)?;
        let rule = super::update(ctx.app()?, principal.workspace_id, id, &text).await?;
        Ok(GlobalRule(Arc::new(rule)))
    }

    /// Deletes a rule; returns its id.
    async fn delete_global_rule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rule's id.")] id: ID,
    ) -> async_graphql::Result<ID> {
        let principal = ctx.principal(Role::Editor)?;
        let id = RuleId::parse("id", &id)?;
        super::delete(ctx.app()?, principal.workspace_id, id).await?;
        Ok(ID(id.to_string()))
    }

    /// Sets the order of all rules at once and returns them in that order.
    async fn reorder_global_rules(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Every rule id of the workspace, each once, in the new order.")] ids: Vec<
            ID,
        >,
    ) -> async_graphql::Result<Vec<GlobalRule>> {
        let principal = ctx.principal(Role::Editor)?;
        let order = ids
            .iter()
            .enumerate()
            .map(|(i, id)| RuleId::parse(&format!("ids[{i}]"), id))
            .collect::<Result<Vec<_>, _>>()?;
        let rules = super::reorder(ctx.app()?, principal.workspace_id, &order).await?;
        Ok(rules
            .into_iter()
            .map(|rule| GlobalRule(Arc::new(rule)))
            .collect())
    }
}
