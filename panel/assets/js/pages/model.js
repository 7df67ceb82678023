// One custom model: its details and deployment, edit and delete, Deploy/Undeploy where the
// provider serves trained models only once deployed, the history of its training jobs
// (model/job_history.js), "Run training job" (`#/models/ID?run`, model/training_run.js): the
// preview of what a job would send, meet and cost, then the job on confirmation, and "Move to
// another provider" (`#/models/ID?move`, model/move.js) for a trained model.

import { gql } from "../api.js";
import { badge, confirmAction, errorBox, facts, h, loading, pageHeader, replace, toast, withLoading } from "../dom.js";
import { time } from "../format.js";
import { showHistory } from "./model/job_history.js";
import { renderMove } from "./model/move.js";
import { renderTrainingRun } from "./model/training_run.js";
import { DEPLOYED_PROVIDERS, deleteModel, fineTunedName, modelDialog, retirement } from "./models.js";

const MODEL = `query CustomModel($id: ID!) {
  customModel(id: $id) {
    id name description provider baseModel status fineTunedModel servingModel clientSystemMessages retiresAt createdAt updatedAt
    deployment { id state serving cost }
  }
}`;
const DEPLOY = `mutation DeployCustomModel($id: ID!) { deployCustomModel(id: $id) { id } }`;
const UNDEPLOY = `mutation UndeployCustomModel($id: ID!) { undeployCustomModel(id: $id) { id } }`;

async function loadModel(id) {
  return (await gql(MODEL, { id })).customModel;
}

export async function render(root, ctx, params, query) {
  if (query.has("run") && ctx.can("EDITOR")) return renderRun(root, ctx, params.id, query);
  if (query.has("move") && ctx.can("EDITOR")) return renderMovePage(root, ctx, params.id);
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
          model.fineTunedModel ? h("a", { class: "button secondary", href: `#/models/${encodeURIComponent(model.id)}?move`, text: "Move to another provider" }) : null,
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

// ---------------------------------------------------------------------------------------------
// Run training job: the model, then the run page

async function renderRun(root, ctx, id, query) {
  const model = await loadOrShowError(root, id, () => renderRun(root, ctx, id, query));
  if (model) await renderTrainingRun(root, ctx, model, query);
}

// ---------------------------------------------------------------------------------------------
// Move to another provider: the model, then the move page

async function renderMovePage(root, ctx, id) {
  const model = await loadOrShowError(root, id, () => renderMovePage(root, ctx, id));
  if (model) await renderMove(root, ctx, model);
}

/** The model, or null once `root` shows why it could not be loaded (with `retry`). */
async function loadOrShowError(root, id, retry) {
  replace(root, loading());
  try {
    return await loadModel(id);
  } catch (error) {
    if (error?.code !== "UNAUTHENTICATED") replace(root, errorBox(error, retry));
    return null;
  }
}
