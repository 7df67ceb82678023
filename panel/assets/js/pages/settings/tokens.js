// Settings, API tokens (ADMIN): the workspace's tokens with Revoke, the form that creates one,
// and the dialog that shows a new token's secret once.

import { gql, session } from "../../api.js";
import { badge, clearFieldErrors, confirmAction, field, formError, h, openDialog, options, replace, showFieldErrors, table, toast, withLoading } from "../../dom.js";
import { time } from "../../format.js";

const TOKENS = `query ApiTokens { apiTokens { id name role prefix createdAt lastUsedAt } }`;
const CREATE_TOKEN = `mutation CreateApiToken($name: String!, $role: Role!) {
  createApiToken(name: $name, role: $role) { secret token { id name role } }
}`;
const REVOKE_TOKEN = `mutation RevokeApiToken($id: ID!) { revokeApiToken(id: $id) }`;

const ROLES = [
  { id: "READER", text: "READER: reads models and job updates (for bots)" },
  { id: "EDITOR", text: "EDITOR: rules, blocks, models and training" },
  { id: "ADMIN", text: "ADMIN: everything, tokens and credentials too" },
];

/** The section: `{ id, title, heading, lead, content, load }` for the settings page. */
export function tokensSection() {
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
  return {
    id: "tokens",
    title: "API tokens",
    heading: "API tokens",
    lead: "Programs and people sign in with these. Each belongs to this workspace; its role decides what it may do. ADMIN only.",
    content: [list, form],
    load,
  };
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
