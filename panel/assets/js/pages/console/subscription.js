// The console's subscription runner: one subscription over the WebSocket at a time, each result
// listed (with its time) as it arrives until it is stopped, ends with an error, or completes.

import { subscribe } from "../../api.js";
import { h, replace } from "../../dom.js";

const MAX_RESULTS = 200;

/**
 * A runner that lists results in `output`, says where it stands in `status`, and shows
 * `stopButton` (and disables `runButton`) while a subscription runs. `start(query, variables)`
 * subscribes; `stop(message)` ends the running one and, with a message, says so.
 */
export function subscriptionRunner({ output, status, runButton, stopButton }) {
  let stopCurrent = null;
  const stop = (message) => {
    stopCurrent?.();
    stopCurrent = null;
    stopButton.hidden = true;
    runButton.disabled = false;
    if (message) status.textContent = message;
  };

  const start = (query, variables) => {
    replace(output);
    status.classList.remove("has-errors");
    status.textContent = "Subscribed: results appear here as they arrive.";
    stopButton.hidden = false;
    runButton.disabled = true;
    let received = 0;
    const results = () => `${received} ${received === 1 ? "result" : "results"}`;
    const show = (payload, label) => {
      const stamp = new Date().toLocaleTimeString();
      const entry = h("div", { class: "console-result" }, h("span", { class: "hint", text: `${label} · ${stamp}` }), `\n${JSON.stringify(payload, null, 2)}\n`);
      output.append(entry);
      while (output.childElementCount > MAX_RESULTS) output.firstElementChild.remove();
      output.scrollTop = output.scrollHeight;
    };
    stopCurrent = subscribe(query, variables ?? {}, {
      next: (data) => {
        received += 1;
        show({ data }, `#${received}`);
        status.textContent = `Subscribed: ${results()} so far.`;
      },
      error: (error) => {
        show({ errors: error.errors?.length ? error.errors : [{ message: error.message }] }, "Error");
        stopCurrent = null;
        stop(`The subscription ended with an error after ${results()}.`);
        status.classList.add("has-errors");
      },
      complete: () => {
        stopCurrent = null;
        stop(`The subscription completed after ${results()}.`);
      },
      reconnecting: () => {
        status.textContent = "The connection dropped: reconnecting…";
      },
    });
  };

  return { start, stop };
}
