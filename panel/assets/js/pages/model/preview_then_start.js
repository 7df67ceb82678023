// A form, the preview of what it would start, and the button that starts it: shared by "Run
// training job" and "Move to another provider".

import { clearFieldErrors, errorBox, loading, replace, showFieldErrors, toast } from "../../dom.js";
import { count } from "../../format.js";
import { previewView } from "./training_preview.js";

/**
 * Wires `form`, its preview `area`, the `start` button and its `note`. `update()` (returned) asks
 * `load(input)` for a `trainingPreview`-shaped answer about `read()`, shows it, and enables
 * `start` only when it has no errors (`blocked(preview)` says why not). `start` asks
 * `confirm(input, blocks, credits)`, then `launch(input)` for the job, whose page opens; `started` is
 * the notice then.
 */
export function previewThenStart({ ctx, form, area, start, note, read, load, blocked, confirm, launch, started }) {
  let previewed = null;
  let ticket = 0;
  const update = async () => {
    const mine = ++ticket;
    previewed = null;
    start.disabled = true;
    note.textContent = "";
    replace(area, loading("Preparing the preview…"));
    const sent = read();
    try {
      const preview = await load(sent);
      if (mine !== ticket) return;
      clearFieldErrors(form);
      replace(area, previewView(preview));
      previewed = sent;
      if (preview.errors.length) {
        note.textContent = blocked(preview);
      } else {
        start.disabled = false;
        note.textContent = `Starting charges ${count(preview.platformCharge.totalCredits)} credits now; the provider bills its own fees to your API key.`;
      }
    } catch (error) {
      if (error?.code === "UNAUTHENTICATED" || mine !== ticket) return;
      replace(area);
      if (!showFieldErrors(form, error)) replace(area, errorBox(error, update));
      note.textContent = "Nothing can start until the preview has no errors.";
    }
  };

  start.addEventListener("click", async () => {
    if (!previewed) return;
    const card = area.querySelector("[data-total-credits]");
    if (!(await confirm(previewed, Number(card?.dataset.blocks), Number(card?.dataset.totalCredits)))) return;
    start.disabled = true;
    try {
      const job = await launch(previewed);
      const refused = job.status === "FAILED";
      toast(refused ? "The provider refused the job; nothing was charged." : started, refused ? "error" : "info");
      ctx.navigate(`#/jobs/${encodeURIComponent(job.id)}`);
    } catch (error) {
      start.disabled = false;
      if (error?.code === "UNAUTHENTICATED") return;
      if (!showFieldErrors(form, error)) toast(error.message, "error");
    }
  });

  return update;
}
