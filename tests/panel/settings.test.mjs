// Settings and the GraphQL console: an import with a bad line names the line, a dry run imports
// nothing, an import adds the blocks and the export downloads them; a token's secret is shown
// once and the token revoked (the signed-in one signs the browser out); provider credentials
// show only their last 4 characters and Test reports ok; the ledger shows the grant; the console
// runs a query (also from GET /graphql) and keeps it; READER and EDITOR see only what they may use.

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { ADMIN, assertFitsPhoneWidth, BASE, createToken, EMULATOR_KEY, EMULATOR_URL, gql, openBrowser, screenshot, signIn } from "./browser.mjs";

const RUN = Date.now().toString(36);

function jsonl(...conversations) {
  return Buffer.from(conversations.map((c) => (typeof c === "string" ? c : JSON.stringify({ messages: c }))).join("\n") + "\n");
}

const user = (content) => ({ role: "user", content });
const assistant = (content) => ({ role: "assistant", content });

async function openSettings(page) {
  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByRole("heading", { name: "Settings", level: 1 }).waitFor();
}

async function blocksTagged(tag) {
  const data = await gql(`query Tagged($tag: String) { trainingBlocks(first: 50, filter: { tag: $tag }) { totalCount nodes { status exchanges { prompt } } } }`, { tag });
  return data.trainingBlocks;
}

test("an import names its bad line, a dry run imports nothing, an import adds the blocks, the export downloads them", async () => {
  const { page, close } = await openBrowser();
  const tag = `settings-import-${RUN}`;
  await signIn(page);
  await openSettings(page);
  const importForm = page.locator("#import");
  const fileInput = page.getByLabel("JSONL file");

  const bad = jsonl([user("Where is my parcel?"), assistant("It ships within two days.")], '{"messages": [{"role": "user", "content": "unfinished"', [user("Hi"), assistant("Hello!")]);
  await fileInput.setInputFiles({ name: "bad.jsonl", mimeType: "application/x-ndjson", buffer: bad });
  await page.getByLabel("Tag (optional)").fill(tag);
  await importForm.getByRole("button", { name: "Import", exact: true }).click();
  const problems = page.locator(".import-problems");
  await problems.waitFor();
  assert.match(await problems.textContent(), /Nothing was imported: 1 line has a problem/);
  assert.equal(await problems.locator("tr[data-line]").count(), 1);
  assert.equal((await problems.locator("td.line-number").textContent()).trim(), "Line 2");
  const fieldError = importForm.locator('.field[data-field="file"] .field-error');
  await fieldError.waitFor();
  assert.match(await fieldError.textContent(), /line 2/);
  assert.equal((await blocksTagged(tag)).totalCount, 0);

  const good = jsonl(
    [user("Can I change my delivery address?"), assistant("Yes, until the parcel ships. Tell me the new address.")],
    [user("Do you ship abroad?"), assistant("Yes, to most countries."), user("And to Norway?"), assistant("Yes, Norway too.")],
    [{ role: "system", content: "Mention the order number when you have it." }, user("Where is order 12?"), assistant("Order 12 left our warehouse today.")],
  );
  await fileInput.setInputFiles({ name: "good.jsonl", mimeType: "application/x-ndjson", buffer: good });
  await importForm.getByRole("button", { name: "Dry run (check only)" }).click();
  const done = page.locator(".import-ok");
  await done.waitFor();
  assert.match(await done.textContent(), /Dry run: the file is valid\. good\.jsonl holds 3 blocks with 4 exchanges\. Nothing was imported\./);
  assert.equal(await problems.count(), 0, "the earlier problems are gone");
  assert.equal((await blocksTagged(tag)).totalCount, 0, "a dry run imports nothing");

  await importForm.getByRole("button", { name: "Import", exact: true }).click();
  await page.locator(".import-ok", { hasText: "Imported." }).waitFor();
  assert.match(await done.textContent(), new RegExp(`3 blocks with 4 exchanges added as Not trained, tagged “${tag}”`));
  const imported = await blocksTagged(tag);
  assert.equal(imported.totalCount, 3);
  assert.ok(imported.nodes.every((b) => b.status === "NOT_TRAINED"));
  assert.deepEqual(imported.nodes.map((b) => b.exchanges.length).sort(), [1, 1, 2]);

  const exportForm = page.locator("#export");
  await exportForm.getByLabel("Tag", { exact: true }).fill(tag);
  await exportForm.getByLabel("Status").selectOption("NOT_TRAINED");
  const [download] = await Promise.all([page.waitForEvent("download"), exportForm.getByRole("button", { name: "Download JSONL" }).click()]);
  assert.equal(download.suggestedFilename(), `training-blocks-${tag}-not_trained.jsonl`);
  const lines = (await readFile(await download.path(), "utf8")).trim().split("\n").map((line) => JSON.parse(line));
  assert.equal(lines.length, 3);
  assert.ok(lines.some((l) => l.messages.some((m) => m.content === "And to Norway?")));
  await exportForm.locator(".export-result", { hasText: "3 blocks" }).waitFor();

  await exportForm.getByLabel("Tag", { exact: true }).fill(`${tag}-none`);
  await exportForm.getByRole("button", { name: "Download JSONL" }).click();
  await exportForm.locator(".export-result", { hasText: "No training blocks match" }).waitFor();
  await close();
});

test("a token's secret is shown once, it works, and revoking it stops it", async () => {
  const { page, close } = await openBrowser();
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE });
  const name = `settings-token-${RUN}`;
  await signIn(page);
  await openSettings(page);
  const tokens = page.locator("#tokens");
  await tokens.getByLabel("Name", { exact: true }).fill(name);
  await tokens.getByLabel("Role", { exact: true }).selectOption("EDITOR");
  await tokens.getByRole("button", { name: "Create token" }).click();

  const dialog = page.getByRole("dialog", { name: "Token created" });
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /it will not be shown again/);
  const secret = await dialog.getByLabel("Secret").inputValue();
  assert.match(secret, /^tnr_/);
  await dialog.getByRole("button", { name: "Copy" }).click();
  await dialog.getByText("Copied.").waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
  assert.equal((await gql("query Me { viewer { role } }", {}, secret)).viewer.role, "EDITOR");
  await dialog.getByRole("button", { name: "Done" }).click();
  await dialog.waitFor({ state: "detached" });

  const row = tokens.locator("tr", { hasText: name });
  await row.waitFor();
  assert.match(await row.textContent(), /EDITOR/);
  assert.ok(!(await page.content()).includes(secret), "the secret is not shown again");

  await page.getByRole("button", { name: `Revoke token ${name}` }).click();
  await page.getByRole("dialog", { name: "Revoke this token?" }).getByRole("button", { name: "Revoke token" }).click();
  await row.waitFor({ state: "detached" });
  const { apiTokens } = await gql("query Tokens { apiTokens { name } }");
  assert.ok(!apiTokens.some((t) => t.name === name));
  await assert.rejects(gql("query Me { viewer { role } }", {}, secret), /UNAUTHENTICATED/);
  await close();
});

test("revoking the token the browser is signed in with signs it out", async () => {
  const { page, close } = await openBrowser();
  const name = `settings-self-${RUN}`;
  const secret = await createToken("ADMIN", name);
  await signIn(page, secret);
  await openSettings(page);
  const row = page.locator("#tokens tr", { hasText: name });
  await row.getByText("this browser").waitFor();
  await page.getByRole("button", { name: `Revoke token ${name}` }).click();
  const confirm = page.getByRole("dialog", { name: "Revoke this token?" });
  assert.match(await confirm.textContent(), /signs you out/);
  await confirm.getByRole("button", { name: "Revoke token" }).click();
  await page.getByRole("heading", { name: "Sign in to tuner" }).waitFor();
  await page.getByText("no longer accepted").waitFor();
  await close();
});

test("provider credentials show only their last 4 characters, errors sit at their field, and Test reports ok", async () => {
  const { page, close } = await openBrowser();
  await signIn(page);
  await openSettings(page);
  const credentials = page.locator("#credentials");
  const provider = credentials.getByLabel("Provider", { exact: true });
  const key = credentials.getByLabel("API key", { exact: true });

  await provider.selectOption("fireworks");
  await key.fill("fw-not-saved-1234");
  await credentials.getByRole("button", { name: "Save credentials" }).click();
  const accountError = credentials.locator('.field[data-field="accountId"] .field-error');
  await accountError.waitFor();
  assert.match(await accountError.textContent(), /accountId/);

  await provider.selectOption("together");
  await key.fill(EMULATOR_KEY);
  await credentials.getByLabel("Base URL").fill(`${EMULATOR_URL}/together/v1`);
  await credentials.getByRole("button", { name: "Save credentials" }).click();
  const together = credentials.locator('tr[data-provider="together"]');
  await together.waitFor();
  assert.equal(await together.locator(".key-last4").textContent(), `…${EMULATOR_KEY.slice(-4)}`);
  assert.match(await together.textContent(), new RegExp(`${EMULATOR_URL}/together/v1`));
  assert.equal(await key.inputValue(), "", "the key input is write-only");
  assert.ok(!(await credentials.textContent()).includes(EMULATOR_KEY), "the whole key is never shown");
  const stored = await gql("query Creds { providerCredentials { provider apiKeyLast4 baseUrl } }");
  assert.deepEqual(stored.providerCredentials.find((c) => c.provider === "together"), { provider: "together", apiKeyLast4: EMULATOR_KEY.slice(-4), baseUrl: `${EMULATOR_URL}/together/v1` });

  for (const id of ["openai", "together"]) {
    await credentials.getByRole("button", { name: `Test ${id} credentials` }).click();
    const result = credentials.locator(`.test-result[data-provider="${id}"]`);
    await result.locator(".badge").waitFor();
    assert.match(await result.textContent(), /^OK/, `${id}: ${await result.textContent()}`);
    assert.match(await result.textContent(), /\d+ models?/);
  }

  const ledger = page.locator("table.ledger");
  await ledger.waitFor();
  const grant = ledger.locator("tr", { hasText: "Credits granted" }).first();
  assert.match(await grant.locator("td").nth(1).textContent(), /^\+1[,.\u202f]?000$/);
  const { viewer } = await gql("query Credits { viewer { workspace { credits } } }");
  assert.equal((await page.locator(".balance-amount").textContent()).replace(/\D/g, ""), String(viewer.workspace.credits));

  await screenshot(page, "settings");
  await assertFitsPhoneWidth(page);
  await close();
});

test("the console runs queries and a subscription from GET /graphql, shows errors as returned, and keeps the last query", async () => {
  const { page, close } = await openBrowser();
  await page.goto(`${BASE}/graphql`);
  await page.getByLabel("API token").fill(ADMIN);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "GraphQL console" }).waitFor();

  const query = page.getByLabel("Query", { exact: true });
  const output = page.locator(".console-output");
  await query.fill("{ viewer { role } }");
  await query.press("Control+Enter");
  await output.filter({ hasText: '"role": "ADMIN"' }).waitFor();
  assert.deepEqual(JSON.parse(await output.textContent()), { data: { viewer: { role: "ADMIN" } } });
  assert.match(await page.locator(".console-status").textContent(), /^HTTP 200/);

  await query.fill("query Nope { nope }");
  await page.getByRole("button", { name: "Run" }).click();
  await output.filter({ hasText: '"errors"' }).waitFor();
  const answer = JSON.parse(await output.textContent());
  assert.match(answer.errors[0].message, /nope/);
  assert.match(await page.locator(".console-status").textContent(), /1 error/);

  const { createCustomModel: model } = await gql("mutation Model($name: String!) { createCustomModel(input: { name: $name }) { id } }", { name: `console-${RUN}` });
  await page.getByLabel("Examples").selectOption({ label: "Live job updates (subscription)" });
  await page.getByLabel("Variables (JSON)").fill(JSON.stringify({ modelId: model.id }));
  await page.getByRole("button", { name: "Run" }).click();
  await page.locator(".console-status", { hasText: "Subscribed" }).waitFor();
  await page.getByRole("button", { name: "Stop" }).click();
  await page.locator(".console-status", { hasText: "Stopped." }).waitFor();
  assert.ok(await page.getByRole("button", { name: "Run" }).isEnabled());
  await page.getByLabel("Variables (JSON)").fill(JSON.stringify({ modelId: "not-an-id" }));
  await page.getByRole("button", { name: "Run" }).click();
  await page.locator(".console-status", { hasText: "ended with an error" }).waitFor();
  assert.match(await output.textContent(), /"errors"/);

  await page.getByLabel("Variables (JSON)").fill("{ not json");
  await page.getByRole("button", { name: "Run" }).click();
  await page.locator('.field[data-field="variables"] .field-error', { hasText: "not valid JSON" }).waitFor();
  await page.getByLabel("Variables (JSON)").fill('{ "first": 2 }');
  await query.fill("query Ledger($first: Int!) { creditLedger(first: $first) { amount reason } viewer { role } }");
  await query.press("Control+Enter");
  await output.filter({ hasText: '"creditLedger"' }).waitFor();
  assert.ok(JSON.parse(await output.textContent()).data.creditLedger.length <= 2);

  await page.locator(".schema-explorer summary").click();
  await page.locator(".schema-field", { hasText: "importTrainingBlocks" }).waitFor();
  await page.getByLabel("Filter").fill("revokes an api token");
  assert.equal(await page.locator(".schema-field:visible").count(), 1);
  await page.locator(".schema-field:visible", { hasText: "revokeApiToken" }).waitFor();
  await page.getByLabel("Filter").fill("token");

  await screenshot(page, "console");
  await assertFitsPhoneWidth(page);

  await page.reload();
  await page.getByRole("heading", { name: "GraphQL console" }).waitFor();
  assert.match(await page.getByLabel("Query", { exact: true }).inputValue(), /creditLedger\(first: \$first\)/);
  assert.equal(await page.getByLabel("Variables (JSON)").inputValue(), '{ "first": 2 }');
  await close();
});

test("a READER sees no token, credential or import controls; an EDITOR sees credits, import and export only", async () => {
  const { page, close } = await openBrowser();
  await signIn(page, await createToken("READER"));
  assert.equal(await page.getByRole("link", { name: "Settings" }).count(), 0, "a READER has no Settings link");
  await page.evaluate(() => {
    location.hash = "#/settings";
  });
  await page.locator("#main h1").waitFor();
  for (const name of ["Create token", "Save credentials", "Import", "Dry run (check only)", "Download JSONL"]) {
    assert.equal(await page.getByRole("button", { name, exact: true }).count(), 0, `a READER sees no ${name} button`);
  }
  assert.equal(await page.locator("input[type=file], input[type=password]").count(), 0);
  assert.equal(await page.getByRole("button", { name: /^Test / }).count(), 0);
  await close();

  const editor = await openBrowser();
  await signIn(editor.page, await createToken("EDITOR"));
  await openSettings(editor.page);
  await editor.page.locator("table.ledger").waitFor();
  await editor.page.getByRole("button", { name: "Dry run (check only)" }).waitFor();
  assert.equal(await editor.page.getByRole("heading", { name: "Provider credentials" }).count(), 0);
  assert.equal(await editor.page.getByRole("heading", { name: "API tokens" }).count(), 0);
  await editor.close();
});
