// One custom model: its details and deployment, edit and delete, Deploy/Undeploy where the
// provider serves trained models only once deployed, the history of its training jobs, and
// "Run training job" (`#/models/ID?run`): the preview of what a job would send, meet and cost,
// then the job on confirmation.

import { gql } from "../api.js";
import { badge, clearFieldErrors, confirmAction, errorBox, field, formError, h, loading, pageHeader, replace, showFieldErrors, table, toast, withLoading } from "../dom.js";
import { count, dollars, time } from "../format.js";
import { deleteModel, fineTunedName, modelDialog, retirement } from "./models.js";

const MODEL_FIELDS = `id name description provider baseModel status fineTunedModel servingModel clientSystemMessages createdAt updatedAt deployment { id state serving cost }`;
const MODEL = `query CustomModel($id: ID!) { customModel(id: $id) { ${MODEL_FIELDS} } }`;
// `retiresAt` is asked on its own: a server without it still shows the model.
const RETIREMENT = `query CustomModelRetirement($id: ID!) { customModel(id: $id) { id retiresAt } }`;
const JOBS = `query CustomModelJobs($id: ID!, $after: String) {
  customModel(id: $id) {
    trainingJobs(first: 20, after: $after) {
      edges { node { id status createdAt finishedAt blockCount tokenCount chargeCredits fineTunedModel } }
      pageInfo { hasNextPage endCursor }
      totalCount
    }
  }
}`;
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
const DEPLOY = `mutation DeployCustomModel($id: ID!) { deployCustomModel(id: $id) { id } }`;
const UNDEPLOY = `mutation UndeployCustomModel($id: ID!) { undeployCustomModel(id: $id) { id } }`;

/** Providers that serve a trained model only once it is deployed. */
const DEPLOYED_PROVIDERS = ["together", "nebius"];
/** Providers that take a learning rate multiplier instead of an absolute learning rate. */
const MULTIPLIER_PROVIDERS = ["openai", "azure-openai"];

async function loadModel(id) {
  const [data, retiring] = await Promise.all([
    gql(MODEL, { id }),
    gql(RETIREMENT, { id }).then(
      (d) => d.customModel.retiresAt,
      (error) => {
        if (error?.code === "UNAUTHENTICATED") throw error;
        return null;
      },
    ),
  ]);
  return { ...data.customModel, retiresAt: retiring };
}

/** A definition list from `[term, value]` pairs; pairs whose value is null are left out. */
function facts(pairs, className = "facts") {
  return h(
    "dl",
    { class: className },
    pairs.filter(([, value]) => value !== null && value !== undefined).map(([term, value]) => h("div", {}, h("dt", { text: term }), h("dd", {}, value))),
  );
}

export async function render(root, ctx, params, query) {
  if (query.has("run") && ctx.can("EDITOR")) return renderRun(root, ctx, params.id, query);
  return renderModel(root, ctx, params.id);
}

// ---------------------------------------------------------------------------------------------
// The model's page

async function renderModel(root, ctx, id) {
  const editor = ctx.can("EDITOR");
  const reload = () => withLoading(root, () => loadModel(id), show);

  const show = (model) => {
    const actions = editor
      ? [
          h("a", { class: "button primary", href: `#/models/${encodeURIComponent(model.id)}?run`, text: "Run training job" }),
          h("button", {
            type: "button",
            class: "secondary",
            text: "Edit",
            onclick: async () => {
              if (await modelDialog(model)) reload();
            },
          }),
          h("button", {
            type: "button",
            class: "danger",
            text: "Delete",
            onclick: async () => {
              if (await deleteModel(model)) ctx.navigate("#/models");
            },
          }),
        ]
      : [];
    const history = h("section", { class: "card", "aria-labelledby": "history-heading" }, h("h2", { id: "history-heading", text: "Training jobs" }));
    replace(
      root,
      h("p", { class: "crumbs" }, h("a", { href: "#/models", text: "Custom Models" }), " / ", model.name),
      pageHeader(model.name, actions),
      model.description ? h("p", { class: "lead", text: model.description }) : null,
      h(
        "section",
        { class: "card", "aria-labelledby": "details-heading" },
        h("h2", { id: "details-heading", text: "Details" }),
        facts([
          ["Status", badge(model.status)],
          ["Provider", model.provider],
          ["Base model", h("code", { text: model.baseModel })],
          ["Fine-tuned model", fineTunedName(model)],
          model.servingModel && model.fineTunedModel && model.servingModel !== model.fineTunedModel ? ["Newest trained model", h("code", { text: model.fineTunedModel })] : [null, null],
          ["Retires", retirement(model.retiresAt)],
          ["Client system messages", model.clientSystemMessages.toLowerCase()],
          ["Created", time(model.createdAt)],
          ["Changed", time(model.updatedAt)],
        ]),
        statusNote(model),
      ),
      deploymentSection(model, editor, reload),
      history,
    );
    if (editor) showHistory(history, model.id);
    else history.append(h("p", { class: "empty", text: "The history of training jobs is shown to editors and admins." }));
  };

  await reload();
}

function statusNote(model) {
  const notes = {
    NOT_TRAINED: "No training job has produced a model yet. Run a training job on your Not Trained training messages.",
    TRAINING: "A training job is running; the model bots call now keeps answering meanwhile.",
    READY: "The custom model appears in the model selection of your chatbots and AI bots, with your global rules loaded as the system prompt.",
    FAILED: "The last training job failed; its history below says why.",
    DEPLOYING: "A deployment of the newest trained model is starting; a model served before keeps answering meanwhile.",
    TRAINED: "Trained, but not callable until it is deployed: this provider serves a trained model only once deployed.",
  };
  const text = notes[model.status];
  return text ? h("p", { class: "hint status-note", text }) : null;
}

function deploymentSection(model, editor, reload) {
  const deployable = DEPLOYED_PROVIDERS.includes(model.provider) || model.deployment;
  if (!deployable) return null;
  const deployment = model.deployment;
  const canDeploy = editor && model.status === "TRAINED";
  const canUndeploy = editor && deployment?.id;
  const act = async (mutation, done) => {
    try {
      await gql(mutation, { id: model.id });
      toast(done);
      reload();
    } catch (error) {
      toast(error.message, "error");
    }
  };
  return h(
    "section",
    { class: "card", "aria-labelledby": "deployment-heading" },
    h("h2", { id: "deployment-heading", text: "Deployment" }),
    deployment
      ? facts([
          ["State", deployment.state],
          ["Serving", deployment.serving ? "Yes: bots call this deployment" : "No"],
          ["Deployment id", deployment.id ? h("code", { text: deployment.id }) : "— (removed)"],
        ])
      : h("p", { class: "empty", text: "Not deployed." }),
    deployment?.cost ? h("p", { class: "notice cost-note", text: `Cost: ${deployment.cost}` }) : null,
    canDeploy || canUndeploy
      ? h(
          "div",
          { class: "actions" },
          canDeploy
            ? h("button", {
                type: "button",
                class: "primary",
                text: "Deploy",
                onclick: async () => {
                  const cost = deployment?.cost ? ` ${deployment.cost}` : " A deployment costs money at the provider while it runs.";
                  if (await confirmAction("Deploy the trained model?", `The provider starts serving ${model.fineTunedModel ?? "the newest trained model"}.${cost}`, "Deploy", { danger: false })) {
                    await act(DEPLOY, "Deployment started.");
                  }
                },
              })
            : null,
          canUndeploy
            ? h("button", {
                type: "button",
                class: "danger",
                text: "Undeploy",
                onclick: async () => {
                  if (await confirmAction("Undeploy the model?", "The provider's deployments are removed (stopping what they cost); bots can no longer call the model until it is deployed again.", "Undeploy")) {
                    await act(UNDEPLOY, "Deployment removed.");
                  }
                },
              })
            : null,
        )
      : null,
  );
}

function showHistory(section, modelId) {
  const body = h("div");
  const status = h("p", { class: "hint", "aria-live": "polite" });
  const more = h("button", { type: "button", class: "secondary", text: "Load more", hidden: true });
  section.append(status, body, h("div", { class: "pager" }, more));
  let tbody = null;
  let cursor = null;
  let shown = 0;

  const row = (job) =>
    h(
      "tr",
      { "data-id": job.id },
      h("td", {}, h("a", { href: `#/jobs/${encodeURIComponent(job.id)}` }, time(job.createdAt))),
      h("td", {}, badge(job.status)),
      h("td", { class: "num", text: count(job.blockCount) }),
      h("td", { class: "num", text: count(job.tokenCount) }),
      h("td", { class: "num", text: count(job.chargeCredits) }),
      h("td", {}, job.fineTunedModel ? h("code", { class: "model-name", text: job.fineTunedModel }) : "—"),
      h("td", {}, time(job.finishedAt)),
    );

  const page = (connection) => {
    const jobs = connection.edges.map((e) => e.node);
    shown += jobs.length;
    if (!tbody) {
      if (!connection.totalCount) {
        replace(body, h("p", { class: "empty", text: "No training jobs yet." }));
      } else {
        const wrap = table("Training jobs, newest first", ["Started", "Status", "Blocks", "Tokens", "Credits", "Fine-tuned model", "Finished"], [], { className: "jobs-table" });
        for (const th of wrap.querySelectorAll("th")) if (["Blocks", "Tokens", "Credits"].includes(th.textContent)) th.classList.add("num");
        tbody = wrap.querySelector("tbody");
        replace(body, wrap);
      }
    }
    tbody?.append(...jobs.map(row));
    cursor = connection.pageInfo.endCursor;
    more.hidden = !connection.pageInfo.hasNextPage;
    status.textContent = connection.totalCount ? `${count(shown)} of ${count(connection.totalCount)} jobs, newest first.` : "";
  };

  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      page((await gql(JOBS, { id: modelId, after: cursor })).customModel.trainingJobs);
    } catch (error) {
      toast(error.message, "error");
    } finally {
      more.disabled = false;
    }
  });

  withLoading(body, () => gql(JOBS, { id: modelId, after: null }), (data) => page(data.customModel.trainingJobs));
}

// ---------------------------------------------------------------------------------------------
// Run training job: the preview, then the job

async function renderRun(root, ctx, id, query) {
  let model;
  replace(root, loading());
  try {
    model = await loadModel(id);
  } catch (error) {
    if (error?.code !== "UNAUTHENTICATED") replace(root, errorBox(error, () => renderRun(root, ctx, id, query)));
    return;
  }
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

  const update = async () => {
    previewed = null;
    start.disabled = true;
    startNote.textContent = "";
    replace(previewArea, loading("Preparing the preview…"));
    const sent = input();
    try {
      const { trainingPreview } = await gql(PREVIEW, { modelId: model.id, input: sent });
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
      if (error?.code === "UNAUTHENTICATED") return;
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

function problemList(kind, problems) {
  if (!problems.length) return null;
  const heading = kind === "errors" ? "Errors" : "Warnings";
  return h(
    "section",
    { class: `problems ${kind}`, "aria-labelledby": `${kind}-heading` },
    h("h3", { id: `${kind}-heading`, text: `${heading} (${problems.length})` }),
    h(
      "ul",
      {},
      problems.map((p) =>
        h(
          "li",
          { "data-code": p.code },
          h("p", {}, h("strong", { text: p.message }), " ", h("code", { class: "problem-code", text: p.code })),
          p.blockIds.length
            ? h(
                "p",
                { class: "block-links" },
                `${p.count === 1 ? "Block" : `Blocks (${count(p.count)})`}: `,
                p.blockIds.map((blockId, i) => [i ? ", " : "", h("a", { href: `#/blocks/${encodeURIComponent(blockId)}`, text: blockId })]),
                p.count > p.blockIds.length ? ` and ${count(p.count - p.blockIds.length)} more` : "",
              )
            : null,
        ),
      ),
    ),
  );
}

function previewView(p) {
  const tokens = p.tokens;
  const charge = p.platformCharge;
  const estimate = tokens.encodingAssumed ? h("span", { class: "badge estimate", title: "The provider's tokenizer is not known: counted with a similar encoding", text: "estimate" }) : null;
  return h(
    "section",
    { class: "card preview-card", "aria-labelledby": "preview-heading", "data-total-credits": charge.totalCredits, "data-blocks": p.blockCount },
    h("h2", { id: "preview-heading", text: "Preview" }),
    p.errors.length ? h("p", { class: "error-box", role: "alert", text: "The job cannot start: fix the errors below first." }) : null,
    h(
      "div",
      { class: "preview-grid" },
      facts(
        [
          ["Provider", p.provider],
          ["Trains from", h("span", {}, h("code", { text: p.trainingModel }), p.continuesTraining ? " (continues the model's previous training)" : "")],
          ["Blocks", h("span", { class: "preview-blocks", text: count(p.blockCount) })],
          ["Examples", count(p.exampleCount)],
          ["Tokens", h("span", {}, count(tokens.total), " ", estimate)],
          ["Tokens per example", `${count(tokens.min)} min · ${count(Math.round(tokens.mean))} mean · ${count(tokens.max)} max (limit ${count(tokens.limitPerExample)})`],
          ["Encoding", h("span", {}, h("code", { text: tokens.encoding }), tokens.encodingAssumed ? " (assumed: token counts are an estimate)" : "")],
          ["Epochs", count(p.estimatedEpochs)],
          ["Billed tokens", `${count(p.estimatedBilledTokens)} (estimate)`],
        ],
        "facts",
      ),
      h(
        "div",
        { class: "costs" },
        h("h3", { text: "Costs" }),
        facts([
          ["Estimated provider cost", p.estimatedProviderCostUsd === null ? "Unknown (no price for this model)" : `${dollars(p.estimatedProviderCostUsd)} (billed by ${p.provider} to your API key)`],
          [
            "Platform charge",
            h(
              "span",
              { class: "platform-charge" },
              `${count(charge.feeCredits)} credits fee + ${count(charge.blockCredits)} credits for blocks = `,
              h("strong", { text: `${count(charge.totalCredits)} credits` }),
            ),
          ],
        ]),
      ),
    ),
    problemList("errors", p.errors),
    problemList("warnings", p.warnings),
    h("h3", { text: "System prompt" }),
    p.systemPrompt ? h("pre", { class: "prompt", text: p.systemPrompt }) : h("p", { class: "empty", text: "None: there are no global rules." }),
    p.jsonlPreview.length
      ? h("details", { class: "jsonl" }, h("summary", { text: `The first ${p.jsonlPreview.length} lines of the training file` }), h("pre", { class: "prompt", text: p.jsonlPreview.join("\n") }))
      : null,
  );
}
