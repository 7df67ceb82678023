// Training Messages: the block list with status, tag and exchanges; filters by status and tag,
// text search, Relay paging; many blocks selected at once get a status or tag, or are deleted.

import { gql } from "../api.js";
import { badge, confirmAction, field, h, loading, pageHeader, replace, errorBox, table, toast } from "../dom.js";
import { count, time } from "../format.js";

const PAGE_SIZE = 25;

const BLOCKS = `query TrainingBlocks($first: Int, $after: String, $last: Int, $before: String, $filter: TrainingBlockFilter) {
  trainingBlocks(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
    edges { node { id status tag updatedAt exchanges { prompt response } } }
    pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
    totalCount
  }
  trainingTags { tag count }
}`;
const SET_STATUS = `mutation SetTrainingBlocksStatus($ids: [ID!]!, $status: TrainingStatus!) { setTrainingBlocksStatus(ids: $ids, status: $status) }`;
const SET_TAG = `mutation SetTrainingBlocksTag($ids: [ID!]!, $tag: String) { setTrainingBlocksTag(ids: $ids, tag: $tag) }`;
const DELETE = `mutation DeleteTrainingBlocks($ids: [ID!]!) { deleteTrainingBlocks(ids: $ids) }`;

/** The statuses a block can have, as the product guide names them. */
export const STATUSES = [
  ["NOT_TRAINED", "Not Trained"],
  ["TRAINED", "Trained"],
  ["DRAFT", "Draft"],
];

const statusLabel = (status) => STATUSES.find(([value]) => value === status)?.[1] ?? status;

export async function render(root, ctx, _params, query) {
  const filter = {
    status: query.get("status") || null,
    tag: query.get("tag") || null,
    search: query.get("q") || null,
  };
  let page = { first: PAGE_SIZE };
  const selected = new Set();

  const statusSelect = h("select", { name: "status" }, h("option", { value: "", text: "All statuses" }), STATUSES.map(([value, label]) => h("option", { value, text: label, selected: filter.status === value })));
  const tagSelect = h("select", { name: "tag" }, h("option", { value: "", text: "All tags" }));
  const searchInput = h("input", { type: "search", name: "q", value: filter.search ?? "", placeholder: "Words in prompts, responses, notes" });
  const filters = h(
    "form",
    {
      class: "filters card",
      role: "search",
      onsubmit: (event) => {
        event.preventDefault();
        applyFilters();
      },
    },
    field("Status", statusSelect),
    field("Tag", tagSelect),
    field("Search", searchInput),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary", text: "Search" })),
  );
  statusSelect.addEventListener("change", () => applyFilters());
  tagSelect.addEventListener("change", () => applyFilters());

  const selectionBar = h("div", { class: "selection-bar", hidden: true, "aria-live": "polite" });
  const results = h("div");
  replace(
    root,
    pageHeader("Training Messages", h("a", { class: "button primary", href: "#/blocks/new", text: "New block" })),
    h("p", { class: "lead", text: "Example conversations: 1 to 3 exchanges of a user prompt and the assistant's ideal response. Blocks that are Not Trained go into the next training job." }),
    filters,
    selectionBar,
    results,
  );

  // Filters live in the address, so a reload or a shared link shows the same list.
  function applyFilters() {
    const params = new URLSearchParams();
    if (statusSelect.value) params.set("status", statusSelect.value);
    if (tagSelect.value) params.set("tag", tagSelect.value);
    if (searchInput.value.trim()) params.set("q", searchInput.value.trim());
    const search = params.toString();
    ctx.navigate(search ? `#/blocks?${search}` : "#/blocks");
  }

  async function load() {
    replace(results, loading("Loading training blocks…"));
    try {
      const data = await gql(BLOCKS, { ...page, filter: { status: filter.status, tag: filter.tag, search: filter.search } });
      fillTags(data.trainingTags);
      show(data.trainingBlocks);
    } catch (error) {
      if (error.code !== "UNAUTHENTICATED") replace(results, errorBox(error, load));
    }
  }

  function fillTags(tags) {
    const options = tags.map(({ tag, count: n }) => h("option", { value: tag, text: `${tag} (${count(n)})`, selected: filter.tag === tag }));
    if (filter.tag && !tags.some((t) => t.tag === filter.tag)) options.push(h("option", { value: filter.tag, text: filter.tag, selected: true }));
    replace(tagSelect, h("option", { value: "", text: "All tags" }), options);
  }

  function show(connection) {
    selected.clear();
    updateSelection();
    const blocks = connection.edges.map((edge) => edge.node);
    if (!blocks.length) {
      const filtered = filter.status || filter.tag || filter.search;
      replace(results, h("p", { class: "empty card", text: filtered ? "No training block matches these filters." : "No training blocks yet. Create one, or import a JSONL file on the Settings page." }));
      return;
    }
    const selectAll = h("input", {
          type: "checkbox",
          "aria-label": "Select all blocks on this page",
          onchange: (event) => {
            for (const box of results.querySelectorAll("input[data-block]")) {
              box.checked = event.target.checked;
              if (box.checked) selected.add(box.dataset.block);
              else selected.delete(box.dataset.block);
            }
            updateSelection();
          },
        });
    const rows = blocks.map((block, index) => {
      const first = block.exchanges[0] ?? { prompt: "", response: "" };
      const more = block.exchanges.length - 1;
      const cells = [
        h("input", {
              type: "checkbox",
              "data-block": block.id,
              "aria-label": `Select block ${index + 1}: ${first.prompt.slice(0, 60)}`,
              onchange: (event) => {
                if (event.target.checked) selected.add(block.id);
                else selected.delete(block.id);
                updateSelection();
              },
            }),
        badge(statusLabel(block.status), block.status),
        block.tag ? h("span", { class: "tag", text: block.tag }) : h("span", { class: "empty", text: "—" }),
        h(
          "div",
          { class: "exchange-preview" },
          h("p", { class: "clip" }, h("strong", { text: "User: " }), first.prompt || h("em", { text: "(empty)" })),
          h("p", { class: "clip" }, h("strong", { text: "Assistant: " }), first.response || h("em", { text: "(empty)" })),
          more > 0 ? h("p", { class: "hint", text: `+ ${more} more exchange${more > 1 ? "s" : ""}` }) : null,
        ),
        time(block.updatedAt),
        h("a", { href: `#/blocks/${encodeURIComponent(block.id)}`, text: "Edit", "aria-label": `Edit block ${index + 1}` }),
      ];
      return h("tr", { "data-id": block.id }, cells.map((cell) => h("td", {}, cell)));
    });
    const columns = ["", "Status", "Tag", "Exchanges", "Updated", ""];
    const list = table("Training blocks", columns, rows, { className: "blocks" });
    list.querySelector("th").append(selectAll);
    const info = connection.pageInfo;
    const pager = h(
      "nav",
      { class: "pager", "aria-label": "Pages of training blocks" },
      h("span", { class: "hint", text: `${count(connection.totalCount)} block${connection.totalCount === 1 ? "" : "s"}` }),
      h("button", { type: "button", class: "secondary", text: "Previous page", disabled: !info.hasPreviousPage, onclick: () => go({ last: PAGE_SIZE, before: info.startCursor }) }),
      h("button", { type: "button", class: "secondary", text: "Next page", disabled: !info.hasNextPage, onclick: () => go({ first: PAGE_SIZE, after: info.endCursor }) }),
    );
    replace(results, list, pager);
  }

  function go(next) {
    page = next;
    load();
  }

  function updateSelection() {
    const n = selected.size;
    selectionBar.hidden = n === 0;
    if (!n) return;
    const statusChoice = h("select", { "aria-label": "New status for the selected blocks" }, STATUSES.map(([value, label]) => h("option", { value, text: label })));
    const tagInput = h("input", { type: "text", "aria-label": "New tag for the selected blocks (empty removes it)", placeholder: "Tag (empty removes it)", maxLength: 64 });
    const ids = () => [...selected];
    replace(
      selectionBar,
      h("strong", { text: `${n} selected` }),
      statusChoice,
      h("button", { type: "button", class: "secondary", text: "Set status", onclick: () => bulk(() => gql(SET_STATUS, { ids: ids(), status: statusChoice.value }), "setTrainingBlocksStatus", `Status set on {n} block(s).`) }),
      tagInput,
      h("button", { type: "button", class: "secondary", text: "Set tag", onclick: () => bulk(() => gql(SET_TAG, { ids: ids(), tag: tagInput.value.trim() || null }), "setTrainingBlocksTag", `Tag set on {n} block(s).`) }),
      h("button", {
        type: "button",
        class: "danger",
        text: "Delete selected",
        onclick: async () => {
          const what = `${n} training block${n === 1 ? "" : "s"}`;
          if (await confirmAction(`Delete ${what}?`, `The ${what} will be deleted. Jobs that trained on them keep their record.`, `Delete ${what}`)) {
            await bulk(() => gql(DELETE, { ids: ids() }), "deleteTrainingBlocks", `Deleted {n} block(s).`);
          }
        },
      }),
    );
  }

  async function bulk(action, field, message) {
    try {
      const data = await action();
      toast(message.replace("{n}", count(data[field])));
      await load();
    } catch (error) {
      toast(error.message, "error");
    }
  }

  await load();
}
