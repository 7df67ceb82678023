// What every panel test shares: Debian's Chromium through playwright-core, signing in, setup
// over GraphQL, screenshots, and checks that a page logged no errors and fits a phone's width.
// run.py starts tuner and the emulator and passes their addresses in the environment.

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const BASE = required("PANEL_URL");
export const ADMIN = required("ADMIN_TOKEN");
export const EMULATOR_URL = required("EMULATOR_URL");
export const EMULATOR_KEY = required("EMULATOR_KEY");
const SCREENSHOTS = required("SCREENSHOTS");

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the panel tests through tests/panel/run.py`);
  return value;
}

/**
 * A fresh browser with one page at 1280×800. Every console error, uncaught exception and failed
 * request of the page is collected; `close()` fails the test when there was one.
 */
export async function openBrowser() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: "Europe/Berlin" });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const problems = [];
  page.on("console", (message) => {
    if (message.type() === "error" && !expectedConsoleError(message.text())) problems.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
  return {
    browser,
    page,
    problems,
    async close() {
      await browser.close();
      assert.deepEqual(problems, [], "the page logged errors");
    },
  };
}

// The browser itself logs a failed response (4xx/5xx) as a console error: the tests provoke
// some on purpose (a revoked token), and the panel shows them on the page.
function expectedConsoleError(text) {
  return /Failed to load resource: the server responded with a status of (4\d\d)/.test(text);
}

/** Opens the panel and signs in with `token`; waits for the navigation to show. */
export async function signIn(page, token = ADMIN) {
  await page.goto(`${BASE}/`);
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Pages", exact: true }).waitFor();
}

/** A GraphQL request for setting up or checking data (not through the page). */
export async function gql(query, variables = {}, token = ADMIN) {
  const response = await fetch(`${BASE}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(`GraphQL error: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** A token of `role` for this workspace. */
export async function createToken(role, name = `${role.toLowerCase()}-${Date.now()}`) {
  const data = await gql(`mutation($name: String!, $role: Role!) { createApiToken(name: $name, role: $role) { secret } }`, { name, role });
  return data.createApiToken.secret;
}

/** Writes docs/screenshots/NAME.png of the whole page (the README shows them). */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.evaluate(() => document.getElementById("toasts")?.replaceChildren());
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * Checks that the current page is usable 390 px wide (nothing wider than the screen but
 * scrolling tables), then goes back to 1280 px.
 */
export async function assertFitsPhoneWidth(page) {
  await page.setViewportSize({ width: 390, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  await page.setViewportSize({ width: 1280, height: 800 });
  assert.ok(overflow <= 392, `the page is ${overflow}px wide at 390px`);
}
