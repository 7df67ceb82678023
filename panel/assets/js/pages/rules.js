// Global Rules: one-line instructions that form the system prompt, in order. Add, edit,
// delete and reorder (EDITOR and up); the resulting system prompt is shown below the list.

import { gql } from "../api.js";
import { confirmAction, field, formError, h, pageHeader, replace, showFieldErrors, toast, withLoading } from "../dom.js";

const RULES = `query GlobalRules { globalRules { id text position } systemPrompt }`;
const CREATE = `mutation CreateGlobalRule($text: String!) { createGlobalRule(text: $text) { id } }`;
const UPDATE = `mutation UpdateGlobalRule($id: ID!, $text: String!) { updateGlobalRule(id: $id, text: $text) { id } }`;
const DELETE = `mutation DeleteGlobalRule($id: ID!) { deleteGlobalRule(id: $id) }`;
const REORDER = `mutation ReorderGlobalRules($ids: [ID!]!) { reorderGlobalRules(ids: $ids) { id } }`;

export async function render(root, ctx) {
  const body = h("div");
  replace(
    root,
    pageHeader("Global Rules"),
    h("p", { class: "lead", text: "One-line instructions every custom model is trained with. In order, they form the system prompt that bots send with each conversation." }),
    body,
  );
  const reload = () => withLoading(body, () => gql(RULES), (data) => show(data));

  const show = ({ globalRules: rules, systemPrompt }) => {
    const list = h(
      "ol",
      { class: "rule-list", "aria-label": "Global rules" },
      rules.map((rule, index) => ruleItem(rule, index, rules)),
    );
    replace(
      body,
      rules.length ? list : h("p", { class: "empty", text: "No rules yet: models are trained without a system prompt." }),
      ctx.can("EDITOR") ? addForm() : null,
      h("section", { class: "card", "aria-labelledby": "prompt-heading" }, h("h2", { id: "prompt-heading", text: "Resulting system prompt" }), systemPrompt ? h("pre", { class: "prompt", text: systemPrompt }) : h("p", { class: "empty", text: "None (there are no rules)." })),
    );
  };

  const ruleItem = (rule, index, rules) => {
    const item = h("li", { class: "rule", "data-id": rule.id }, h("span", { class: "rule-text", text: rule.text }));
    if (!ctx.can("EDITOR")) return item;
    const move = async (offset) => {
      const ids = rules.map((r) => r.id);
      const [moved] = ids.splice(index, 1);
      ids.splice(index + offset, 0, moved);
      await run(() => gql(REORDER, { ids }), "Rule moved.", `[data-id="${rule.id}"] [data-move="${offset}"]`);
    };
    item.append(
      h(
        "span",
        { class: "row-actions" },
        h("button", { type: "button", class: "icon", "data-move": "-1", "aria-label": `Move rule ${index + 1} up`, title: "Move up", disabled: index === 0, onclick: () => move(-1), text: "↑" }),
        h("button", { type: "button", class: "icon", "data-move": "1", "aria-label": `Move rule ${index + 1} down`, title: "Move down", disabled: index === rules.length - 1, onclick: () => move(1), text: "↓" }),
        h("button", { type: "button", class: "secondary", "aria-label": `Edit rule ${index + 1}`, onclick: () => edit(item, rule), text: "Edit" }),
        h("button", {
          type: "button",
          class: "danger",
          "aria-label": `Delete rule ${index + 1}`,
          text: "Delete",
          onclick: async () => {
            if (await confirmAction("Delete this rule?", `“${rule.text}” will no longer be part of the system prompt.`, "Delete rule")) {
              await run(() => gql(DELETE, { id: rule.id }), "Rule deleted.");
            }
          },
        }),
      ),
    );
    return item;
  };

  const edit = (item, rule) => {
    const input = h("input", { type: "text", name: "text", value: rule.text, maxLength: 2000, required: true });
    const form = h(
      "form",
      {
        class: "inline-form",
        onsubmit: async (event) => {
          event.preventDefault();
          try {
            await gql(UPDATE, { id: rule.id, text: input.value });
            toast("Rule saved.");
            reload();
          } catch (error) {
            showFieldErrors(form, error);
          }
        },
      },
      field("Rule text", input, { name: "text" }),
      formError(),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", text: "Save" }), h("button", { type: "button", class: "secondary", text: "Cancel", onclick: reload })),
    );
    replace(item, form);
    input.focus();
  };

  const addForm = () => {
    const input = h("input", { type: "text", name: "text", maxLength: 2000, placeholder: "Always answer in a friendly, professional tone." });
    const form = h(
      "form",
      {
        class: "card inline-form",
        onsubmit: async (event) => {
          event.preventDefault();
          try {
            await gql(CREATE, { text: input.value });
            toast("Rule added.");
            await reload();
            body.querySelector("form input[name=text]")?.focus();
          } catch (error) {
            showFieldErrors(form, error);
          }
        },
      },
      field("New rule", input, { name: "text", hint: "One line, at most 2,000 characters." }),
      formError(),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", text: "Add rule" })),
    );
    return form;
  };

  const run = async (action, done, focusAfter = null) => {
    try {
      await action();
      toast(done);
      await reload();
      if (focusAfter) body.querySelector(focusAfter)?.focus();
    } catch (error) {
      toast(error.message, "error");
    }
  };

  await reload();
}
