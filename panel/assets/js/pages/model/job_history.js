// A custom model's training jobs (EDITOR and up): a table of its jobs, newest first, each
// linking to the job's page, paged with "Load more".

import { gql } from "../../api.js";
import { badge, h, replace, table, toast, withLoading } from "../../dom.js";
import { count, time } from "../../format.js";

const JOBS = `query CustomModelJobs($id: ID!, $after: String) {
  customModel(id: $id) {
    trainingJobs(first: 20, after: $after) {
      edges { node { id status createdAt finishedAt blockCount tokenCount chargeCredits fineTunedModel } }
      pageInfo { hasNextPage endCursor }
      totalCount
    }
  }
}`;

/** Fills `section` (a card with its heading) with the jobs of the model `modelId`. */
export function showHistory(section, modelId) {
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
