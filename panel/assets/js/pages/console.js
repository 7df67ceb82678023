// The GraphQL console (also what `GET /graphql` opens in a browser): a query, its variables and
// operation name, run with the signed-in token; the answer is shown exactly as the server sent
// it, errors included. Subscriptions run over the WebSocket and list each result as it arrives
// until stopped. A schema explorer lists the root fields with their descriptions, from an
// introspection query. The last query is kept for this browser tab.

import { gql, session, subscribe } from "../api.js";
import { clearFieldErrors, errorBox, field, formError, h, loading, pageHeader, replace, showFieldErrors } from "../dom.js";

const STORE_KEY = "tuner.console";
const MAX_RESULTS = 200;

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

const TYPE_REF = "fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }";
const ROOT_FIELDS = "name fields { name description args { name type { ...TypeRef } defaultValue } type { ...TypeRef } }";
const SCHEMA = `query ConsoleSchema {
  __schema { queryType { ${ROOT_FIELDS} } mutationType { ${ROOT_FIELDS} } subscriptionType { ${ROOT_FIELDS} } }
}
${TYPE_REF}`;

export async function render(root, ctx) {
  const saved = restore();
  const queryInput = h("textarea", { name: "query", class: "mono console-query", rows: 14, spellcheck: false, autocomplete: "off", value: saved.query });
  const variablesInput = h("textarea", { name: "variables", class: "mono", rows: 4, spellcheck: false, autocomplete: "off", value: saved.variables, placeholder: '{ "first": 10 }' });
  const operationInput = h("input", { type: "text", name: "operationName", autocomplete: "off", spellcheck: false, value: saved.operationName });
  const status = h("p", { class: "console-status", role: "status" }, "Run a query to see its answer.");
  const output = h("pre", { class: "console-output", tabIndex: 0, role: "region", "aria-label": "Answer" });
  const runButton = h("button", { type: "submit", class: "primary", text: "Run" });
  const stopButton = h("button", { type: "button", class: "danger", text: "Stop", hidden: true, onclick: () => stopSubscription("Stopped.") });
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

  let stopCurrent = null;
  const stopSubscription = (message) => {
    stopCurrent?.();
    stopCurrent = null;
    stopButton.hidden = true;
    runButton.disabled = false;
    if (message) status.textContent = message;
  };

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
        stopSubscription(null);
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
          runSubscription(query, variables);
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

  const runSubscription = (query, variables) => {
    replace(output);
    status.classList.remove("has-errors");
    status.textContent = "Subscribed: results appear here as they arrive.";
    stopButton.hidden = false;
    runButton.disabled = true;
    let received = 0;
    const results = () => `${received} ${received === 1 ? "result" : "results"}`;
    const show = (payload, label) => {
      const stamp = new Date().toLocaleTimeString();
      const entry = h("div", { class: "console-result" }, h("span", { class: "hint", text: `${label} · ${stamp}` }), `\n${JSON.stringify(payload, null, 2)}\n`);
      output.append(entry);
      while (output.childElementCount > MAX_RESULTS) output.firstElementChild.remove();
      output.scrollTop = output.scrollHeight;
    };
    stopCurrent = subscribe(query, variables ?? {}, {
      next: (data) => {
        received += 1;
        show({ data }, `#${received}`);
        status.textContent = `Subscribed: ${results()} so far.`;
      },
      error: (error) => {
        show({ errors: error.errors?.length ? error.errors : [{ message: error.message }] }, "Error");
        stopCurrent = null;
        stopSubscription(`The subscription ended with an error after ${results()}.`);
        status.classList.add("has-errors");
      },
      complete: () => {
        stopCurrent = null;
        stopSubscription(`The subscription completed after ${results()}.`);
      },
      reconnecting: () => {
        status.textContent = "The connection dropped: reconnecting…";
      },
    });
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
  return () => stopSubscription(null);
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

/** The variables text as an object (empty text: none); throws with a message for the field. */
function parseVariables(text) {
  if (!text.trim()) return null;
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`The variables are not valid JSON: ${error.message}`);
  }
  if (value === null) return null;
  if (typeof value !== "object" || Array.isArray(value)) throw new Error("The variables must be a JSON object, such as { \"first\": 10 }.");
  return value;
}

/**
 * The operations a GraphQL document defines, `{ type, name }` in order (fragments left out):
 * enough to tell a subscription from a query. Strings and comments are skipped; anything the
 * server would refuse is left for it to say.
 */
export function operations(source) {
  const ops = [];
  let depth = 0;
  let pending = null;
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i];
    if (c === "#") {
      while (i < n && source[i] !== "\n" && source[i] !== "\r") i++;
      continue;
    }
    if (c === '"') {
      if (source.startsWith('"""', i)) {
        let end = source.indexOf('"""', i + 3);
        while (end > 0 && source[end - 1] === "\\") end = source.indexOf('"""', end + 3);
        i = end < 0 ? n : end + 3;
      } else {
        i += 1;
        while (i < n && source[i] !== '"' && source[i] !== "\n") i += source[i] === "\\" ? 2 : 1;
        i += 1;
      }
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /\w/.test(source[j])) j++;
      const word = source.slice(i, j);
      i = j;
      if (depth === 0) {
        if (!pending && ["query", "mutation", "subscription", "fragment"].includes(word)) pending = { type: word, name: null, named: false };
        else if (pending && !pending.named) {
          pending.name = word;
          pending.named = true;
        }
      }
      continue;
    }
    if (c === "{" || c === "(" || c === "[") {
      if (depth === 0 && c === "{" && !pending) pending = { type: "query", name: null, named: true };
      if (depth === 0 && pending) pending.named = true;
      depth += 1;
    } else if (c === "}" || c === ")" || c === "]") {
      depth = Math.max(0, depth - 1);
      if (depth === 0 && c === "}" && pending) {
        if (pending.type !== "fragment") ops.push({ type: pending.type, name: pending.name });
        pending = null;
      }
    } else if (c === "@" && depth === 0 && pending) {
      pending.named = true;
    }
    i += 1;
  }
  return ops;
}

/** The root fields of the schema with their arguments and descriptions, loaded when opened. */
function schemaExplorer() {
  const body = h("div", { class: "schema-body" });
  let loaded = false;
  const details = h(
    "details",
    {
      class: "card schema-explorer",
      ontoggle: () => {
        if (details.open && !loaded) {
          loaded = true;
          load();
        }
      },
    },
    h("summary", {}, h("h2", { text: "Schema: queries, mutations and subscriptions" })),
    body,
  );
  const load = async () => {
    replace(body, loading("Loading the schema…"));
    try {
      const { __schema: schema } = await gql(SCHEMA);
      showSchema(body, schema);
    } catch (error) {
      if (error?.code === "UNAUTHENTICATED") return;
      replace(body, errorBox(error, load));
    }
  };
  return details;
}

function showSchema(body, schema) {
  const roots = [
    ["Query", schema.queryType],
    ["Mutation", schema.mutationType],
    ["Subscription", schema.subscriptionType],
  ].filter(([, type]) => type);
  const filter = h("input", { type: "search", name: "schema-filter", autocomplete: "off", placeholder: "Field name or word of its description" });
  const lists = roots.map(([label, type]) => {
    const items = [...type.fields]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((f) =>
        h(
          "li",
          { class: "schema-field", "data-search": `${f.name} ${f.description ?? ""}`.toLowerCase() },
          h("code", { class: "schema-signature" }, h("strong", { text: f.name }), f.args.length ? `(${f.args.map((a) => `${a.name}: ${typeName(a.type)}${a.defaultValue !== null ? ` = ${a.defaultValue}` : ""}`).join(", ")})` : "", `: ${typeName(f.type)}`),
          f.description ? h("p", { class: "hint", text: f.description }) : null,
        ),
      );
    return h("section", { class: "schema-root", "aria-label": `${label} fields` }, h("h3", { text: `${label} (${type.fields.length})` }), h("ul", {}, items));
  });
  filter.addEventListener("input", () => {
    const words = filter.value.toLowerCase().trim();
    for (const item of body.querySelectorAll(".schema-field")) item.hidden = Boolean(words) && !item.dataset.search.includes(words);
    for (const root of body.querySelectorAll(".schema-root")) root.hidden = !root.querySelector(".schema-field:not([hidden])");
  });
  replace(body, field("Filter", filter), h("div", { class: "schema-roots" }, lists));
}

function typeName(type) {
  if (!type) return "?";
  if (type.kind === "NON_NULL") return `${typeName(type.ofType)}!`;
  if (type.kind === "LIST") return `[${typeName(type.ofType)}]`;
  return type.name;
}
