// One training block, created or edited: status, tag, additional rules, notes and 1 to 3
// exchanges (added, removed, reordered). The API's validation messages show at their fields.

import { gql } from "../api.js";
import { confirmAction, field, formError, h, pageHeader, replace, showFieldErrors, toast, withLoading } from "../dom.js";
import { time } from "../format.js";
import { STATUSES } from "./blocks.js";

const MAX_EXCHANGES = 3;
const FIELDS = "id status tag additionalRules notes createdAt updatedAt exchanges { prompt response }";
const BLOCK = `query TrainingBlock($id: ID!) { trainingBlock(id: $id) { ${FIELDS} } trainingTags { tag } }`;
const TAGS = `query TrainingTags { trainingTags { tag } }`;
const CREATE = `mutation CreateTrainingBlock($input: CreateTrainingBlockInput!) { createTrainingBlock(input: $input) { id } }`;
const UPDATE = `mutation UpdateTrainingBlock($id: ID!, $input: UpdateTrainingBlockInput!) { updateTrainingBlock(id: $id, input: $input) { id } }`;
const DELETE = `mutation DeleteTrainingBlocks($ids: [ID!]!) { deleteTrainingBlocks(ids: $ids) }`;

export async function render(root, ctx, { id }) {
  const editing = Boolean(id);
  const body = h("div");
  replace(
    root,
    h("p", {}, h("a", { href: "#/blocks", text: "← Training Messages" })),
    pageHeader(editing ? "Edit training block" : "New training block"),
    body,
  );
  const empty = { status: "NOT_TRAINED", tag: "", additionalRules: "", notes: "", exchanges: [{ prompt: "", response: "" }] };
  await withLoading(
    body,
    () => (editing ? gql(BLOCK, { id }) : gql(TAGS)),
    (data) => replace(body, editor(ctx, id, data.trainingBlock ?? empty, data.trainingTags)),
  );
}

function editor(ctx, id, block, tags) {
  let exchanges = block.exchanges.map((e) => ({ ...e }));
  const status = h("select", { name: "status" }, STATUSES.map(([value, label]) => h("option", { value, text: label, selected: block.status === value })));
  const tagList = h("datalist", { id: "known-tags" }, tags.map(({ tag }) => h("option", { value: tag })));
  const tag = h("input", { type: "text", name: "tag", value: block.tag ?? "", list: "known-tags", maxLength: 64 });
  const rules = h("textarea", { name: "additionalRules", value: block.additionalRules ?? "", rows: 2 });
  const notes = h("textarea", { name: "notes", value: block.notes ?? "", rows: 2 });
  const exchangeArea = h("div", { class: "exchanges" });

  const drawExchanges = (focusIndex = null, focusWhat = "prompt") => {
    replace(
      exchangeArea,
      exchanges.map((exchange, index) => exchangeFieldset(exchange, index)),
      h("button", {
        type: "button",
        class: "secondary",
        text: "Add exchange",
        disabled: exchanges.length >= MAX_EXCHANGES,
        title: exchanges.length >= MAX_EXCHANGES ? "A block holds at most 3 exchanges" : null,
        onclick: () => {
          exchanges.push({ prompt: "", response: "" });
          drawExchanges(exchanges.length - 1);
        },
      }),
    );
    if (focusIndex !== null) exchangeArea.querySelector(`[data-field="exchanges[${focusIndex}].${focusWhat}"] textarea, [data-exchange="${focusIndex}"] button[data-action="${focusWhat}"]`)?.focus();
  };

  const exchangeFieldset = (exchange, index) => {
    const prompt = h("textarea", { name: `exchanges[${index}].prompt`, value: exchange.prompt, rows: 3, oninput: (e) => (exchange.prompt = e.target.value) });
    const response = h("textarea", { name: `exchanges[${index}].response`, value: exchange.response, rows: 4, oninput: (e) => (exchange.response = e.target.value) });
    const move = (offset) => {
      const [moved] = exchanges.splice(index, 1);
      exchanges.splice(index + offset, 0, moved);
      drawExchanges(index + offset, offset < 0 ? "up" : "down");
    };
    const n = index + 1;
    return h(
      "fieldset",
      { class: "exchange card", "data-exchange": String(index) },
      h("legend", { text: `Exchange ${n}` }),
      field(`User prompt ${n}`, prompt, { name: `exchanges[${index}].prompt` }),
      field(`Assistant response ${n}`, response, { name: `exchanges[${index}].response` }),
      h(
            "div",
            { class: "row-actions" },
            h("button", { type: "button", class: "icon", "data-action": "up", "aria-label": `Move exchange ${n} up`, text: "↑", disabled: index === 0, onclick: () => move(-1) }),
            h("button", { type: "button", class: "icon", "data-action": "down", "aria-label": `Move exchange ${n} down`, text: "↓", disabled: index === exchanges.length - 1, onclick: () => move(1) }),
            h("button", {
              type: "button",
              class: "danger",
              text: `Remove exchange ${n}`,
              disabled: exchanges.length === 1,
              title: exchanges.length === 1 ? "A block needs at least one exchange" : null,
              onclick: () => {
                exchanges.splice(index, 1);
                drawExchanges(Math.max(0, index - 1));
              },
            }),
          ),
    );
  };

  const form = h(
    "form",
    {
      class: "block-editor",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        const input = {
          status: status.value,
          tag: tag.value.trim() || null,
          additionalRules: rules.value || null,
          notes: notes.value || null,
          exchanges: exchanges.map(({ prompt, response }) => ({ prompt, response })),
        };
        const save = form.querySelector('button[type="submit"]');
        save.disabled = true;
        try {
          if (id) await gql(UPDATE, { id, input });
          else await gql(CREATE, { input });
          toast(id ? "Training block saved." : "Training block created.");
          ctx.navigate("#/blocks");
        } catch (error) {
          showFieldErrors(form, error);
        } finally {
          save.disabled = false;
        }
      },
    },
    h(
      "div",
      { class: "card" },
      h(
        "div",
        { class: "grid" },
        field("Status", status, { name: "status", hint: "Not Trained blocks go into the next training job; Drafts never do." }),
        field("Tag", tag, { name: "tag", hint: "A label to group blocks, such as a topic." }),
      ),
      tagList,
      field("Additional rules", rules, { name: "additionalRules", hint: "Instructions for this block only, added to the global rules in its training example." }),
      field("Notes", notes, { name: "notes", hint: "For the team; never sent to the provider." }),
    ),
    h("h2", { text: "Exchanges" }),
    h("p", { class: "hint", text: "1 to 3 pairs of a user prompt and the ideal assistant response, in conversation order." }),
    exchangeArea,
    formError(),
    h(
          "div",
          { class: "actions form-actions" },
          h("button", { type: "submit", class: "primary", text: id ? "Save block" : "Create block" }),
          h("a", { class: "button secondary", href: "#/blocks", text: "Cancel" }),
          id
            ? h("button", {
                type: "button",
                class: "danger",
                text: "Delete block",
                onclick: async () => {
                  if (await confirmAction("Delete this training block?", "The block and its exchanges will be deleted.", "Delete block")) {
                    try {
                      await gql(DELETE, { ids: [id] });
                      toast("Training block deleted.");
                      ctx.navigate("#/blocks");
                    } catch (error) {
                      toast(error.message, "error");
                    }
                  }
                },
              })
            : null,
        ),
    block.updatedAt ? h("p", { class: "hint" }, "Created ", time(block.createdAt), " · last changed ", time(block.updatedAt)) : null,
  );
  drawExchanges();
  return form;
}
