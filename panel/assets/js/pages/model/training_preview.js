// The preview of a training job: what it would send (blocks, examples, tokens, system prompt,
// the first lines of the file), the errors and warnings naming blocks, and what it would cost.

import { facts, h } from "../../dom.js";
import { count, dollars } from "../../format.js";

/** The fields of a `TrainingPreview` that `previewView` shows, for the queries that load one. */
export const PREVIEW_FIELDS = `
    trainingModel continuesTraining provider blockCount exampleCount
    tokens { total min mean max encoding encodingAssumed limitPerExample }
    errors { code message blockIds count }
    warnings { code message blockIds count }
    estimatedEpochs estimatedBilledTokens estimatedProviderCostUsd
    platformCharge { feeCredits blockCredits totalCredits }
    systemPrompt jsonlPreview
`;

/** The errors or warnings of a preview, each with links to the blocks it names. */
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

/**
 * The preview card of a `trainingPreview` answer; it carries the credits and blocks the job would
 * charge and send as `data-total-credits` and `data-blocks`.
 */
export function previewView(p) {
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
