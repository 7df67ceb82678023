// Global Rules: add, edit, reorder and delete; the system prompt follows; an empty rule is refused
// at its field; signing in with a bad token is refused at the token field; the keyboard alone
// does the work, with the focus visible.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ADMIN, assertFitsPhoneWidth, BASE, gql, openBrowser, screenshot, signIn } from "./browser.mjs";

test("a bad token is refused at the sign-in field", async () => {
  const { page, close } = await openBrowser();
  await page.goto(`${BASE}/`);
  await page.getByLabel("API token").fill("tnr_not_a_token");
  await page.getByRole("button", { name: "Sign in" }).click();
  const error = page.locator('.field[data-field="token"] .field-error');
  await error.waitFor();
  assert.match(await error.textContent(), /token/i);
  await screenshot(page, "sign-in");
  await close();
});

test("rules are added, edited, reordered and deleted, and form the system prompt", async () => {
  const { page, close } = await openBrowser();
  await signIn(page);
  await page.getByRole("link", { name: "Global Rules" }).click();
  await page.getByRole("heading", { name: "Global Rules" }).waitFor();

  await page.getByRole("button", { name: "Add rule" }).click();
  const fieldError = page.locator('.field[data-field="text"] .field-error');
  await fieldError.waitFor();
  assert.match(await fieldError.textContent(), /must not be empty/);

  for (const text of ["Keep answers under three sentences.", "Always answer in a friendly tone."]) {
    await page.getByLabel("New rule").fill(text);
    await page.getByRole("button", { name: "Add rule" }).click();
    await page.locator(".rule-text", { hasText: text }).waitFor();
  }
  await page.getByRole("button", { name: "Move rule 2 up" }).click();
  await page.locator(".prompt", { hasText: "Always answer in a friendly tone.\nKeep answers under three sentences." }).waitFor();

  await page.getByRole("button", { name: "Edit rule 2" }).click();
  await page.getByLabel("Rule text").fill("Keep answers under two sentences.");
  await page.getByRole("button", { name: "Save" }).click();
  await page.locator(".rule-text", { hasText: "Keep answers under two sentences." }).waitFor();

  const { systemPrompt } = await gql("{ systemPrompt }");
  assert.equal(systemPrompt, "Always answer in a friendly tone.\nKeep answers under two sentences.");
  await screenshot(page, "global-rules");
  await assertFitsPhoneWidth(page);

  await page.getByRole("button", { name: "Delete rule 2" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete rule" }).click();
  await page.locator(".rule-text", { hasText: "two sentences" }).waitFor({ state: "detached" });
  const after = await gql("{ globalRules { text } }");
  assert.deepEqual(after.globalRules.map((r) => r.text), ["Always answer in a friendly tone."]);
  await close();
});

/** Presses `key` (Tab) until the focused element matches `accept` (at most 40 times). */
async function tabTo(page, what, accept, key = "Tab") {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press(key);
    if (await page.evaluate(accept)) return;
  }
  assert.fail(`Tab never reached ${what}`);
}

test("the keyboard alone signs in and adds a rule, with the focus visible", async () => {
  const { page, close } = await openBrowser();
  await page.goto(`${BASE}/`);
  await page.getByLabel("API token").waitFor();
  await page.keyboard.type(ADMIN);
  await page.keyboard.press("Enter");
  await page.getByRole("navigation", { name: "Pages", exact: true }).waitFor();
  // A new page puts the keyboard at its start; the menu is behind it.
  await tabTo(page, "the Global Rules link", () => document.activeElement?.textContent === "Global Rules", "Shift+Tab");
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Global Rules" }).waitFor();
  await tabTo(page, "the new rule field", () => document.activeElement?.getAttribute("name") === "text");
  await page.keyboard.type("Never promise refunds.");
  await tabTo(page, "the Add rule button", () => document.activeElement?.textContent === "Add rule");
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, "none", "the focused button shows a focus ring");
  await page.keyboard.press("Enter");
  await page.locator(".rule-text", { hasText: "Never promise refunds." }).waitFor();
  await close();
});
