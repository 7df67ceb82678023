// Settings, provider credentials (ADMIN): the stored keys per provider with a Test button, and
// the form that sets (replaces) a provider's credentials.

import { gql } from "../../api.js";
import { badge, clearFieldErrors, field, formError, h, options, replace, showFieldErrors, table, toast, withLoading } from "../../dom.js";
import { count, time } from "../../format.js";

const CREDENTIALS = `query ProviderCredentials {
  providerCredentials { id provider apiKeyLast4 baseUrl accountId webhookSecretSet webhookPath updatedAt }
}`;
const SET_CREDENTIALS = `mutation SetProviderCredentials($provider: String!, $apiKey: String!, $baseUrl: String, $webhookSecret: String, $accountId: String) {
  setProviderCredentials(provider: $provider, apiKey: $apiKey, baseUrl: $baseUrl, webhookSecret: $webhookSecret, accountId: $accountId) { id provider apiKeyLast4 }
}`;
const TEST_CREDENTIALS = `mutation TestProviderCredentials($provider: String!) {
  testProviderCredentials(provider: $provider) { ok message modelCount }
}`;

/** The providers tuner trains with, their default base URL and what their credentials need. */
const PROVIDERS = [
  { id: "openai", label: "OpenAI (or an OpenAI-compatible API)", baseUrl: "https://api.openai.com/v1" },
  { id: "azure-openai", label: "Azure OpenAI", baseUrl: null },
  { id: "together", label: "Together AI", baseUrl: "https://api.together.xyz/v1" },
  { id: "nebius", label: "Nebius Token Factory", baseUrl: "https://api.tokenfactory.nebius.com/v1" },
  { id: "fireworks", label: "Fireworks AI", baseUrl: "https://api.fireworks.ai/v1", accountId: true },
];

/** The section: `{ id, title, heading, lead, content, load }` for the settings page. */
export function credentialsSection() {
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
  return {
    id: "credentials",
    title: "Provider credentials",
    heading: "Provider credentials",
    lead: "The API keys tuner trains and chats with, per provider. ADMIN only.",
    content: [list, form],
    load,
  };
}
