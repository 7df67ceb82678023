// "Move to another provider" (`#/models/ID?move`, EDITOR and up): the provider and base model to
// move to, the preview of the move's job there (`movePreview`: every block the model was trained
// on plus the Not Trained ones, under the new provider's data rules), and the move on
// confirmation. Bots keep calling the current model until the new one is callable.

import { gql } from "../../api.js";
import { clearFieldErrors, confirmAction, errorBox, field, formError, h, loading, pageHeader, replace, showFieldErrors, toast } from "../../dom.js";
import { count } from "../../format.js";
import { KNOWN_PROVIDERS } from "../models.js";
import { previewView } from "./training_preview.js";

const CREDENTIALS = `query MoveProviders { providerCredentials { provider } }`;
const BASE_MODELS = `query MoveBaseModels($provider: String!) { baseModels(provider: $provider) { id } }`;
const PREVIEW = `query MovePreview($id: ID!, $provider: String!, $baseModel: String!) {
  movePreview(id: $id, provider: $provider, baseModel: $baseModel) {
    trainingModel continuesTraining provider blockCount exampleCount
    tokens { total min mean max encoding encodingAssumed limitPerExample }
    errors { code message blockIds count }
    warnings { code message blockIds count }
    estimatedEpochs estimatedBilledTokens estimatedProviderCostUsd
    platformCharge { feeCredits blockCredits totalCredits }
    systemPrompt jsonlPreview
  }
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
  let previewed = null;

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

  let ticket = 0;
  const update = async () => {
    const mine = ++ticket;
    previewed = null;
    move.disabled = true;
    moveNote.textContent = "";
    const target = { id: model.id, provider: provider.value, baseModel: baseModel.value.trim() };
    replace(previewArea, loading("Preparing the preview…"));
    try {
      const { movePreview } = await gql(PREVIEW, target);
      if (mine !== ticket) return;
      clearFieldErrors(form);
      replace(previewArea, previewView(movePreview));
      previewed = target;
      if (movePreview.errors.length) {
        moveNote.textContent = `The move cannot start: ${target.provider} would refuse the training data (see Errors above). Fix the blocks and preview again.`;
      } else {
        move.disabled = false;
        moveNote.textContent = `Moving charges ${count(movePreview.platformCharge.totalCredits)} credits now; ${target.provider} bills its own fees to your API key.`;
      }
    } catch (error) {
      if (error?.code === "UNAUTHENTICATED" || mine !== ticket) return;
      replace(previewArea);
      if (!showFieldErrors(form, error)) replace(previewArea, errorBox(error, update));
      moveNote.textContent = "The move cannot start until the preview has no errors.";
    }
  };

  move.addEventListener("click", async () => {
    if (!previewed) return;
    const preview = previewArea.querySelector("[data-total-credits]");
    const sure = await confirmAction(
      `Move ${model.name} to ${previewed.provider}?`,
      `A new model is trained on ${previewed.provider} from ${previewed.baseModel} with ${count(Number(preview?.dataset.blocks))} training blocks, and ${count(Number(preview?.dataset.totalCredits))} credits are charged now. Bots keep calling the current model under the same name until the new one is callable; a failed move leaves it in place.`,
      "Move",
      { danger: false },
    );
    if (!sure) return;
    move.disabled = true;
    try {
      const { moveCustomModel: job } = await gql(MOVE, previewed);
      toast(job.status === "FAILED" ? "The provider refused the job; nothing was charged." : "Move started.", job.status === "FAILED" ? "error" : "info");
      ctx.navigate(`#/jobs/${encodeURIComponent(job.id)}`);
    } catch (error) {
      move.disabled = false;
      if (error?.code === "UNAUTHENTICATED") return;
      if (!showFieldErrors(form, error)) toast(error.message, "error");
    }
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
