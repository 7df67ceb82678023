// "Move to another provider" (`#/models/ID?move`, EDITOR and up): the provider and base model to
// move to, the preview of the move's job there (`movePreview`: every block the model was trained
// on plus the Not Trained ones, under the new provider's data rules), and the move on
// confirmation. Bots keep calling the current model until the new one is callable.

import { gql } from "../../api.js";
import { confirmAction, field, formError, h, pageHeader, replace } from "../../dom.js";
import { count } from "../../format.js";
import { KNOWN_PROVIDERS } from "../models.js";
import { previewThenStart } from "./preview_then_start.js";
import { PREVIEW_FIELDS } from "./training_preview.js";

const CREDENTIALS = `query MoveProviders { providerCredentials { provider } }`;
const BASE_MODELS = `query MoveBaseModels($provider: String!) { baseModels(provider: $provider) { id } }`;
const PREVIEW = `query MovePreview($id: ID!, $provider: String!, $baseModel: String!) {
  movePreview(id: $id, provider: $provider, baseModel: $baseModel) {${PREVIEW_FIELDS}  }
}`;
const MOVE = `mutation MoveCustomModel($id: ID!, $provider: String!, $baseModel: String!) {
  moveCustomModel(id: $id, provider: $provider, baseModel: $baseModel) { id status }
}`;

/** Fills `root` with the move page of `model` (as the model page loaded it). */
export async function renderMove(root, ctx, model) {
  let configured = [];
  try {
    configured = (await gql(CREDENTIALS)).providerCredentials.map((c) => c.provider);
  } catch {
    // Only ADMIN sees the stored credentials; the known providers are offered anyway.
  }
  const others = [...new Set([...configured, ...KNOWN_PROVIDERS])].filter((id) => id !== model.provider);
  const first = others.find((id) => configured.includes(id)) ?? others[0];
  const provider = h(
    "select",
    { name: "provider" },
    others.map((id) => h("option", { value: id, selected: id === first, text: configured.includes(id) ? `${id} (credentials stored)` : id })),
  );
  const suggestions = h("datalist", { id: "move-base-models" });
  const baseModel = h("input", { type: "text", name: "baseModel", list: suggestions.id, autocomplete: "off", spellcheck: false, maxLength: 128 });
  const suggestionNote = h("p", { class: "hint", "aria-live": "polite" });
  const loadSuggestions = async () => {
    const chosen = provider.value;
    suggestionNote.textContent = "Loading the base models of this provider…";
    try {
      const { baseModels } = await gql(BASE_MODELS, { provider: chosen });
      if (provider.value !== chosen) return;
      replace(suggestions, baseModels.map((m) => h("option", { value: m.id })));
      if (!baseModel.value && baseModels.length) baseModel.value = baseModels[0].id;
      suggestionNote.textContent = baseModels.length ? `${baseModels.length} base models of ${chosen} are suggested as you type.` : "";
    } catch (error) {
      if (provider.value !== chosen) return;
      replace(suggestions);
      suggestionNote.textContent = `No suggestions from ${chosen}: ${error.message}`;
    }
  };
  provider.addEventListener("change", () => {
    baseModel.value = "";
    loadSuggestions();
  });

  const previewArea = h("div", { class: "preview", "aria-live": "polite" });
  const moveNote = h("p", { class: "hint", id: "move-note" });
  const move = h("button", { type: "button", class: "primary", text: "Move model", disabled: true, "aria-describedby": "move-note" });

  const form = h(
    "form",
    {
      class: "card run-options",
      "aria-labelledby": "target-heading",
      onsubmit: (event) => {
        event.preventDefault();
        update();
      },
    },
    h("h2", { id: "target-heading", text: "Where to" }),
    h(
      "div",
      { class: "option-grid" },
      field("Provider", provider, { name: "provider", hint: "The provider to train on from now on; it needs the workspace's credentials (Settings)." }),
      h("div", {}, field("Base model", baseModel, { name: "baseModel", hint: "The new provider's base model to train from." }), suggestionNote),
    ),
    suggestions,
    formError(),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary", text: "Preview move" })),
  );

  const update = previewThenStart({
    ctx,
    form,
    area: previewArea,
    start: move,
    note: moveNote,
    read: () => ({ id: model.id, provider: provider.value, baseModel: baseModel.value.trim() }),
    load: async (target) => (await gql(PREVIEW, target)).movePreview,
    blocked: () => `The move cannot start: ${provider.value} would refuse the training data (see Errors above). Fix the blocks and preview again.`,
    confirm: (sent, blocks, credits) =>
      confirmAction(
        `Move ${model.name} to ${sent.provider}?`,
        `A new model is trained on ${sent.provider} from ${sent.baseModel} with ${count(blocks)} training blocks, and ${count(credits)} credits are charged now. Bots keep calling the current model under the same name until the new one is callable; a failed move leaves it in place.`,
        "Move",
        { danger: false },
      ),
    launch: async (target) => (await gql(MOVE, target)).moveCustomModel,
    started: "Move started.",
  });

  replace(
    root,
    h("p", { class: "crumbs" }, h("a", { href: "#/models", text: "Custom Models" }), " / ", h("a", { href: `#/models/${encodeURIComponent(model.id)}`, text: model.name }), " / Move"),
    pageHeader("Move to another provider"),
    h("p", {
      class: "lead",
      text: `${model.name} is trained on ${model.provider} (${model.baseModel}). A move trains a fresh model on the new provider with every block the model was trained on plus the Not Trained ones; bots keep calling the current model until the new one is callable, then switch to it under the same name.`,
    }),
    form,
    previewArea,
    h("div", { class: "card start-bar" }, h("div", { class: "actions" }, move, h("a", { href: `#/models/${encodeURIComponent(model.id)}`, text: "Back to the model" })), moveNote),
  );
  await loadSuggestions();
  if (baseModel.value) await update();
}
