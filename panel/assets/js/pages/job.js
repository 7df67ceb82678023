// Training job: followed live through the `trainingJobUpdates` subscription (the first update
// carries the whole job so far, later ones what is new): the status timeline, the loss chart,
// the job's facts, its checkpoints and its event log. Cancel while it runs (EDITOR and up).
// Leaving the page closes the subscription's socket.

import { gql, subscribe } from "../api.js";
import { badge, confirmAction, errorBox, facts, h, loading, pageHeader, replace, table, toast } from "../dom.js";
import { clockTime, count, time } from "../format.js";
import { createLossChart, formatLoss } from "./loss_chart.js";

const JOB_FIELDS = `fragment JobFields on TrainingJob {
  id status provider baseModel suffix systemPrompt blockCount tokenCount chargeCredits trainedTokens
  fineTunedModel providerJobId createdAt updatedAt submittedAt finishedAt
  hyperparameters { nEpochs batchSize learningRateMultiplier learningRate loraRank loraAlpha }
  error { code message }
  model { id name }
  checkpoints { id fineTunedModelCheckpoint stepNumber createdAt metrics { trainLoss validLoss } }
}`;
const UPDATES = `subscription TrainingJobUpdates($jobId: ID!) {
  trainingJobUpdates(jobId: $jobId) {
    job { ...JobFields }
    newEvents { id createdAt level message kind }
    newMetrics { step totalSteps trainLoss validLoss createdAt }
  }
}
${JOB_FIELDS}`;
const JOB = `query TrainingJob($id: ID!) { trainingJob(id: $id) { ...JobFields } }
${JOB_FIELDS}`;
const CANCEL = `mutation CancelTrainingJob($id: ID!) { cancelTrainingJob(id: $id) { ...JobFields } }
${JOB_FIELDS}`;

const FINISHED = ["SUCCEEDED", "FAILED", "CANCELLED"];
const STEPS = ["SUBMITTING", "VALIDATING_FILES", "QUEUED", "RUNNING"];
const STEP_LABELS = {
  SUBMITTING: "Submitting",
  VALIDATING_FILES: "Validating files",
  QUEUED: "Queued",
  RUNNING: "Running",
  PAUSED: "Paused",
  SUCCEEDED: "Succeeded",
  FAILED: "Failed",
  CANCELLED: "Cancelled",
};

export async function render(root, ctx, params) {
  const id = params.id;
  const chart = createLossChart({ title: "Loss by step" });
  const seenEvents = new Set();
  const statusTimes = new Map();
  let firstMetricAt = null;
  let lastMetric = null;
  let job = null;
  let stop = null;
  let ended = false;

  // The parts of the page, filled once the first update arrives.
  const live = h("span", { class: "live connecting", role: "status", text: "Connecting…" });
  const statusBadge = h("span", { class: "job-status" });
  const cancel = ctx.can("EDITOR") ? h("button", { type: "button", class: "danger", text: "Cancel training job", hidden: true, onclick: () => cancelJob() }) : null;
  const header = pageHeader("Training job", cancel);
  const crumbs = h("p", { class: "crumbs" }, h("a", { href: "#/models", text: "Custom Models" }));
  const progress = h("p", { class: "job-progress" });
  const timeline = h("ol", { class: "timeline", "aria-label": "Status timeline" });
  const factsBox = h("div");
  const checkpointsBox = h("div");
  const logBody = h("tbody");
  const showMetricEvents = h("input", { type: "checkbox", id: "show-metric-events" });
  const logWrap = h(
    "div",
    { class: "table-wrap event-log", tabindex: "0", role: "region", "aria-label": "Event log, oldest first" },
    h(
      "table",
      {},
      h("caption", { class: "visually-hidden", text: "Event log, oldest first" }),
      h("thead", {}, h("tr", {}, ["Time", "Level", "Message"].map((label) => h("th", { scope: "col", text: label })))),
      logBody,
    ),
  );
  const logCount = h("span", { class: "hint" });
  showMetricEvents.addEventListener("change", () => logWrap.classList.toggle("show-metrics", showMetricEvents.checked));

  const layout = h(
    "div",
    { class: "job-page" },
    h("div", { class: "job-summary" }, h("span", {}, "Status: ", statusBadge), live, progress),
    h("section", { class: "card", "aria-labelledby": "timeline-heading" }, h("h2", { id: "timeline-heading", text: "Timeline" }), timeline),
    h("section", { class: "card", "aria-labelledby": "chart-heading" }, h("h2", { id: "chart-heading", text: "Loss" }), chart.element),
    h(
      "div",
      { class: "grid" },
      h("section", { class: "card", "aria-labelledby": "facts-heading" }, h("h2", { id: "facts-heading", text: "Job" }), factsBox),
      h("section", { class: "card", "aria-labelledby": "checkpoints-heading" }, h("h2", { id: "checkpoints-heading", text: "Checkpoints" }), checkpointsBox),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "log-heading" },
      h("div", { class: "log-header" }, h("h2", { id: "log-heading", text: "Event log" }), logCount, h("label", { class: "check", for: "show-metric-events" }, showMetricEvents, "Show step figures")),
      logWrap,
    ),
  );
  const body = h("div", {}, loading("Connecting to the job…"));
  replace(root, crumbs, header, body);

  const setLive = (state, text) => {
    live.className = `live ${state}`;
    live.textContent = text;
  };

  const stamp = (status, iso) => {
    if (iso && !statusTimes.has(status)) statusTimes.set(status, iso);
  };

  const applyJob = (next) => {
    job = next;
    stamp(job.status, job.status === "SUBMITTING" ? job.createdAt : FINISHED.includes(job.status) ? job.finishedAt ?? job.updatedAt : job.updatedAt);
    stamp("SUBMITTING", job.createdAt);
    if (job.submittedAt) stamp("VALIDATING_FILES", job.submittedAt);
    if (firstMetricAt) stamp("RUNNING", firstMetricAt);
    replace(crumbs, h("a", { href: "#/models", text: "Custom Models" }), " / ", h("a", { href: `#/models/${encodeURIComponent(job.model.id)}`, text: job.model.name }), " / Training job");
    replace(statusBadge, badge(job.status));
    if (cancel) cancel.hidden = FINISHED.includes(job.status);
    drawTimeline();
    drawFacts();
    drawCheckpoints();
    drawProgress();
  };

  const drawProgress = () => {
    if (!lastMetric?.totalSteps) {
      replace(progress);
      return;
    }
    const done = job.status === "SUCCEEDED" ? lastMetric.totalSteps : lastMetric.step;
    replace(
      progress,
      h("label", { for: "job-progress-bar", text: `Step ${count(done)} of ${count(lastMetric.totalSteps)}` }),
      h("progress", { id: "job-progress-bar", max: lastMetric.totalSteps, value: done }),
    );
  };

  const drawTimeline = () => {
    const finished = FINISHED.includes(job.status);
    const steps = [...STEPS];
    if (statusTimes.has("PAUSED") || job.status === "PAUSED") steps.splice(steps.indexOf("RUNNING") + 1, 0, "PAUSED");
    steps.push(finished ? job.status : "FINISHED");
    // The furthest step reached before the end: the current one, or the latest one seen.
    const reached = finished ? Math.max(0, ...steps.slice(0, -1).map((s, i) => (statusTimes.has(s) ? i : 0))) : steps.indexOf(job.status);
    replace(
      timeline,
      steps.map((status, index) => {
        const last = index === steps.length - 1;
        let state;
        if (last) state = finished ? "done" : "pending";
        else if (index < reached || (index === reached && finished)) state = "done";
        else if (index === reached) state = "current";
        else state = finished ? "skipped" : "pending";
        const at = statusTimes.get(status);
        const note = { done: at ? clockTime(at) : "passed", current: at ? h("span", {}, "since ", clockTime(at)) : "now", pending: "not yet", skipped: "skipped" }[state];
        return h(
          "li",
          { class: `step ${state} ${last && finished ? `end-${status.toLowerCase()}` : ""}`, "aria-current": state === "current" || (last && finished) ? "step" : null, "data-status": status },
          h("span", { class: "step-name", text: status === "FINISHED" ? "Finished" : STEP_LABELS[status] ?? status }),
          h("span", { class: "step-time" }, note),
        );
      }),
    );
  };

  const drawFacts = () => {
    const hp = job.hyperparameters;
    const hyper = [
      ["epochs", hp.nEpochs],
      ["batch size", hp.batchSize],
      ["learning rate multiplier", hp.learningRateMultiplier],
      ["learning rate", hp.learningRate],
      ["LoRA rank", hp.loraRank],
      ["LoRA alpha", hp.loraAlpha],
    ]
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    const pairs = [
      ["Model", h("a", { href: `#/models/${encodeURIComponent(job.model.id)}`, text: job.model.name })],
      ["Provider", job.provider],
      ["Base model", h("code", { text: job.baseModel })],
      ["Hyperparameters", hyper || "auto"],
      job.suffix ? ["Suffix", h("code", { text: job.suffix })] : null,
      ["Blocks", count(job.blockCount)],
      ["Tokens", count(job.tokenCount)],
      job.trainedTokens !== null ? ["Trained tokens", count(job.trainedTokens)] : null,
      ["Credits charged", count(job.chargeCredits)],
      ["Fine-tuned model", job.fineTunedModel ? h("code", { class: "model-name", text: job.fineTunedModel }) : "—"],
      ["Provider job", job.providerJobId ? h("code", { text: job.providerJobId }) : "—"],
      ["Created", time(job.createdAt)],
      ["Finished", time(job.finishedAt)],
      job.error ? ["Error", h("span", { class: "job-error" }, job.error.code ? h("code", { text: job.error.code }) : null, job.error.code ? " " : null, job.error.message)] : null,
    ].filter(Boolean);
    replace(
      factsBox,
      facts(pairs),
      job.systemPrompt ? h("details", {}, h("summary", { text: "System prompt" }), h("pre", { class: "prompt", text: job.systemPrompt })) : null,
    );
  };

  const drawCheckpoints = () => {
    const list = job.checkpoints ?? [];
    if (!list.length) {
      replace(checkpointsBox, h("p", { class: "empty", text: FINISHED.includes(job.status) ? "The provider saved no checkpoints." : "None yet: the provider saves checkpoints as training runs." }));
      return;
    }
    replace(
      checkpointsBox,
      table(
        "Checkpoints",
        ["Step", "Checkpoint model", "Training loss", "Validation loss", "Saved"],
        list.map((c) =>
          h(
            "tr",
            { class: "checkpoint" },
            h("td", { class: "num", text: count(c.stepNumber) }),
            h("td", {}, h("code", { class: "model-name", text: c.fineTunedModelCheckpoint })),
            h("td", { class: "num", text: formatLoss(c.metrics.trainLoss) }),
            h("td", { class: "num", text: formatLoss(c.metrics.validLoss) }),
            h("td", {}, clockTime(c.createdAt)),
          ),
        ),
        { className: "checkpoints-table" },
      ),
    );
  };

  const addEvents = (events) => {
    const atBottom = logWrap.scrollHeight - logWrap.scrollTop - logWrap.clientHeight < 24;
    for (const event of events) {
      if (seenEvents.has(event.id)) continue;
      seenEvents.add(event.id);
      if (event.kind === "METRICS" && !firstMetricAt) firstMetricAt = event.createdAt;
      logBody.append(
        h(
          "tr",
          { class: `event level-${String(event.level).toLowerCase()}${event.kind === "METRICS" ? " metrics-event" : ""}` },
          h("td", { class: "event-time" }, clockTime(event.createdAt)),
          h("td", {}, h("span", { class: `level level-${String(event.level).toLowerCase()}`, text: event.level })),
          h("td", { class: "event-message", text: event.message }),
        ),
      );
    }
    const messages = logBody.querySelectorAll("tr:not(.metrics-event)").length;
    const figures = logBody.querySelectorAll("tr.metrics-event").length;
    logCount.textContent = `${count(messages)} messages, ${count(figures)} step figures`;
    if (!seenEvents.size) logCount.textContent = "No events yet.";
    if (atBottom) logWrap.scrollTop = logWrap.scrollHeight;
  };

  const refreshFinal = async () => {
    if (!ctx.can("EDITOR")) return;
    try {
      const { trainingJob } = await gql(JOB, { id });
      if (!stopped) applyJob(trainingJob);
    } catch (error) {
      if (error?.code !== "UNAUTHENTICATED" && !stopped) toast(`The job's final state could not be read: ${error.message}`, "error");
    }
  };

  const cancelJob = async () => {
    const sure = await confirmAction(
      "Cancel this training job?",
      "The provider stops training. The job's training messages go back to Not Trained and their credits are refunded; the job fee is not.",
      "Cancel the job",
    );
    if (!sure) return;
    cancel.disabled = true;
    try {
      const { cancelTrainingJob } = await gql(CANCEL, { id });
      toast("Training job cancelled.");
      if (!stopped) applyJob(cancelTrainingJob);
    } catch (error) {
      if (error?.code !== "UNAUTHENTICATED") toast(error.message, "error");
    } finally {
      cancel.disabled = false;
    }
  };

  let stopped = false;
  const follow = () => {
    setLive("connecting", "Connecting…");
    stop = subscribe(
      UPDATES,
      { jobId: id },
      {
        next: (data) => {
          const update = data.trainingJobUpdates;
          if (!job) replace(body, layout);
          for (const m of update.newMetrics) if (typeof m.step === "number" && (!lastMetric || m.step >= lastMetric.step)) lastMetric = m;
          addEvents(update.newEvents);
          if (update.newMetrics.length) chart.add(update.newMetrics);
          applyJob(update.job);
          if (FINISHED.includes(update.job.status)) setLive("ended", "Finished: no more updates");
          else setLive("on", "Live");
        },
        reconnecting: () => setLive("reconnecting", "Reconnecting…"),
        complete: () => {
          ended = true;
          setLive("ended", "Finished: no more updates");
          refreshFinal();
        },
        error: (error) => {
          if (error?.code === "UNAUTHENTICATED") return;
          if (!job) {
            replace(body, errorBox(error, () => {
              replace(body, loading("Connecting to the job…"));
              follow();
            }));
            return;
          }
          setLive("failed", "Not live");
          toast(`Live updates stopped: ${error.message}`, "error");
        },
      },
    );
  };
  follow();

  return () => {
    stopped = true;
    chart.destroy();
    if (!ended) stop?.();
  };
}
