// Try it: a prompt goes to a READY model and to its base model side by side, both with the
// trained system prompt, through the OpenAI-compatible endpoint; a READER may use it.

import assert from "node:assert/strict";
import { test } from "node:test";
import { assertFitsPhoneWidth, createToken, gql, openBrowser, screenshot, signIn } from "./browser.mjs";

const TAG = "panel-try";

async function trainedModel() {
  for (let i = 0; i < 10; i++) {
    await gql(`mutation($input: CreateTrainingBlockInput!) { createTrainingBlock(input: $input) { id } }`, {
      input: { tag: TAG, exchanges: [{ prompt: `Where is order ${i}?`, response: `Order ${i} ships tomorrow.` }] },
    });
  }
  const { createCustomModel: model } = await gql(`mutation { createCustomModel(input: { name: "try-support" }) { id } }`);
  let { runTrainingJob: job } = await gql(`mutation($id: ID!, $tag: String) { runTrainingJob(modelId: $id, input: { tag: $tag }) { id status } }`, { id: model.id, tag: TAG });
  const deadline = Date.now() + 90_000;
  while (job.status !== "SUCCEEDED") {
    assert.ok(!["FAILED", "CANCELLED"].includes(job.status), `the job ended ${job.status}`);
    assert.ok(Date.now() < deadline, `the job is still ${job.status}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    ({ refreshTrainingJob: job } = await gql(`mutation($id: ID!) { refreshTrainingJob(id: $id) { id status } }`, { id: job.id }));
  }
  const { availableModels } = await gql(`{ availableModels { name providerModel baseModel systemPrompt } }`);
  return availableModels.find((m) => m.name === "try-support");
}

test("a prompt is answered by the fine-tuned model and by its base model side by side", async () => {
  const model = await trainedModel();
  const reader = await createToken("READER");
  const { page, close } = await openBrowser();
  await signIn(page, reader);
  await page.getByRole("link", { name: "Try it" }).click();
  await page.getByLabel("Model", { exact: true }).selectOption("try-support");
  await page.getByLabel("Prompt").fill("Where is my order?");
  await page.getByRole("button", { name: "Send to both" }).click();
  const tuned = page.locator("section.answer").nth(0).locator(".reply");
  const base = page.locator("section.answer").nth(1).locator(".reply");
  await tuned.waitFor();
  await base.waitFor();
  const system = model.systemPrompt ?? "none";
  assert.match(await tuned.textContent(), new RegExp(`\\[model=${model.providerModel.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\]`));
  assert.match(await base.textContent(), new RegExp(`\\[model=${model.baseModel.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\]`));
  for (const reply of [await tuned.textContent(), await base.textContent()]) {
    assert.ok(reply.includes(`[system=${system}]`), `the trained system prompt went first: ${reply}`);
    assert.ok(reply.endsWith("echo: Where is my order?"), reply);
  }
  await screenshot(page, "try-it");
  await assertFitsPhoneWidth(page);
  await close();
});
