// Custom Models: every model of the workspace with its status, provider, base model, the
// fine-tuned model name bots call and when its base model retires. Create, edit and delete
// (EDITOR and up); the dialog that creates and edits a model is shared with the model's page.

import { gql } from "../api.js";
import { badge, confirmAction, field, formError, h, openDialog, pageHeader, replace, showFieldErrors, table, toast, withLoading } from "../dom.js";
import { time } from "../format.js";

const MODELS = `query CustomModels { customModels { id name description provider baseModel status fineTunedModel servingModel clientSystemMessages retiresAt createdAt } }`;
const CREDENTIALS = `query ProviderChoices { providerCredentials { provider } }`;
const BASE_MODELS = `query BaseModels($provider: String!) { baseModels(provider: $provider) { id retiresAt } }`;
const CREATE = `mutation CreateCustomModel($input: CreateCustomModelInput!) { createCustomModel(input: $input) { id } }`;
const UPDATE = `mutation UpdateCustomModel($id: ID!, $input: UpdateCustomModelInput!) { updateCustomModel(id: $id, input: $input) { id } }`;
const DELETE = `mutation DeleteCustomModel($id: ID!) { deleteCustomModel(id: $id) }`;

/** The providers tuner knows, besides any the workspace stored credentials for. */
export const KNOWN_PROVIDERS = ["openai", "azure-openai", "together", "fireworks", "nebius"];

/** Providers that serve a trained model only once it is deployed. */
export const DEPLOYED_PROVIDERS = ["together", "nebius", "fireworks"];

const CLIENT_SYSTEM_MESSAGES = [
  ["KEEP", "Keep (after the trained prompt)"],
  ["DISCARD", "Discard"],
  ["REJECT", "Reject the request"],
];

/** The date a model's base model retires (it can no longer be trained or called), or "—". */
export function retirement(iso) {
  return iso ? time(iso, { withTime: false }) : "—";
}

/** The fine-tuned model name bots call, in code type, or "—". */
export function fineTunedName(model) {
  const name = model.servingModel ?? model.fineTunedModel;
  return name ? h("code", { class: "model-name", text: name }) : "—";
}

/**
 * The dialog that creates a model (`model` null) or edits one. Resolves with the model's id
 * once saved, or null when closed without saving.
 */
export async function modelDialog(model = null) {
  let configured = [];
  try {
    configured = (await gql(CREDENTIALS)).providerCredentials.map((c) => c.provider);
  } catch {
    // Only ADMIN sees the stored credentials; the known providers are offered anyway.
  }
  const current = model?.provider ?? (configured.includes("openai") || !configured.length ? "openai" : configured[0]);
  const providers = [...new Set([...configured, ...KNOWN_PROVIDERS, current])];
  const locked = Boolean(model && (model.fineTunedModel || model.status === "TRAINING"));

  const name = h("input", { type: "text", name: "name", maxLength: 100, autocomplete: "off", value: model?.name ?? "" });
  const description = h("textarea", { name: "description", rows: 3, maxLength: 10000, value: model?.description ?? "" });
  const provider = h(
    "select",
    { name: "provider", disabled: locked },
    providers.map((id) => h("option", { value: id, selected: id === current, text: configured.includes(id) ? `${id} (credentials stored)` : id })),
  );
  const suggestions = h("datalist", { id: `base-models-${Date.now()}` });
  const baseModel = h("input", {
    type: "text",
    name: "baseModel",
    list: suggestions.id,
    autocomplete: "off",
    spellcheck: false,
    maxLength: 128,
    disabled: locked,
    value: model?.baseModel ?? "",
    placeholder: "gpt-4o-mini-2024-07-18",
  });
  const suggestionNote = h("p", { class: "hint", "aria-live": "polite" });
  const policy = h(
    "select",
    { name: "clientSystemMessages" },
    CLIENT_SYSTEM_MESSAGES.map(([value, label]) => h("option", { value, selected: value === (model?.clientSystemMessages ?? "KEEP"), text: label })),
  );

  const loadSuggestions = async () => {
    const chosen = provider.value;
    suggestionNote.textContent = "Loading the base models of this provider…";
    try {
      const { baseModels } = await gql(BASE_MODELS, { provider: chosen });
      if (provider.value !== chosen) return;
      replace(
        suggestions,
        baseModels.map((m) => h("option", { value: m.id, text: m.retiresAt ? `retires ${new Date(m.retiresAt).toLocaleDateString()}` : "" })),
      );
      suggestionNote.textContent = baseModels.length ? `${baseModels.length} base models of ${chosen} are suggested as you type.` : "";
    } catch (error) {
      if (provider.value !== chosen) return;
      replace(suggestions);
      suggestionNote.textContent = `No suggestions from ${chosen}: ${error.message}`;
    }
  };
  if (!locked) {
    provider.addEventListener("change", loadSuggestions);
    loadSuggestions();
  }

  const body = h(
    "div",
    { class: "model-form" },
    field("Name", name, { name: "name", hint: "Unique in the workspace, for example “Customer support”." }),
    field("Description", description, { name: "description", hint: "What the model is for (optional)." }),
    field("Provider", provider, {
      name: "provider",
      hint: locked ? "A model that is training or trained keeps its provider and base model." : "The fine-tuning provider; it needs the workspace's credentials (Settings).",
    }),
    field("Base model", baseModel, { name: "baseModel", hint: "The provider model training starts from; empty for the provider's default." }),
    suggestionNote,
    suggestions,
    field("Client system messages", policy, {
      name: "clientSystemMessages",
      hint: "What happens to system messages a bot sends along: kept after the trained system prompt (your global rules), discarded, or the request is refused with an error.",
    }),
    formError(),
  );

  let savedId = null;
  const save = async () => {
    const input = { name: name.value, description: description.value.trim() || null, clientSystemMessages: policy.value };
    if (!locked) {
      if (!model || provider.value !== model.provider) input.provider = provider.value;
      const base = baseModel.value.trim();
      if (base && base !== model?.baseModel) input.baseModel = base;
    }
    try {
      if (model) {
        await gql(UPDATE, { id: model.id, input });
        savedId = model.id;
        toast("Model saved.");
      } else {
        savedId = (await gql(CREATE, { input })).createCustomModel.id;
        toast("Model created.");
      }
      return true;
    } catch (error) {
      if (error?.code === "UNAUTHENTICATED") return true;
      showFieldErrors(body, error);
      return false;
    }
  };

  const closing = openDialog(model ? `Edit ${model.name}` : "Create a custom model", body, [
    { label: "Cancel", kind: "secondary" },
    { label: model ? "Save" : "Create", kind: "primary", submit: true, onClick: save },
  ]);
  name.focus();
  await closing;
  return savedId;
}

/** Asks, then deletes the model; resolves true once it is gone. */
export async function deleteModel(model) {
  const sure = await confirmAction(
    `Delete ${model.name}?`,
    `“${model.name}” and the history of its training jobs are deleted. Bots that call ${model.servingModel ?? model.fineTunedModel ?? "it"} through tuner can no longer select it.`,
    "Delete model",
  );
  if (!sure) return false;
  try {
    await gql(DELETE, { id: model.id });
    toast("Model deleted.");
    return true;
  } catch (error) {
    toast(error.message, "error");
    return false;
  }
}

export async function render(root, ctx) {
  const body = h("div");
  const create = ctx.can("EDITOR")
    ? h("button", {
        type: "button",
        class: "primary",
        text: "Create model",
        onclick: async () => {
          const id = await modelDialog();
          if (id) ctx.navigate(`#/models/${encodeURIComponent(id)}`);
        },
      })
    : null;
  replace(
    root,
    pageHeader("Custom Models", create),
    h("p", {
      class: "lead",
      text: "All the models you have created. Each stores its provider job, training status and, once training completes, the custom model name that appears in the model selection of your chatbots and AI bots.",
    }),
    body,
  );

  const reload = () =>
    withLoading(
      body,
      () => gql(MODELS),
      show,
    );

  const show = ({ customModels: models }) => {
    if (!models.length) {
      replace(
        body,
        h("p", { class: "empty", text: ctx.can("EDITOR") ? "No custom models yet. Create one, then run a training job on your training messages." : "No custom models yet." }),
      );
      return;
    }
    const editor = ctx.can("EDITOR");
    const columns = ["Name", "Status", "Provider", "Base model", "Fine-tuned model", "Retires", "Created"];
    if (editor) columns.push("Actions");
    const rows = models.map((model) =>
      h(
        "tr",
        { "data-id": model.id },
        h("td", {}, h("a", { href: `#/models/${encodeURIComponent(model.id)}`, text: model.name })),
        h("td", {}, badge(model.status)),
        h("td", { text: model.provider }),
        h("td", {}, h("code", { class: "base-model", text: model.baseModel })),
        h("td", {}, fineTunedName(model)),
        h("td", {}, retirement(model.retiresAt)),
        h("td", {}, time(model.createdAt, { withTime: false })),
        editor
          ? h(
              "td",
              {},
              h(
                "span",
                { class: "row-actions" },
                h("button", {
                  type: "button",
                  class: "secondary",
                  "aria-label": `Edit ${model.name}`,
                  text: "Edit",
                  onclick: async () => {
                    if (await modelDialog(model)) reload();
                  },
                }),
                h("button", {
                  type: "button",
                  class: "danger",
                  "aria-label": `Delete ${model.name}`,
                  text: "Delete",
                  onclick: async () => {
                    if (await deleteModel(model)) reload();
                  },
                }),
              ),
            )
          : null,
      ),
    );
    replace(body, table("Custom models", columns, rows, { className: "models-table" }));
  };

  await reload();
}
