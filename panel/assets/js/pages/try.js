// Try it: one prompt sent to a READY custom model and, side by side, to the base model it was
// tuned from, both through tuner's OpenAI-compatible endpoint with the trained system prompt,
// to see what training changed.

import { chat, gql } from "../api.js";
import { errorBox, field, h, loading, pageHeader, replace, withLoading } from "../dom.js";
import { count } from "../format.js";

const MODELS = `query AvailableModels { availableModels { id name provider providerModel baseModel systemPrompt } }`;

export async function render(root, _ctx, _params, query) {
  const body = h("div");
  replace(
    root,
    pageHeader("Try it"),
    h("p", { class: "lead", text: "Send a prompt to a ready custom model and to its base model at once. Both get the system prompt the model was trained with, so the difference is what training changed." }),
    body,
  );
  await withLoading(body, () => gql(MODELS), ({ availableModels: models }) => show(body, models, query.get("model")));
}

function show(body, models, preferred) {
  if (!models.length) {
    replace(body, h("p", { class: "empty card" }, "No custom model is ready to call yet. Train one on the ", h("a", { href: "#/models", text: "Custom Models" }), " page."));
    return;
  }
  const modelSelect = h("select", { name: "model" }, models.map((m) => h("option", { value: m.name, text: `${m.name} (${m.provider})`, selected: m.name === preferred })));
  const prompt = h("textarea", { name: "prompt", rows: 3, required: true, placeholder: "How do I reset my password?" });
  const promptShown = h("pre", { class: "prompt" });
  const tuned = h("section", { class: "card answer", "aria-labelledby": "tuned-heading", "aria-live": "polite" });
  const base = h("section", { class: "card answer", "aria-labelledby": "base-heading", "aria-live": "polite" });
  const selected = () => models.find((m) => m.name === modelSelect.value) ?? models[0];

  const heads = () => {
    const model = selected();
    replace(promptShown, model.systemPrompt ?? "(trained without a system prompt)");
    replace(tuned, h("h2", { id: "tuned-heading", text: "Fine-tuned model" }), h("p", { class: "hint mono", text: model.providerModel }));
    replace(base, h("h2", { id: "base-heading", text: "Base model" }), h("p", { class: "hint mono", text: model.baseModel }));
  };
  modelSelect.addEventListener("change", heads);

  const ask = async (section, target, model, messages) => {
    const slot = h("div", {}, loading("Waiting for the answer…"));
    section.append(slot);
    try {
      const answer = await chat(model, messages, target);
      const usage = answer.body?.usage;
      replace(
        slot,
        h("p", { class: "reply", text: answer.reply }),
        usage ? h("p", { class: "hint", text: `${count(usage.prompt_tokens)} tokens in, ${count(usage.completion_tokens)} out` }) : null,
      );
    } catch (error) {
      replace(slot, errorBox(error));
    }
  };

  const form = h(
    "form",
    {
      class: "card",
      onsubmit: async (event) => {
        event.preventDefault();
        const text = prompt.value.trim();
        if (!text) {
          prompt.focus();
          return;
        }
        heads();
        const send = form.querySelector('button[type="submit"]');
        send.disabled = true;
        const messages = [{ role: "user", content: text }];
        const model = selected().name;
        await Promise.all([ask(tuned, "tuned", model, messages), ask(base, "base", model, messages)]);
        send.disabled = false;
      },
    },
    field("Model", modelSelect, { name: "model" }),
    field("Prompt", prompt, { name: "prompt", hint: "Sent as one user message; each answer costs what a chat request costs." }),
    h("details", {}, h("summary", { text: "System prompt sent first" }), promptShown),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", text: "Send to both" })),
  );
  heads();
  replace(body, form, h("div", { class: "grid compare" }, tuned, base));
}
