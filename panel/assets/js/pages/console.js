// The GraphQL console (also what `GET /graphql` opens in a browser): a query, its variables and
// operation name, run with the signed-in token; the answer is shown exactly as the server sent
// it, errors included. Subscriptions run over the WebSocket and list each result as it arrives
// until stopped (console/subscription.js). A schema explorer lists the root fields with their
// descriptions, from an introspection query (console/schema_explorer.js). The last query is kept
// for this browser tab.

import { session } from "../api.js";
import { clearFieldErrors, field, formError, h, pageHeader, replace, showFieldErrors } from "../dom.js";
import { operations, parseVariables } from "./console/document.js";
import { schemaExplorer } from "./console/schema_explorer.js";
import { subscriptionRunner } from "./console/subscription.js";

const STORE_KEY = "tuner.console";

const EXAMPLES = [
  { id: "viewer", text: "Who am I", query: "query Viewer {\n  viewer {\n    role\n    workspace { id name }\n  }\n}\n" },
  { id: "rules", text: "Global rules and system prompt", query: "query GlobalRules {\n  globalRules { id text position }\n  systemPrompt\n}\n" },
  {
    id: "blocks",
    text: "Training blocks (paged)",
    query: "query TrainingBlocks($first: Int, $after: String) {\n  trainingBlocks(first: $first, after: $after) {\n    totalCount\n    pageInfo { hasNextPage endCursor }\n    nodes { id status tag exchanges { prompt response } }\n  }\n}\n",
    variables: '{\n  "first": 5\n}\n',
  },
  { id: "models", text: "Custom models", query: "query CustomModels {\n  customModels { id name status provider baseModel fineTunedModel }\n}\n" },
  { id: "available", text: "Available models (for bots)", query: "query AvailableModels {\n  availableModels { name providerModel chatBaseUrl systemPrompt }\n}\n" },
  {
    id: "updates",
    text: "Live job updates (subscription)",
    query: "subscription JobUpdates($modelId: ID) {\n  trainingJobUpdates(modelId: $modelId) {\n    job { id status }\n    newEvents { createdAt level message }\n    newMetrics { step totalSteps trainLoss validLoss }\n  }\n}\n",
    variables: '{\n  "modelId": "MODEL_ID"\n}\n',
  },
];

export async function render(root, ctx) {
  const saved = restore();
  const queryInput = h("textarea", { name: "query", class: "mono console-query", rows: 14, spellcheck: false, autocomplete: "off", value: saved.query });
  const variablesInput = h("textarea", { name: "variables", class: "mono", rows: 4, spellcheck: false, autocomplete: "off", value: saved.variables, placeholder: '{ "first": 10 }' });
  const operationInput = h("input", { type: "text", name: "operationName", autocomplete: "off", spellcheck: false, value: saved.operationName });
  const status = h("p", { class: "console-status", role: "status" }, "Run a query to see its answer.");
  const output = h("pre", { class: "console-output", tabIndex: 0, role: "region", "aria-label": "Answer" });
  const runButton = h("button", { type: "submit", class: "primary", text: "Run" });
  const stopButton = h("button", { type: "button", class: "danger", text: "Stop", hidden: true, onclick: () => subscription.stop("Stopped.") });
  const example = h(
    "select",
    {
      name: "example",
      onchange: () => {
        const chosen = EXAMPLES.find((e) => e.id === example.value);
        if (!chosen) return;
        queryInput.value = chosen.query;
        variablesInput.value = chosen.variables ?? "";
        operationInput.value = "";
        example.value = "";
        save();
        queryInput.focus();
      },
    },
    h("option", { value: "", text: "Choose an example…" }),
    EXAMPLES.map((e) => h("option", { value: e.id, text: e.text })),
  );

  const subscription = subscriptionRunner({ output, status, runButton, stopButton });

  const save = () => {
    try {
      sessionStorage.setItem(STORE_KEY, JSON.stringify({ query: queryInput.value, variables: variablesInput.value, operationName: operationInput.value }));
    } catch {
      // Storage full or disabled: the console works without it.
    }
  };

  const form = h(
    "form",
    {
      class: "console-form",
      noValidate: true,
      "aria-label": "GraphQL request",
      oninput: save,
      onkeydown: (event) => {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          form.requestSubmit();
        }
      },
      onsubmit: async (event) => {
        event.preventDefault();
        subscription.stop(null);
        clearFieldErrors(form);
        save();
        const query = queryInput.value;
        const operationName = operationInput.value.trim() || null;
        let variables;
        try {
          variables = parseVariables(variablesInput.value);
        } catch (error) {
          showFieldErrors(form, { fieldErrors: { variables: error.message }, errors: [] });
          return;
        }
        if (!query.trim()) {
          showFieldErrors(form, { fieldErrors: { query: "Write a query first." }, errors: [] });
          return;
        }
        const ops = operations(query);
        const chosen = operationName ? ops.find((op) => op.name === operationName) : ops.length === 1 ? ops[0] : null;
        if (chosen?.type === "subscription") {
          if (ops.length > 1) {
            showFieldErrors(form, { fieldErrors: { query: "Run a subscription from a document that holds only it (a subscription request carries no operation name)." }, errors: [] });
            return;
          }
          subscription.start(query, variables);
        } else {
          await runRequest(query, variables, operationName);
        }
      },
    },
    field("Query", queryInput, { name: "query", hint: "Ctrl+Enter (⌘+Enter on a Mac) runs it. Queries, mutations and subscriptions." }),
    field("Variables (JSON)", variablesInput, { name: "variables" }),
    h(
      "div",
      { class: "console-grid" },
      field("Operation name", operationInput, { name: "operationName", hint: "Which operation to run when the document holds several." }),
      field("Examples", example, { name: "example" }),
    ),
    formError(),
    h("div", { class: "actions" }, runButton, stopButton),
  );

  const runRequest = async (query, variables, operationName) => {
    runButton.disabled = true;
    status.textContent = "Running…";
    replace(output);
    const started = performance.now();
    try {
      let response;
      try {
        response = await fetch("/graphql", {
          method: "POST",
          headers: { "content-type": "application/json", ...(session.token ? { authorization: `Bearer ${session.token}` } : {}) },
          body: JSON.stringify({ query, variables, operationName }),
        });
      } catch (cause) {
        status.textContent = `The server cannot be reached (${cause.message}).`;
        return;
      }
      const text = await response.text();
      const took = Math.round(performance.now() - started);
      let body = null;
      try {
        body = JSON.parse(text);
      } catch {
        // Shown as text below.
      }
      const errors = body?.errors?.length ?? 0;
      status.textContent = `HTTP ${response.status} ${response.statusText} · ${took} ms${errors ? ` · ${errors} ${errors === 1 ? "error" : "errors"}` : ""}`;
      status.classList.toggle("has-errors", errors > 0 || !response.ok);
      output.textContent = body ? JSON.stringify(body, null, 2) : text;
    } finally {
      runButton.disabled = false;
    }
  };

  replace(
    root,
    pageHeader("GraphQL console"),
    h(
      "p",
      { class: "lead" },
      "Requests go to ",
      h("code", { text: "/graphql" }),
      ` with the token you signed in with (${ctx.role}). The schema, with a description on every field, is also printed by `,
      h("code", { text: "tuner schema" }),
      ".",
    ),
    h(
      "div",
      { class: "console-layout" },
      form,
      h("section", { class: "console-answer", "aria-labelledby": "console-answer-heading" }, h("h2", { id: "console-answer-heading", text: "Answer" }), status, output),
    ),
    schemaExplorer(),
  );
  return () => subscription.stop(null);
}

function restore() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORE_KEY) ?? "null");
    if (saved && typeof saved.query === "string") {
      return { query: saved.query, variables: String(saved.variables ?? ""), operationName: String(saved.operationName ?? "") };
    }
  } catch {
    // A damaged entry: start with the example.
  }
  return { query: EXAMPLES[0].query, variables: "", operationName: "" };
}
