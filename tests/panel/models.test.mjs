// Custom Models and training jobs: a model is created (an empty and a taken name are refused at
// the name field), its preview shows the blocks and the platform charge (and a tag without
// blocks shows errors that keep the job from starting), a job runs while the loss chart gains
// points until SUCCEEDED, a second job is cancelled, the model's history lists both, a
// READER sees none of the buttons that change something, and the trained model is moved to
// Together after a preview of the move.

import assert from "node:assert/strict";
import { test } from "node:test";
import { assertFitsPhoneWidth, BASE, createToken, EMULATOR_KEY, EMULATOR_URL, gql, openBrowser, screenshot, signIn } from "./browser.mjs";

const RUN_ID = Date.now().toString(36);
const TAG = `models-${RUN_ID}`;
const SECOND_TAG = `models-${RUN_ID}-b`;
const MODEL = `Customer support ${RUN_ID}`;
const TAKEN = `Sales ${RUN_ID}`;

async function createBlocks(tag, n) {
  for (let i = 1; i <= n; i++) {
    await gql(
      `mutation CreateBlock($input: CreateTrainingBlockInput!) { createTrainingBlock(input: $input) { id } }`,
      {
        input: {
          status: "NOT_TRAINED",
          tag,
          exchanges: [
            {
              prompt: `(${tag}) Question ${i}: how long is the return window for order ${1000 + i}?`,
              response: `Our return window for order ${1000 + i} is 30 days from the date of purchase. Would you like me to start a return for you?`,
            },
          ],
        },
      },
    );
  }
}

/** The job page's status badge text. */
async function jobStatus(page) {
  return (await page.locator(".job-status .badge").textContent())?.trim();
}

let modelId = null;
const jobIds = [];

test("a custom model is created, trained with a live loss chart, and a second job is cancelled", async () => {
  await createBlocks(TAG, 12);
  await createBlocks(SECOND_TAG, 12);
  await gql(`mutation CreateModel($input: CreateCustomModelInput!) { createCustomModel(input: $input) { id } }`, { input: { name: TAKEN } });

  const { page, close } = await openBrowser();
  await signIn(page);
  await page.getByRole("link", { name: "Custom Models" }).click();
  await page.getByRole("heading", { name: "Custom Models" }).waitFor();

  // Create: an empty name and a taken name are refused at the name field.
  await page.getByRole("button", { name: "Create model" }).click();
  const dialog = page.getByRole("dialog", { name: "Create a custom model" });
  await dialog.waitFor();
  const nameError = dialog.locator('.field[data-field="name"] .field-error');
  await dialog.getByRole("button", { name: "Create" }).click();
  await nameError.waitFor();
  assert.match(await nameError.textContent(), /name/i);
  await dialog.getByLabel("Name").fill(TAKEN);
  await dialog.getByRole("button", { name: "Create" }).click();
  await dialog.locator('.field[data-field="name"] .field-error', { hasText: "already exists" }).waitFor();
  assert.equal(await dialog.getByLabel("Name").getAttribute("aria-invalid"), "true");

  await dialog.getByLabel("Name").fill(MODEL);
  await dialog.getByLabel("Description").fill("Answers customer questions about returns.");
  assert.equal(await dialog.getByLabel("Provider").inputValue(), "openai");
  await dialog.getByLabel("Client system messages").selectOption("DISCARD");
  await dialog.getByRole("button", { name: "Create" }).click();
  await dialog.waitFor({ state: "detached" });

  // Creating opens the model's page; the list shows it too.
  await page.getByRole("heading", { name: MODEL }).waitFor();
  modelId = decodeURIComponent(new URL(page.url()).hash.replace(/^#\/models\//, ""));
  await page.getByRole("link", { name: "Custom Models" }).first().click();
  const row = page.locator(".models-table tr", { hasText: MODEL });
  await row.waitFor();
  assert.match(await row.textContent(), /NOT TRAINED/);
  assert.match(await row.textContent(), /openai/);
  await assertFitsPhoneWidth(page);

  // The preview: a tag without blocks has errors and the job cannot start.
  await row.getByRole("link", { name: MODEL }).click();
  await page.getByRole("heading", { name: MODEL }).waitFor();
  await page.getByRole("link", { name: "Run training job" }).click();
  await page.getByRole("heading", { name: "Run training job" }).waitFor();
  await page.getByLabel("Tag").fill(`${TAG}-none`);
  await page.getByRole("button", { name: "Update preview" }).click();
  await page.locator(".problems.errors, .field-error:not([hidden])").first().waitFor();
  assert.equal(await page.getByRole("button", { name: "Start training job" }).isDisabled(), true);
  assert.match(await page.locator("#start-note").textContent(), /cannot start/);

  // With the test's tag: 12 blocks and the platform charge (fee + 12 credits).
  await page.getByLabel("Tag").fill(TAG);
  await page.getByRole("button", { name: "Update preview" }).click();
  await page.locator(".preview-blocks", { hasText: "12" }).waitFor();
  const charge = await page.locator(".platform-charge").textContent();
  assert.match(charge, /12 credits for blocks/);
  assert.match(charge, /credits fee/);
  assert.equal(await page.locator(".problems.errors").count(), 0);
  await page.getByRole("button", { name: "Start training job" }).waitFor({ state: "visible" });
  assert.equal(await page.getByRole("button", { name: "Start training job" }).isEnabled(), true);
  await screenshot(page, "training-preview");
  await assertFitsPhoneWidth(page);

  await page.getByRole("button", { name: "Start training job" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Start job" }).click();
  await page.waitForURL(/#\/jobs\//);
  jobIds.push(decodeURIComponent(new URL(page.url()).hash.replace(/^#\/jobs\//, "")));
  await page.getByRole("heading", { name: "Training job" }).waitFor();

  // The chart gains points as the job runs, until SUCCEEDED.
  const counts = new Set();
  const deadline = Date.now() + 60_000;
  let status = null;
  while (Date.now() < deadline) {
    counts.add(await page.locator("circle.point.train").count());
    status = await jobStatus(page).catch(() => null);
    if (status === "SUCCEEDED" || status === "FAILED" || status === "CANCELLED") break;
    await page.waitForTimeout(250);
  }
  assert.equal(status, "SUCCEEDED");
  const final = await page.locator("circle.point.train").count();
  counts.add(final);
  const nonZero = [...counts].filter((n) => n > 0);
  assert.ok(nonZero.length >= 2, `the chart should grow while the job runs; point counts seen: ${[...counts].join(", ")}`);
  assert.ok(final >= 2, `the finished job shows its points (${final})`);
  const label = await page.locator(".chart-svg").getAttribute("aria-label");
  assert.match(label, new RegExp(`${final + (await page.locator("circle.point.valid").count())} points`));
  assert.match(label, /last training loss/);
  assert.equal(await page.locator(".loss-chart table tbody tr").count(), final);
  await page.locator(".timeline .step.end-succeeded").waitFor();
  assert.ok((await page.locator(".event-log tbody tr").count()) > 0, "the event log shows the provider's events");
  await page.locator(".live.ended").waitFor();
  assert.equal(await page.getByRole("button", { name: "Cancel training job" }).isVisible(), false);
  await screenshot(page, "training-job");
  await assertFitsPhoneWidth(page);

  // A second job, cancelled while it runs.
  await page.goto(`${BASE}/#/models/${encodeURIComponent(modelId)}?run&tag=${encodeURIComponent(SECOND_TAG)}`);
  await page.locator(".preview-blocks", { hasText: "12" }).waitFor();
  await page.getByRole("button", { name: "Start training job" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Start job" }).click();
  await page.waitForURL(/#\/jobs\//);
  jobIds.push(decodeURIComponent(new URL(page.url()).hash.replace(/^#\/jobs\//, "")));
  assert.notEqual(jobIds[1], jobIds[0]);
  await page.locator(".job-status .badge").waitFor();
  // The API refuses to cancel while the job is still being submitted.
  await page.locator(".job-status .badge:not(.status-submitting)").waitFor();
  const cancel = page.getByRole("button", { name: "Cancel training job" });
  await cancel.click();
  await page.getByRole("dialog").getByRole("button", { name: "Cancel the job" }).click();
  await page.locator(".job-status .badge", { hasText: "CANCELLED" }).waitFor();
  await page.locator(".timeline .step.end-cancelled").waitFor();
  assert.equal(await cancel.isVisible(), false);
  const { trainingJob } = await gql(`query Job($id: ID!) { trainingJob(id: $id) { status } }`, { id: jobIds[1] });
  assert.equal(trainingJob.status, "CANCELLED");

  // The model's history lists both jobs, newest first, with links to them.
  await page.getByRole("link", { name: MODEL }).first().click();
  await page.getByRole("heading", { name: MODEL }).waitFor();
  const history = page.locator(".jobs-table tbody tr");
  await history.nth(1).waitFor();
  assert.equal(await history.count(), 2);
  assert.match(await history.nth(0).textContent(), /CANCELLED/);
  assert.match(await history.nth(1).textContent(), /SUCCEEDED/);
  assert.equal(await history.nth(1).getByRole("link").getAttribute("href"), `#/jobs/${jobIds[0]}`);
  assert.match(await page.locator(".card", { hasText: "Details" }).textContent(), /READY/);
  await screenshot(page, "model");
  await assertFitsPhoneWidth(page);

  // The list shows the trained model's name and status.
  await page.getByRole("link", { name: "Custom Models" }).first().click();
  const trained = page.locator(".models-table tr", { hasText: MODEL });
  await trained.locator(".badge", { hasText: "READY" }).waitFor();
  assert.match(await trained.textContent(), /ft:gpt-4o-mini/);
  await screenshot(page, "custom-models");
  await close();

  // The cancelled job's blocks are Not Trained again: remove them so no other test trains them.
  const left = await gql(`query Left($tag: String) { trainingBlocks(first: 100, filter: { tag: $tag }) { nodes { id status } } }`, { tag: SECOND_TAG });
  assert.ok(left.trainingBlocks.nodes.every((b) => b.status === "NOT_TRAINED"), "a cancelled job's blocks go back to Not Trained");
  await gql(`mutation Clean($ids: [ID!]!) { deleteTrainingBlocks(ids: $ids) }`, { ids: left.trainingBlocks.nodes.map((b) => b.id) });
});

test("a READER sees the models and jobs but no button that changes them", async () => {
  assert.ok(modelId && jobIds.length === 2, "the first test made a model with two jobs");
  const reader = await createToken("READER");
  const { page, close } = await openBrowser();
  await signIn(page, reader);
  await page.getByRole("link", { name: "Custom Models" }).click();
  await page.locator(".models-table tr", { hasText: MODEL }).waitFor();
  for (const name of ["Create model", "Edit", "Delete"]) assert.equal(await page.getByRole("button", { name }).count(), 0, `no ${name} button`);

  await page.getByRole("link", { name: MODEL }).click();
  await page.getByRole("heading", { name: MODEL }).waitFor();
  assert.equal(await page.getByRole("link", { name: "Run training job" }).count(), 0);
  assert.equal(await page.getByRole("link", { name: "Move to another provider" }).count(), 0);
  for (const name of ["Edit", "Delete", "Deploy", "Undeploy"]) assert.equal(await page.getByRole("button", { name }).count(), 0, `no ${name} button`);

  // The job page follows the job through the subscription, which a READER may use; the router
  // may still keep the page for editors. Either way there is no Cancel button.
  await page.goto(`${BASE}/#/jobs/${encodeURIComponent(jobIds[0])}`);
  await page.locator('.job-status .badge:has-text("SUCCEEDED"), h1:has-text("Not for this token")').first().waitFor();
  if (await page.locator(".job-status .badge").count()) {
    await page.locator("circle.point.train").first().waitFor();
  }
  assert.equal(await page.getByRole("button", { name: "Cancel training job" }).count(), 0);
  await close();
});

test("a trained model is moved to Together after a preview that retrains every block there", async () => {
  assert.ok(modelId, "the first test made a trained model");
  await gql(
    `mutation Together($url: String!, $key: String!) { setProviderCredentials(provider: "together", apiKey: $key, baseUrl: $url) { provider } }`,
    { url: `${EMULATOR_URL}/together/v1`, key: EMULATOR_KEY },
  );
  const { page, close } = await openBrowser();
  await signIn(page);
  await page.goto(`${BASE}/#/models/${encodeURIComponent(modelId)}`);
  await page.getByRole("heading", { name: MODEL }).waitFor();
  await page.getByRole("link", { name: "Move to another provider" }).click();
  await page.getByRole("heading", { name: "Move to another provider" }).waitFor();

  await page.getByLabel("Provider").selectOption("together");
  const baseModel = page.getByLabel("Base model");
  await page.waitForFunction(() => document.querySelectorAll("#move-base-models option").length > 0);
  await baseModel.fill("meta-llama/Meta-Llama-3.1-8B-Instruct-Reference");
  await page.getByRole("button", { name: "Preview move" }).click();
  const preview = page.locator(".preview-card");
  await preview.waitFor();
  assert.match(await preview.textContent(), /together/);
  await preview.locator('li[data-code="RETRAINS_ALL_BLOCKS"]').waitFor();
  assert.ok(Number(await preview.getAttribute("data-blocks")) >= 12, "at least the 12 blocks trained before");
  const before = await gql(`query Model($id: ID!) { customModel(id: $id) { provider } }`, { id: modelId });
  assert.equal(before.customModel.provider, "openai", "a preview changes nothing");

  const move = page.getByRole("button", { name: "Move model" });
  await page.waitForFunction(() => !document.querySelector(".start-bar button.primary")?.disabled);
  await move.click();
  await page.getByRole("dialog").getByRole("button", { name: "Move", exact: true }).click();
  await page.waitForURL(/#\/jobs\//);
  await page.getByRole("heading", { name: "Training job" }).waitFor();
  const after = await gql(`query Model($id: ID!) { customModel(id: $id) { provider baseModel } }`, { id: modelId });
  assert.deepEqual(after.customModel, { provider: "together", baseModel: "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference" });
  await close();
});
