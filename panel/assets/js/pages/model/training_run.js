// "Run training job" (`#/models/ID?run`, EDITOR and up): what to train (tag, suffix and the
// provider's hyperparameters), the preview of the job those options make, and its start.

import { gql } from "../../api.js";
import { confirmAction, field, formError, h, pageHeader, replace } from "../../dom.js";
import { count } from "../../format.js";
import { DEPLOYED_PROVIDERS } from "../models.js";
import { previewThenStart } from "./preview_then_start.js";
import { PREVIEW_FIELDS } from "./training_preview.js";

const TAGS = `query TrainingTags { trainingTags { tag count } }`;
const PREVIEW = `query TrainingPreview($modelId: ID!, $input: TrainingJobInput) {
  trainingPreview(modelId: $modelId, input: $input) {${PREVIEW_FIELDS}  }
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

  const update = previewThenStart({
    ctx,
    form: options,
    area: previewArea,
    start,
    note: startNote,
    read: input,
    load: async (sent) => (await gql(PREVIEW, { modelId: model.id, input: sent })).trainingPreview,
    blocked: (p) =>
      `The job cannot start: the training data has ${p.errors.length === 1 ? "a problem" : `${p.errors.length} problems`} (see Errors above). Fix them and update the preview.`,
    confirm: (sent, blocks, credits) =>
      confirmAction(
        "Start the training job?",
        `${count(blocks)} training blocks are sent to ${model.provider} and marked Trained; ${count(credits)} credits are charged now.`,
        "Start job",
        { danger: false },
      ),
    launch: async (sent) => (await gql(RUN, { modelId: model.id, input: sent })).runTrainingJob,
    started: "Training job started.",
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
