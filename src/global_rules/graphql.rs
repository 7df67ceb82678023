//! GraphQL API of global rules and the system prompt they form.

use async_graphql::{Context, Object, ID};
use chrono::{DateTime, Utc};

use crate::auth::Role;
use crate::context::ContextExt;
use crate::entities::global_rule;
use crate::graphql::answer_budget::LargeText;
use crate::graphql::SYSTEM_PROMPT_COST;
use crate::ids;

/// One line of instruction; all rules in order form the system prompt.
pub struct GlobalRule(global_rule::Model);

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
    async fn global_rules(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<GlobalRule>> {
        let principal = ctx.principal(Role::Editor)?;
        let rules = super::list(ctx.db()?, principal.workspace_id).await?;
        Ok(rules.into_iter().map(GlobalRule).collect())
    }

    /// The system prompt the rules form: their texts in order, joined with newlines. Null when
    /// there are no rules (training examples then carry no system message).
    #[graphql(complexity = "SYSTEM_PROMPT_COST")]
    async fn system_prompt(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<LargeText<String>>> {
        let principal = ctx.principal(Role::Editor)?;
        let rules = super::list(ctx.db()?, principal.workspace_id).await?;
        let prompt = super::system_prompt(rules.iter().map(|r| r.text.as_str()), None);
        Ok(prompt.map(LargeText))
    }
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
        let rule = super::create(ctx.db()?, principal.workspace_id, &text).await?;
        ctx.training()?
            .changes
            .catalog_changed(principal.workspace_id);
        Ok(GlobalRule(rule))
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
        let id = ids::parse("id", &id)?;
        let rule = super::update(ctx.db()?, principal.workspace_id, id, &text).await?;
        ctx.training()?
            .changes
            .catalog_changed(principal.workspace_id);
        Ok(GlobalRule(rule))
    }

    /// Deletes a rule; returns its id.
    async fn delete_global_rule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rule's id.")] id: ID,
    ) -> async_graphql::Result<ID> {
        let principal = ctx.principal(Role::Editor)?;
        let id = ids::parse("id", &id)?;
        super::delete(ctx.db()?, principal.workspace_id, id).await?;
        ctx.training()?
            .changes
            .catalog_changed(principal.workspace_id);
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
            .map(|(i, id)| crate::ids::parse(&format!("ids[{i}]"), id))
            .collect::<Result<Vec<_>, _>>()?;
        let rules = super::reorder(ctx.db()?, principal.workspace_id, &order).await?;
        ctx.training()?
            .changes
            .catalog_changed(principal.workspace_id);
        Ok(rules.into_iter().map(GlobalRule).collect())
    }
}
