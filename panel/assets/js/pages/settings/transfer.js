// Settings, training messages in and out as OpenAI chat JSONL (EDITOR and up): the import (with
// a dry run, and the numbers of bad lines) and the export as a download.

import { gql, session, upload } from "../../api.js";
import { clearFieldErrors, errorBox, field, formError, h, loading, options, replace, showFieldErrors, table } from "../../dom.js";
import { count } from "../../format.js";

const IMPORT = `mutation ImportTrainingBlocks($file: Upload!, $dryRun: Boolean, $tag: String) {
  importTrainingBlocks(file: $file, dryRun: $dryRun, tag: $tag) { dryRun blocks exchanges }
}`;
const TAGS = `query TrainingTags { trainingTags { tag count } }`;
const VIEWER = `query Viewer { viewer { role } }`;

const STATUSES = [
  { id: "", text: "All statuses" },
  { id: "NOT_TRAINED", text: "Not trained" },
  { id: "TRAINED", text: "Trained" },
  { id: "DRAFT", text: "Draft" },
];

// ---------------------------------------------------------------------------------------------
// Import

/** The import section: `{ id, title, heading, lead, content, load }` for the settings page. */
export function importSection() {
  const fileInput = h("input", { type: "file", name: "file", accept: ".jsonl,.json,.ndjson,.txt,application/x-ndjson,application/jsonl,text/plain" });
  const tagInput = h("input", { type: "text", name: "tag", maxLength: 64, autocomplete: "off", list: "settings-tags" });
  const report = h("div", { class: "import-report", "aria-live": "polite" });
  const dryButton = h("button", { type: "button", class: "secondary", text: "Dry run (check only)", onclick: () => run(true) });
  const importButton = h("button", { type: "submit", class: "primary", text: "Import" });

  const form = h(
    "form",
    {
      class: "settings-form",
      noValidate: true,
      "aria-labelledby": "import-heading",
      onsubmit: (event) => {
        event.preventDefault();
        run(false);
      },
    },
    h(
      "div",
      { class: "settings-grid" },
      field("JSONL file", fileInput, {
        name: "file",
        hint: "OpenAI chat fine-tuning format, one conversation per line: {\"messages\": [{\"role\": \"user\", …}, {\"role\": \"assistant\", …}]}. System lines that are global rules are dropped; others become the block's additional rules.",
      }),
      field("Tag (optional)", tagInput, { name: "tag", hint: "Given to every imported block, at most 64 characters." }),
    ),
    formError(),
    h("div", { class: "actions" }, dryButton, importButton),
  );

  const run = async (dryRun) => {
    clearFieldErrors(form);
    replace(report);
    const file = fileInput.files?.[0];
    if (!file) {
      showFieldErrors(form, { fieldErrors: { file: "Choose a JSONL file first." }, errors: [] });
      return;
    }
    const tag = tagInput.value.trim() || null;
    dryButton.disabled = importButton.disabled = true;
    replace(report, loading(dryRun ? "Checking the file…" : "Importing…"));
    try {
      const { importTrainingBlocks: result } = await upload(IMPORT, { dryRun, tag }, "file", file);
      replace(report, importDone(result, tag, file.name));
      if (!dryRun) fileInput.value = "";
    } catch (error) {
      replace(report);
      if (error.code === "UNAUTHENTICATED") return;
      showFieldErrors(form, error);
      const lines = error.errors?.find((e) => Array.isArray(e.extensions?.lines))?.extensions;
      if (lines?.lines.length) replace(report, lineProblems(lines.lines, lines.problemCount ?? lines.lines.length));
    } finally {
      dryButton.disabled = importButton.disabled = false;
    }
  };

  return {
    id: "import",
    title: "Import",
    heading: "Import training messages",
    lead: "Adds one Not trained block per line of a JSONL file. A file with a bad line imports nothing: fix the line and try again. EDITOR and up.",
    content: [form, report],
    load: async () => {},
  };
}

function importDone(result, tag, fileName) {
  const blocks = `${count(result.blocks)} ${result.blocks === 1 ? "block" : "blocks"}`;
  const exchanges = `${count(result.exchanges)} ${result.exchanges === 1 ? "exchange" : "exchanges"}`;
  if (result.dryRun) {
    return h(
      "div",
      { class: "import-ok", role: "status" },
      h("p", {}, h("strong", { text: "Dry run: the file is valid. " }), `${fileName} holds ${blocks} with ${exchanges}. Nothing was imported.`),
    );
  }
  return h(
    "div",
    { class: "import-ok", role: "status" },
    h("p", {}, h("strong", { text: "Imported. " }), `${blocks} with ${exchanges} added as Not trained${tag ? `, tagged “${tag}”` : ""}. `),
    h("p", {}, h("a", { href: tag ? `#/blocks?tag=${encodeURIComponent(tag)}` : "#/blocks", text: "See them in Training Messages" })),
  );
}

function lineProblems(lines, total) {
  const shown = lines.length;
  return h(
    "div",
    { class: "import-problems", role: "alert" },
    h("p", {}, h("strong", { text: `Nothing was imported: ${count(total)} ${total === 1 ? "line has a problem" : "lines have problems"}.` }), " Fix these lines and try again."),
    table(
      "Lines with problems",
      ["Line", "Problem"],
      lines.map((p) => h("tr", { "data-line": p.line }, h("td", { class: "num line-number", text: `Line ${p.line}` }), h("td", { text: p.message }))),
    ),
    total > shown ? h("p", { class: "hint", text: `… and ${count(total - shown)} more.` }) : null,
  );
}

// ---------------------------------------------------------------------------------------------
// Export

/**
 * The export section: `{ id, title, heading, lead, content, load, stop }` for the settings page;
 * its datalist of tags also serves the import's tag field.
 */
export function exportSection() {
  const statusSelect = h("select", { name: "status" }, options(STATUSES, ""));
  const tagInput = h("input", { type: "text", name: "tag", maxLength: 64, autocomplete: "off", list: "settings-tags" });
  const tags = h("datalist", { id: "settings-tags" });
  const result = h("div", { class: "export-result", "aria-live": "polite" });
  let lastUrl = null;

  const form = h(
    "form",
    {
      class: "settings-form",
      noValidate: true,
      "aria-labelledby": "export-heading",
      onsubmit: async (event) => {
        event.preventDefault();
        clearFieldErrors(form);
        const button = form.querySelector("button[type=submit]");
        button.disabled = true;
        replace(result, loading("Preparing the file…"));
        const params = new URLSearchParams();
        if (statusSelect.value) params.set("status", statusSelect.value);
        if (tagInput.value.trim()) params.set("tag", tagInput.value.trim());
        try {
          const blob = await download(params);
          const lines = (await blob.text()).split("\n").filter((l) => l.trim()).length;
          if (!lines) {
            replace(result, h("p", { class: "empty", text: "No training blocks match these filters: there is nothing to download." }));
            return;
          }
          const name = ["training-blocks", params.get("tag"), params.get("status")?.toLowerCase()].filter(Boolean).join("-").replace(/[^\w.-]+/g, "_") + ".jsonl";
          if (lastUrl) URL.revokeObjectURL(lastUrl);
          lastUrl = URL.createObjectURL(blob);
          const link = h("a", { href: lastUrl, download: name, class: "button", text: `Download ${name} again` });
          h("a", { href: lastUrl, download: name }).click();
          replace(result, h("p", { role: "status" }, `${name}: ${count(lines)} ${lines === 1 ? "block" : "blocks"}, ${size(blob.size)}. `, link));
        } catch (error) {
          replace(result, errorBox(error));
        } finally {
          button.disabled = false;
        }
      },
    },
    h(
      "div",
      { class: "settings-grid" },
      field("Status", statusSelect, { name: "status" }),
      field("Tag", tagInput, { name: "tag", hint: "Exact tag; empty for every tag." }),
    ),
    tags,
    formError(),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", text: "Download JSONL" })),
  );

  const load = async () => {
    try {
      const { trainingTags } = await gql(TAGS);
      replace(tags, trainingTags.map((t) => h("option", { value: t.tag, label: `${t.tag} (${count(t.count)})` })));
    } catch {
      // The tag suggestions are a convenience: the field works without them.
    }
  };

  return {
    id: "export",
    title: "Export",
    heading: "Export training messages",
    lead: "Downloads the workspace's blocks in the same JSONL format, global rules included as the system message. EDITOR and up.",
    content: [form, result],
    load,
    stop: () => {
      if (lastUrl) URL.revokeObjectURL(lastUrl);
    },
  };
}

/** The export as a Blob, fetched with the session's token (a plain link could not send it). */
async function download(params) {
  const query = params.toString();
  let response;
  try {
    response = await fetch(`/export/training-blocks${query ? `?${query}` : ""}`, { headers: { authorization: `Bearer ${session.token}` } });
  } catch (cause) {
    throw new Error(`The server cannot be reached (${cause.message}).`);
  }
  if (response.ok) return response.blob();
  let message = `The export answered ${response.status} ${response.statusText}.`;
  try {
    const body = await response.json();
    if (body?.error?.message) message = body.error.message;
  } catch {
    // Not JSON: the status says enough.
  }
  // A refused token: ask once more through GraphQL, which brings the sign-in back.
  if (response.status === 401) await gql(VIEWER).catch(() => {});
  throw new Error(message);
}

function size(bytes) {
  if (bytes < 1024) return `${count(bytes)} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
