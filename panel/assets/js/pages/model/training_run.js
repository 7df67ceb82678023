// "Run training job" (`#/models/ID?run`, EDITOR and up): what to train (tag, suffix and the
// provider's hyperparameters), the preview of the job those options make, and its start.

import { gql } from "../../api.js";
import { clearFieldErrors, confirmAction, errorBox, field, formError, h, loading, pageHeader, replace, showFieldErrors, toast } from "../../dom.js";
import { count } from "../../format.js";
import { DEPLOYED_PROVIDERS } from "../models.js";
import { previewView } from "./training_preview.js";

const TAGS = `query TrainingTags { trainingTags { tag count } }`;
const PREVIEW = `query TrainingPreview($modelId: ID!, $input: TrainingJobInput) {
  trainingPreview(modelId: $modelId, input: $input) {
    trainingModel continuesTraining provider blockCount exampleCount
    tokens { total min mean max encoding encodingAssumed limitPerExample }
    errors { code message blockIds count }
    warnings { code message blockIds count }
    estimatedEpochs estimatedBilledTokens estimatedProviderCostUsd
    platformCharge { feeCredits blockCredits totalCredits }
    systemPrompt jsonlPreview
  }
}`;
const RUN = `mutation RunTrainingJob($modelId: ID!, $input: TrainingJobInput) { runTrainingJob(modelId: $modelId, input: $input) { id status } }`;

/** Providers that take a learning rate multiplier instead of an absolute learning rate. */
const MULTIPLIER_PROVIDERS = ["openai", "azure-openai"];

/** Fills `root` with the run page of `model` (as the model page loaded it); `query` may hold a `tag`. */
export async function renderTrainingRun(root, ctx, model, query) {
  const multiplier = MULTIPLIER_PROVIDERS.includes(model.provider);

  const tags = h("datalist", { id: "run-tags" });
  gql(TAGS).then(
    ({ trainingTags }) => replace(tags, trainingTags.map((t) => h("option", { value: t.tag, text: `${t.count} blocks` }))),
    () => {},
  );
  const tag = h("input", { type: "text", name: "tag", list: "run-tags", autocomplete: "off", value: query.get("tag") ?? "" });
  const suffix = h("input", { type: "text", name: "suffix", maxLength: 64, autocomplete: "off", spellcheck: false });
  const number = (name, attrs = {}) => h("input", { type: "number", name, inputMode: "decimal", ...attrs });
  const epochs = number("nEpochs", { min: 1, max: 50, step: 1, placeholder: "auto" });
  const batch = number("batchSize", { min: 1, max: 256, step: 1, placeholder: "auto" });
  const rate = multiplier ? number("learningRateMultiplier", { min: 0, max: 10, step: "any", placeholder: "auto" }) : number("learningRate", { min: 0, max: 0.01, step: "any", placeholder: "auto" });
  const loraRank = multiplier ? null : number("loraRank", { min: 1, max: 256, step: 1, placeholder: "auto" });
  const fromBase = model.fineTunedModel ? h("input", { type: "checkbox", name: "fromBaseModel" }) : null;
  const deploy = DEPLOYED_PROVIDERS.includes(model.provider) ? h("input", { type: "checkbox", name: "deploy" }) : null;

  const input = () => {
    const value = (control) => (control && control.value.trim() !== "" ? Number(control.value) : undefined);
    const hyperparameters = {
      nEpochs: value(epochs),
      batchSize: value(batch),
      [multiplier ? "learningRateMultiplier" : "learningRate"]: value(rate),
      loraRank: value(loraRank),
    };
    for (const key of Object.keys(hyperparameters)) if (hyperparameters[key] === undefined) delete hyperparameters[key];
    const result = { tag: tag.value.trim() || null, suffix: suffix.value.trim() || null, fromBaseModel: Boolean(fromBase?.checked), deploy: Boolean(deploy?.checked) };
    if (Object.keys(hyperparameters).length) result.hyperparameters = hyperparameters;
    return result;
  };

  const previewArea = h("div", { class: "preview", "aria-live": "polite" });
  const startNote = h("p", { class: "hint", id: "start-note" });
  const start = h("button", { type: "button", class: "primary", text: "Start training job", disabled: true, "aria-describedby": "start-note" });
  let previewed = null;

  const options = h(
    "form",
    {
      class: "card run-options",
      "aria-labelledby": "options-heading",
      onsubmit: (event) => {
        event.preventDefault();
        update();
      },
    },
    h("h2", { id: "options-heading", text: "What to train" }),
    h(
      "div",
      { class: "option-grid" },
      field("Tag", tag, { name: "tag", hint: "Only Not Trained messages with this tag; empty for all Not Trained messages." }),
      field("Suffix", suffix, { name: "suffix", hint: "Added to the fine-tuned model's name (letters, digits, - and _)." }),
      field("Epochs", epochs, { name: "hyperparameters.nEpochs", hint: "Passes over the data, 1 to 50; empty for auto." }),
      field("Batch size", batch, { name: "hyperparameters.batchSize", hint: "1 to 256; empty for auto." }),
      multiplier
        ? field("Learning rate multiplier", rate, { name: "hyperparameters.learningRateMultiplier", hint: "Above 0, at most 10; empty for auto." })
        : field("Learning rate", rate, { name: "hyperparameters.learningRate", hint: "Above 0, at most 0.01; empty for auto." }),
      loraRank ? field("LoRA rank", loraRank, { name: "hyperparameters.loraRank", hint: "1 to 256 (8, 16 or 64 are usual); empty for full training." }) : null,
    ),
    fromBase ? h("label", { class: "check" }, fromBase, `Train from the base model (${model.baseModel}) instead of continuing from ${model.fineTunedModel}`) : null,
    deploy ? h("label", { class: "check" }, deploy, "Deploy the trained model as soon as the job succeeds (a deployment costs money while it runs)") : null,
    formError(),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary", text: "Update preview" })),
  );

  let ticket = 0;
  const update = async () => {
    const mine = ++ticket;
    previewed = null;
    start.disabled = true;
    startNote.textContent = "";
    replace(previewArea, loading("Preparing the preview…"));
    const sent = input();
    try {
      const { trainingPreview } = await gql(PREVIEW, { modelId: model.id, input: sent });
      if (mine !== ticket) return;
      clearFieldErrors(options);
      replace(previewArea, previewView(trainingPreview));
      previewed = sent;
      if (trainingPreview.errors.length) {
        startNote.textContent = `The job cannot start: the training data has ${trainingPreview.errors.length === 1 ? "a problem" : `${trainingPreview.errors.length} problems`} (see Errors above). Fix them and update the preview.`;
      } else {
        start.disabled = false;
        startNote.textContent = `Starting charges ${count(trainingPreview.platformCharge.totalCredits)} credits now; the provider bills its own fees to your API key.`;
      }
    } catch (error) {
      if (error?.code === "UNAUTHENTICATED" || mine !== ticket) return;
      replace(previewArea);
      if (!showFieldErrors(options, error)) replace(previewArea, errorBox(error, update));
      startNote.textContent = "The job cannot start until the preview has no errors.";
    }
  };

  start.addEventListener("click", async () => {
    if (!previewed) return;
    const preview = previewArea.querySelector("[data-total-credits]");
    const credits = preview?.dataset.totalCredits;
    const blocks = preview?.dataset.blocks;
    const sure = await confirmAction(
      "Start the training job?",
      `${count(Number(blocks))} training blocks are sent to ${model.provider} and marked Trained; ${count(Number(credits))} credits are charged now.`,
      "Start job",
      { danger: false },
    );
    if (!sure) return;
    start.disabled = true;
    try {
      const { runTrainingJob: job } = await gql(RUN, { modelId: model.id, input: previewed });
      toast(job.status === "FAILED" ? "The provider refused the job; nothing was charged." : "Training job started.", job.status === "FAILED" ? "error" : "info");
      ctx.navigate(`#/jobs/${encodeURIComponent(job.id)}`);
    } catch (error) {
      start.disabled = false;
      if (error?.code === "UNAUTHENTICATED") return;
      if (!showFieldErrors(options, error)) toast(error.message, "error");
    }
  });

  replace(
    root,
    h("p", { class: "crumbs" }, h("a", { href: "#/models", text: "Custom Models" }), " / ", h("a", { href: `#/models/${encodeURIComponent(model.id)}`, text: model.name }), " / Run training job"),
    pageHeader("Run training job"),
    h("p", {
      class: "lead",
      text: `The job collects the Not Trained training messages, combines them with your global rules as the system message and uploads them to ${model.provider} to train ${model.name}. Check what would be sent and what it costs, then start it.`,
    }),
    tags,
    options,
    previewArea,
    h("div", { class: "card start-bar" }, h("div", { class: "actions" }, start, h("a", { href: `#/models/${encodeURIComponent(model.id)}`, text: "Back to the model" })), startNote),
  );
  await update();
}
