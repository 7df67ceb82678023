// Training Messages: a block is created with three exchanges reordered, an empty prompt is
// refused at its field, filters and search narrow the list, many blocks change status at once
// and are deleted after a confirmation that says how many, and a READER sees no edit controls.

import assert from "node:assert/strict";
import { test } from "node:test";
import { assertFitsPhoneWidth, createToken, gql, openBrowser, screenshot, signIn } from "./browser.mjs";

const TAG = "panel-blocks";

async function blocksTagged(tag) {
  const data = await gql(
    `query($tag: String) { trainingBlocks(first: 100, filter: { tag: $tag }) { nodes { id status tag notes exchanges { prompt response } } } }`,
    { tag },
  );
  return data.trainingBlocks.nodes;
}

test("a block is created with its exchanges in order, and an empty prompt is refused at its field", async () => {
  const { page, close } = await openBrowser();
  await signIn(page);
  await page.getByRole("link", { name: "New block" }).click();
  await page.getByRole("heading", { name: "New training block" }).waitFor();

  await page.getByRole("button", { name: "Create block" }).click();
  const promptError = page.locator('.field[data-field="exchanges[0].prompt"] .field-error');
  await promptError.waitFor();
  assert.match(await promptError.textContent(), /must not be empty/);
  assert.equal(await page.getByLabel("User prompt 1").getAttribute("aria-invalid"), "true");

  await page.getByLabel("Tag").fill(TAG);
  await page.getByLabel("Notes").fill("Checked by the support lead.");
  await page.getByLabel("User prompt 1").fill("How do I reset my password?");
  await page.getByLabel("Assistant response 1").fill("Use the 'Forgot password' link on the sign-in page.");
  await page.getByRole("button", { name: "Add exchange" }).click();
  await page.getByLabel("User prompt 2").fill("I got no email.");
  await page.getByLabel("Assistant response 2").fill("Check the spam folder, then ask again.");
  await page.getByRole("button", { name: "Add exchange" }).click();
  await page.getByLabel("User prompt 3").fill("Thanks!");
  await page.getByLabel("Assistant response 3").fill("You're welcome.");
  assert.equal(await page.getByRole("button", { name: "Add exchange" }).isDisabled(), true, "at most 3 exchanges");
  await page.getByRole("button", { name: "Move exchange 3 up" }).click();
  await screenshot(page, "block-editor");
  await page.getByRole("button", { name: "Create block" }).click();
  await page.getByRole("heading", { name: "Training Messages" }).waitFor();

  const [block] = await blocksTagged(TAG);
  assert.deepEqual(
    block.exchanges.map((e) => e.prompt),
    ["How do I reset my password?", "Thanks!", "I got no email."],
  );
  assert.equal(block.status, "NOT_TRAINED");
  assert.equal(block.notes, "Checked by the support lead.");

  await page.goto(`${page.url().split("#")[0]}#/blocks/${block.id}`);
  await page.getByRole("button", { name: "Remove exchange 3" }).click();
  await page.getByRole("button", { name: "Save block" }).click();
  await page.getByRole("heading", { name: "Training Messages" }).waitFor();
  const [saved] = await blocksTagged(TAG);
  assert.equal(saved.exchanges.length, 2);
  await close();
});

test("many blocks change status at once and are deleted after a confirmation that counts them", async () => {
  for (let i = 0; i < 4; i++) {
    await gql(`mutation($input: CreateTrainingBlockInput!) { createTrainingBlock(input: $input) { id } }`, {
      input: { tag: `${TAG}-bulk`, exchanges: [{ prompt: `Bulk question ${i}`, response: `Bulk answer ${i}` }] },
    });
  }
  const { page, close } = await openBrowser();
  await signIn(page);
  await page.getByLabel("Tag", { exact: true }).selectOption(`${TAG}-bulk`);
  await page.locator("table.blocks tbody tr").nth(3).waitFor();
  assert.equal(await page.locator("table.blocks tbody tr").count(), 4);
  await page.getByLabel("Search").fill("question 2");
  await page.getByRole("button", { name: "Search" }).click();
  await page.waitForFunction(() => document.querySelectorAll("table.blocks tbody tr").length === 1);
  await page.getByLabel("Search").fill("");
  await page.getByRole("button", { name: "Search" }).click();
  await page.waitForFunction(() => document.querySelectorAll("table.blocks tbody tr").length === 4);
  await screenshot(page, "training-messages");
  await assertFitsPhoneWidth(page);

  await page.getByLabel("Select all blocks on this page").check();
  await page.getByText("4 selected").waitFor();
  await page.getByLabel("New status for the selected blocks").selectOption("DRAFT");
  await page.getByRole("button", { name: "Set status" }).click();
  await page.locator("table.blocks .badge", { hasText: "Draft" }).nth(3).waitFor();
  assert.deepEqual(
    (await blocksTagged(`${TAG}-bulk`)).map((b) => b.status),
    ["DRAFT", "DRAFT", "DRAFT", "DRAFT"],
  );

  await page.getByLabel("Select block 1", { exact: false }).check();
  await page.getByLabel("Select block 2", { exact: false }).check();
  await page.getByRole("button", { name: "Delete selected" }).click();
  const dialog = page.getByRole("dialog");
  assert.match(await dialog.getByRole("heading").textContent(), /Delete 2 training blocks\?/);
  await dialog.getByRole("button", { name: "Delete 2 training blocks" }).click();
  await page.waitForFunction(() => document.querySelectorAll("table.blocks tbody tr").length === 2);
  assert.equal((await blocksTagged(`${TAG}-bulk`)).length, 2);
  await close();
});

test("a READER is not offered the pages of blocks and rules, which its token cannot read", async () => {
  const reader = await createToken("READER");
  const { page, close } = await openBrowser();
  await signIn(page, reader);
  await page.getByRole("heading", { name: "Custom Models" }).waitFor();
  const nav = page.getByRole("navigation", { name: "Pages", exact: true });
  assert.equal(await nav.getByRole("link", { name: "Training Messages" }).count(), 0);
  assert.equal(await nav.getByRole("link", { name: "Global Rules" }).count(), 0);
  await page.goto(`${page.url().split("#")[0]}#/blocks`);
  await page.getByRole("heading", { name: "Not for this token" }).waitFor();
  assert.equal(await page.getByRole("link", { name: "New block" }).count(), 0);
  assert.equal(await page.getByRole("checkbox").count(), 0);
  await close();
});
