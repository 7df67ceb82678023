// Settings: provider credentials and API tokens (ADMIN), the credit balance and its ledger, and
// training blocks in and out as OpenAI chat JSONL (EDITOR and up). Each section loads on its
// own, so one that fails shows its error and a retry button while the others work.

import { gql, session, upload } from "../api.js";
import { badge, clearFieldErrors, confirmAction, errorBox, field, formError, h, loading, openDialog, pageHeader, replace, showFieldErrors, table, toast, withLoading } from "../dom.js";
import { count, time } from "../format.js";

const CREDENTIALS = `query ProviderCredentials {
  providerCredentials { id provider apiKeyLast4 baseUrl accountId webhookSecretSet webhookPath updatedAt }
}`;
const SET_CREDENTIALS = `mutation SetProviderCredentials($provider: String!, $apiKey: String!, $baseUrl: String, $webhookSecret: String, $accountId: String) {
  setProviderCredentials(provider: $provider, apiKey: $apiKey, baseUrl: $baseUrl, webhookSecret: $webhookSecret, accountId: $accountId) { id provider apiKeyLast4 }
}`;
const TEST_CREDENTIALS = `mutation TestProviderCredentials($provider: String!) {
  testProviderCredentials(provider: $provider) { ok message modelCount }
}`;
const TOKENS = `query ApiTokens { apiTokens { id name role prefix createdAt lastUsedAt } }`;
const CREATE_TOKEN = `mutation CreateApiToken($name: String!, $role: Role!) {
  createApiToken(name: $name, role: $role) { secret token { id name role } }
}`;
const REVOKE_TOKEN = `mutation RevokeApiToken($id: ID!) { revokeApiToken(id: $id) }`;
const CREDITS = `query Credits($first: Int!) {
  viewer { workspace { credits } }
  creditLedger(first: $first) { id amount reason jobId balanceAfter createdAt }
}`;
const IMPORT = `mutation ImportTrainingBlocks($file: Upload!, $dryRun: Boolean, $tag: String) {
  importTrainingBlocks(file: $file, dryRun: $dryRun, tag: $tag) { dryRun blocks exchanges }
}`;
const TAGS = `query TrainingTags { trainingTags { tag count } }`;
const VIEWER = `query Viewer { viewer { role } }`;

const LEDGER_SIZE = 100;

/** The providers tuner trains with, their default base URL and what their credentials need. */
const PROVIDERS = [
  { id: "openai", label: "OpenAI (or an OpenAI-compatible API)", baseUrl: "https://api.openai.com/v1" },
  { id: "azure-openai", label: "Azure OpenAI", baseUrl: null },
  { id: "together", label: "Together AI", baseUrl: "https://api.together.xyz/v1" },
  { id: "nebius", label: "Nebius Token Factory", baseUrl: "https://api.tokenfactory.nebius.com/v1" },
  { id: "fireworks", label: "Fireworks AI", baseUrl: "https://api.fireworks.ai/v1", accountId: true },
];

const ROLES = [
  { id: "READER", text: "READER: reads models and job updates (for bots)" },
  { id: "EDITOR", text: "EDITOR: rules, blocks, models and training" },
  { id: "ADMIN", text: "ADMIN: everything, tokens and credentials too" },
];

const REASONS = {
  GRANT: "Credits granted",
  JOB_FEE: "Training job fee",
  BLOCK_CREDITS: "Blocks trained",
  REFUND: "Refund",
  CHAT_REQUEST: "Chat request",
};

const STATUSES = [
  { id: "", text: "All statuses" },
  { id: "NOT_TRAINED", text: "Not trained" },
  { id: "TRAINED", text: "Trained" },
  { id: "DRAFT", text: "Draft" },
];

export async function render(root, ctx) {
  const cleanups = [];
  const sections = [];
  if (ctx.can("ADMIN")) sections.push(credentialsSection(), tokensSection());
  if (ctx.can("EDITOR")) sections.push(creditsSection(), importSection(), exportSection(cleanups));

  replace(
    root,
    pageHeader("Settings"),
    sections.length
      ? h("p", { class: "lead", text: "Provider credentials, API tokens, credits, and training messages in and out as JSONL files." })
      : h(
          "p",
          { class: "notice" },
          `You are signed in with a ${ctx.role} token. Settings need an EDITOR token (credits, import and export) or an ADMIN token (provider credentials and API tokens).`,
        ),
    sections.length > 1 ? contents(sections) : null,
    sections.map((s) => s.element),
  );
  await Promise.all(sections.map((s) => s.load()));
  return () => cleanups.forEach((stop) => stop());
}

/** "On this page": buttons that bring a section into view (the hash holds the route). */
function contents(sections) {
  return h(
    "nav",
    { class: "page-contents", "aria-label": "Settings sections" },
    sections.map((s) =>
      h("button", {
        type: "button",
        class: "link",
        text: s.title,
        onclick: () => {
          const heading = s.element.querySelector("h2");
          s.element.scrollIntoView({ block: "start" });
          heading.focus();
        },
      }),
    ),
  );
}

/** A card with a heading (focusable from the contents) and a body. */
function section(id, title, lead, ...children) {
  return h(
    "section",
    { class: "card settings-section", id, "aria-labelledby": `${id}-heading` },
    h("h2", { id: `${id}-heading`, text: title, tabIndex: -1 }),
    lead ? h("p", { class: "hint", text: lead }) : null,
    children,
  );
}

function options(list, selected = null) {
  return list.map((o) => h("option", { value: o.id, text: o.text ?? o.label, selected: o.id === selected }));
}

// ---------------------------------------------------------------------------------------------
// Provider credentials

function credentialsSection() {
  let current = new Map();
  const list = h("div", { class: "credentials-list" });
  const results = new Map();

  const providerSelect = h("select", { name: "provider" }, options(PROVIDERS));
  const keyInput = h("input", { type: "password", name: "apiKey", autocomplete: "new-password", spellcheck: false, placeholder: "Paste the provider's API key" });
  const baseUrlInput = h("input", { type: "url", name: "baseUrl", autocomplete: "off", spellcheck: false });
  const accountInput = h("input", { type: "text", name: "accountId", autocomplete: "off", spellcheck: false });
  const secretInput = h("input", { type: "password", name: "webhookSecret", autocomplete: "new-password", spellcheck: false, placeholder: "whsec_…" });
  const baseUrlField = field("Base URL", baseUrlInput, { name: "baseUrl", hint: "Leave it empty for the provider's default." });
  const accountField = field("Account id", accountInput, { name: "accountId", hint: "Fireworks only: the account id in its API paths (/v1/accounts/ACCOUNT_ID/…)." });
  const secretField = field("Webhook signing secret (optional)", secretInput, {
    name: "webhookSecret",
    hint: "The provider's signing secret for webhooks to this credential's webhook path. Leave it empty to keep the current one.",
  });

  const fitProvider = () => {
    const provider = PROVIDERS.find((p) => p.id === providerSelect.value);
    const stored = current.get(provider.id);
    baseUrlInput.placeholder = provider.baseUrl ?? "https://NAME.openai.azure.com/openai/v1";
    baseUrlField.querySelector(".hint").textContent = provider.baseUrl
      ? `Leave it empty for ${provider.baseUrl}; set it for a proxy or a compatible server.`
      : "Required: the resource's v1 address, such as https://NAME.openai.azure.com/openai/v1.";
    baseUrlInput.value = stored?.baseUrl ?? "";
    accountInput.value = stored?.accountId ?? "";
    accountField.hidden = !provider.accountId;
    clearFieldErrors(form);
  };
  providerSelect.addEventListener("change", fitProvider);

  const form = h(
    "form",
    {
      class: "settings-form",
      noValidate: true,
      "aria-labelledby": "credentials-form-heading",
      onsubmit: async (event) => {
        event.preventDefault();
        const provider = PROVIDERS.find((p) => p.id === providerSelect.value);
        const button = form.querySelector("button[type=submit]");
        button.disabled = true;
        try {
          const data = await gql(SET_CREDENTIALS, {
            provider: provider.id,
            apiKey: keyInput.value,
            baseUrl: baseUrlInput.value.trim() || null,
            webhookSecret: secretInput.value.trim() || null,
            accountId: provider.accountId ? accountInput.value.trim() || null : null,
          });
          clearFieldErrors(form);
          keyInput.value = "";
          secretInput.value = "";
          results.delete(provider.id);
          toast(`Credentials for ${provider.id} saved (key …${data.setProviderCredentials.apiKeyLast4}).`);
          await load();
        } catch (error) {
          showFieldErrors(form, error);
        } finally {
          button.disabled = false;
        }
      },
    },
    h("h3", { id: "credentials-form-heading", text: "Set credentials" }),
    h("p", { class: "hint", text: "Replaces the provider's earlier credentials. Keys are stored encrypted and never shown again: only their last 4 characters." }),
    h(
      "div",
      { class: "settings-grid" },
      field("Provider", providerSelect, { name: "provider" }),
      field("API key", keyInput, { name: "apiKey" }),
      baseUrlField,
      accountField,
      secretField,
    ),
    formError(),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", text: "Save credentials" })),
  );

  const testButton = (provider) => {
    const result = results.get(provider) ?? h("div", { class: "test-result", "data-provider": provider, role: "status" });
    results.set(provider, result);
    const button = h("button", {
      type: "button",
      class: "secondary",
      text: "Test",
      "aria-label": `Test ${provider} credentials`,
      onclick: async () => {
        button.disabled = true;
        replace(result, h("span", { class: "loading", text: "Testing…" }));
        try {
          const { testProviderCredentials: test } = await gql(TEST_CREDENTIALS, { provider });
          replace(
            result,
            badge(test.ok ? "OK" : "Failed", test.ok ? "ok" : "failed"),
            " ",
            h("span", { text: test.message }),
            // The count, unless the message already says it.
            test.ok && !test.message.includes(String(test.modelCount)) ? h("span", { class: "hint", text: ` (${count(test.modelCount)} ${test.modelCount === 1 ? "model" : "models"})` }) : null,
          );
        } catch (error) {
          if (error.code !== "UNAUTHENTICATED") replace(result, badge("Error", "error"), " ", h("span", { text: error.message }));
        } finally {
          button.disabled = false;
        }
      },
    });
    return h("div", { class: "test-cell" }, button, result);
  };

  const show = ({ providerCredentials: creds }) => {
    current = new Map(creds.map((c) => [c.provider, c]));
    if (!creds.length) {
      replace(list, h("p", { class: "empty", text: "No provider credentials yet: training jobs need them. Set them below." }));
    } else {
      const accounts = creds.some((c) => c.accountId);
      replace(
        list,
        table(
          "Provider credentials",
          ["Provider and key", "Base URL", accounts ? "Account" : null, "Webhook", "Updated", "Check", ""].filter((c) => c !== null),
          creds.map((c) =>
            h(
              "tr",
              { "data-provider": c.provider },
              h("td", {}, h("strong", { class: "provider-id", text: c.provider }), h("br"), h("span", { class: "hint" }, "key ", h("code", { class: "key-last4", text: `…${c.apiKeyLast4}` }))),
              h("td", { class: "url-cell" }, c.baseUrl ? h("code", { text: c.baseUrl }) : h("span", { class: "hint", text: "provider default" })),
              accounts ? h("td", {}, c.accountId ? h("code", { text: c.accountId }) : "—") : null,
              h(
                "td",
                { class: "url-cell" },
                c.webhookSecretSet ? badge("secret set", "ok") : badge("no secret", "draft"),
                h("br"),
                h("code", { title: "Prefix it with the address at which the provider reaches this server", text: c.webhookPath }),
              ),
              h("td", {}, time(c.updatedAt)),
              h("td", {}, testButton(c.provider)),
              h(
                "td",
                {},
                h("button", {
                  type: "button",
                  class: "secondary",
                  text: "Replace",
                  "aria-label": `Replace ${c.provider} credentials`,
                  onclick: () => {
                    providerSelect.value = c.provider;
                    fitProvider();
                    form.scrollIntoView({ block: "nearest" });
                    keyInput.focus();
                  },
                }),
              ),
            ),
          ),
          { className: "credentials-table" },
        ),
      );
    }
    fitProvider();
  };

  const load = () => withLoading(list, () => gql(CREDENTIALS), show);
  const element = section(
    "credentials",
    "Provider credentials",
    "The API keys tuner trains and chats with, per provider. ADMIN only.",
    list,
    form,
  );
  return { title: "Provider credentials", element, load };
}

// ---------------------------------------------------------------------------------------------
// API tokens

function tokensSection() {
  const list = h("div", { class: "tokens-list" });
  const nameInput = h("input", { type: "text", name: "name", maxLength: 100, autocomplete: "off", placeholder: "support-bot" });
  const roleSelect = h("select", { name: "role" }, options(ROLES, "READER"));

  const form = h(
    "form",
    {
      class: "settings-form",
      "aria-labelledby": "token-form-heading",
      onsubmit: async (event) => {
        event.preventDefault();
        const button = form.querySelector("button[type=submit]");
        button.disabled = true;
        try {
          const { createApiToken: created } = await gql(CREATE_TOKEN, { name: nameInput.value, role: roleSelect.value });
          clearFieldErrors(form);
          nameInput.value = "";
          load();
          await showSecret(created);
          nameInput.focus();
        } catch (error) {
          showFieldErrors(form, error);
        } finally {
          button.disabled = false;
        }
      },
    },
    h("h3", { id: "token-form-heading", text: "Create a token" }),
    h(
      "div",
      { class: "settings-grid" },
      field("Name", nameInput, { name: "name", hint: "Who or what will use it, 1 to 100 characters." }),
      field("Role", roleSelect, { name: "role" }),
    ),
    formError(),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", text: "Create token" })),
  );

  const show = ({ apiTokens: tokens }) => {
    const mine = session.token ?? "";
    replace(
      list,
      table(
        "API tokens",
        ["Name", "Role", "Prefix", "Created", "Last used", ""],
        tokens.map((t) => {
          const current = mine.startsWith(t.prefix);
          return h(
            "tr",
            { "data-token": t.id },
            h("td", {}, h("span", { class: "token-name", text: t.name }), current ? [" ", badge("this browser", "ready")] : null),
            h("td", {}, badge(t.role, "role")),
            h("td", {}, h("code", { text: `${t.prefix}…` })),
            h("td", {}, time(t.createdAt)),
            h("td", {}, t.lastUsedAt ? time(t.lastUsedAt) : h("span", { class: "hint", text: "never" })),
            h(
              "td",
              {},
              h("button", {
                type: "button",
                class: "danger",
                text: "Revoke",
                "aria-label": `Revoke token ${t.name}`,
                onclick: () => revoke(t, current),
              }),
            ),
          );
        }),
      ),
    );
  };

  const revoke = async (token, current) => {
    const message = current
      ? `“${token.name}” is the token this browser is signed in with: revoking it signs you out at once. Programs using it are refused from now on.`
      : `“${token.name}” (${token.role}) stops working at once: programs using it are refused from now on. This cannot be undone.`;
    if (!(await confirmAction("Revoke this token?", message, "Revoke token"))) return;
    try {
      await gql(REVOKE_TOKEN, { id: token.id });
      toast(`Token “${token.name}” revoked.`);
      await load();
    } catch (error) {
      if (error.code !== "UNAUTHENTICATED") toast(error.message, "error");
    }
  };

  const load = () => withLoading(list, () => gql(TOKENS), show);
  const element = section(
    "tokens",
    "API tokens",
    "Programs and people sign in with these. Each belongs to this workspace; its role decides what it may do. ADMIN only.",
    list,
    form,
  );
  return { title: "API tokens", element, load };
}

/** The new token's secret, once, with a Copy button. */
async function showSecret({ secret, token }) {
  const input = h("input", { type: "text", readOnly: true, value: secret, class: "mono secret", spellcheck: false, autocomplete: "off" });
  const copied = h("span", { class: "hint", role: "status" });
  const copy = h("button", {
    type: "button",
    class: "secondary",
    text: "Copy",
    onclick: async () => {
      input.select();
      let ok = false;
      try {
        if (navigator.clipboard && window.isSecureContext) {
          await navigator.clipboard.writeText(secret);
          ok = true;
        } else {
          ok = document.execCommand("copy");
        }
      } catch {
        ok = false;
      }
      copied.textContent = ok ? "Copied." : "Copying is not allowed here: select the secret and copy it yourself.";
    },
  });
  const body = h(
    "div",
    { class: "secret-box" },
    h("p", {}, "The token ", h("strong", { text: `“${token.name}”` }), ` (${token.role}) was created. Copy its secret now: `, h("strong", { text: "it will not be shown again." })),
    field("Secret", input, { hint: "Send it as Authorization: Bearer <secret>." }),
    h("div", { class: "copy-row" }, copy, copied),
  );
  const dialog = openDialog("Token created", body, [{ label: "Done", kind: "primary" }]);
  input.focus();
  input.select();
  await dialog;
}

// ---------------------------------------------------------------------------------------------
// Credits

function creditsSection() {
  const body = h("div");
  const show = ({ viewer, creditLedger: entries }) => {
    const credits = viewer.workspace.credits;
    replace(
      body,
      h("p", { class: "balance" }, h("span", { class: "balance-amount", text: count(credits) }), ` ${credits === 1 ? "credit" : "credits"}`),
      h("p", { class: "hint" }, "Training jobs spend them: a fee per job and one credit per block trained. Operators add credits with ", h("code", { text: "tuner credits grant" }), "."),
      h("h3", { text: "Ledger" }),
      entries.length
        ? table(
            "Credit ledger, newest first",
            ["Time", "Amount", "Reason", "Job", "Balance after"],
            entries.map((e) =>
              h(
                "tr",
                { "data-entry": e.id },
                h("td", {}, time(e.createdAt)),
                h("td", { class: `num ${e.amount < 0 ? "amount-minus" : "amount-plus"}`, text: e.amount < 0 ? `−${count(-e.amount)}` : `+${count(e.amount)}` }),
                h("td", { text: REASONS[e.reason] ?? e.reason }),
                h("td", {}, e.jobId ? h("a", { href: `#/jobs/${encodeURIComponent(e.jobId)}`, text: "View job" }) : "—"),
                h("td", { class: "num", text: count(e.balanceAfter) }),
              ),
            ),
            { className: "ledger" },
          )
        : h("p", { class: "empty", text: "No credit changes yet." }),
      entries.length >= LEDGER_SIZE ? h("p", { class: "hint", text: `The latest ${LEDGER_SIZE} changes are shown.` }) : null,
    );
  };
  const load = () => withLoading(body, () => gql(CREDITS, { first: LEDGER_SIZE }), show);
  const element = section("credits", "Credits", null, body);
  return { title: "Credits", element, load };
}

// ---------------------------------------------------------------------------------------------
// Import

function importSection() {
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

  const element = section(
    "import",
    "Import training messages",
    "Adds one Not trained block per line of a JSONL file. A file with a bad line imports nothing: fix the line and try again. EDITOR and up.",
    form,
    report,
  );
  return { title: "Import", element, load: async () => {} };
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

function exportSection(cleanups) {
  const statusSelect = h("select", { name: "status" }, options(STATUSES, ""));
  const tagInput = h("input", { type: "text", name: "tag", maxLength: 64, autocomplete: "off", list: "settings-tags" });
  const tags = h("datalist", { id: "settings-tags" });
  const result = h("div", { class: "export-result", "aria-live": "polite" });
  let lastUrl = null;
  cleanups.push(() => {
    if (lastUrl) URL.revokeObjectURL(lastUrl);
  });

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

  const element = section(
    "export",
    "Export training messages",
    "Downloads the workspace's blocks in the same JSONL format, global rules included as the system message. EDITOR and up.",
    form,
    result,
  );
  return { title: "Export", element, load };
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
