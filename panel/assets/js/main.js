// The panel's start: sign-in with an API token, the navigation, and the router that shows one
// page per location hash (`#/blocks`, `#/models/ID`, ...). Each page is a module under pages/
// exporting `render(root, ctx, params, query)`; it may return a function that stops what the
// page started (subscriptions, timers) when another page is shown.

import { gql, onUnauthenticated, session } from "./api.js";
import { errorBox, field, formError, h, loading, replace, showFieldErrors } from "./dom.js";

const ROLES = ["READER", "EDITOR", "ADMIN"];

/**
 * Routes: a hash path pattern, the page module, the nav entry it belongs to, and the least role
 * whose token the API answers there (rules and blocks are EDITOR's; a READER reads models).
 */
const ROUTES = [
  { pattern: /^\/?$/, page: null, nav: null, role: "READER" },
  { pattern: /^\/blocks$/, page: "blocks", nav: "blocks", role: "EDITOR" },
  { pattern: /^\/blocks\/new$/, page: "block_editor", nav: "blocks", role: "EDITOR", params: () => ({ id: null }) },
  { pattern: /^\/blocks\/([^/]+)$/, page: "block_editor", nav: "blocks", role: "EDITOR", params: (m) => ({ id: decodeURIComponent(m[1]) }) },
  { pattern: /^\/rules$/, page: "rules", nav: "rules", role: "EDITOR" },
  { pattern: /^\/models$/, page: "models", nav: "models", role: "READER" },
  { pattern: /^\/models\/([^/]+)$/, page: "model", nav: "models", role: "READER", params: (m) => ({ id: decodeURIComponent(m[1]) }) },
  { pattern: /^\/jobs\/([^/]+)$/, page: "job", nav: "models", role: "READER", params: (m) => ({ id: decodeURIComponent(m[1]) }) },
  { pattern: /^\/try$/, page: "try", nav: "try", role: "READER" },
  { pattern: /^\/settings$/, page: "settings", nav: "settings", role: "EDITOR" },
  { pattern: /^\/console$/, page: "console", nav: "console", role: "READER" },
];

const main = document.getElementById("main");
let viewer = null;
let stopPage = null;
let renderCount = 0;

/** What every page gets: who is signed in and how to move on. */
function context() {
  return {
    role: viewer.role,
    workspace: viewer.workspace,
    /** Whether the signed-in role is `role` or above. */
    can: (role) => ROLES.indexOf(viewer.role) >= ROLES.indexOf(role),
    /** Shows another page: `navigate("#/models/ID")`. */
    navigate: (hash) => {
      if (location.hash === hash) route();
      else location.hash = hash;
    },
  };
}

function currentLocation() {
  if (!location.hash && location.pathname === "/graphql") return { path: "/console", query: new URLSearchParams() };
  const [path, search = ""] = location.hash.replace(/^#/, "").split("?");
  return { path: path || "/", query: new URLSearchParams(search) };
}

async function route() {
  stopPage?.();
  stopPage = null;
  if (!viewer) return;
  const { path, query } = currentLocation();
  const matched = ROUTES.map((r) => ({ r, m: path.match(r.pattern) })).find((x) => x.m);
  for (const link of document.querySelectorAll("#nav a")) {
    if (matched && link.dataset.page === matched.r.nav) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const ticket = ++renderCount;
  const root = h("div", { class: "page" });
  replace(main, root);
  // The keyboard starts from the new page, as after a page load (Shift+Tab reaches the menu).
  main.focus({ preventScroll: true });
  if (!matched) {
    replace(root, h("h1", { text: "Page not found" }), h("p", {}, "There is no page at ", h("code", { text: path }), ". ", h("a", { href: "#/models", text: "Go to Custom Models" })));
    return;
  }
  if (!matched.r.page) {
    // The start page: where the role has the most to do.
    location.replace(context().can("EDITOR") ? "#/blocks" : "#/models");
    return;
  }
  if (!context().can(matched.r.role)) {
    replace(root, h("h1", { text: "Not for this token" }), h("p", { text: `This page needs an ${matched.r.role} token or above; you are signed in as ${viewer.role}.` }));
    return;
  }
  replace(root, loading());
  try {
    const module = await import(`./pages/${matched.r.page}.js`);
    if (ticket !== renderCount) return;
    replace(root);
    const params = matched.r.params ? matched.r.params(matched.m) : {};
    const stop = await module.render(root, context(), params, query);
    if (ticket !== renderCount) stop?.();
    else stopPage = typeof stop === "function" ? stop : null;
  } catch (error) {
    if (ticket === renderCount && error?.code !== "UNAUTHENTICATED") replace(root, errorBox(error, route));
  }
}

const VIEWER = "query Viewer { viewer { role workspace { id name } } }";

function showSignIn(message = null) {
  stopPage?.();
  stopPage = null;
  viewer = null;
  document.getElementById("nav").hidden = true;
  document.getElementById("who").hidden = true;
  const input = h("input", { type: "password", name: "token", autocomplete: "off", required: true, spellcheck: false, placeholder: "tnr_…" });
  const form = h(
    "form",
    {
      class: "card sign-in",
      onsubmit: async (event) => {
        event.preventDefault();
        const token = input.value.trim();
        const button = form.querySelector("button");
        button.disabled = true;
        try {
          const data = await gql(VIEWER, {}, { token });
          session.token = token;
          signedIn(data.viewer);
        } catch (error) {
          showFieldErrors(form, { fieldErrors: { token: error.message }, errors: [] });
        } finally {
          button.disabled = false;
        }
      },
    },
    h("h1", { text: "Sign in to tuner" }),
    message ? h("p", { class: "notice", role: "alert", text: message }) : null,
    field("API token", input, {
      name: "token",
      hint: "An API token of your workspace (tuner prints the first ADMIN token when it starts on an empty database). It is kept until this tab closes.",
    }),
    formError(),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", text: "Sign in" })),
  );
  replace(main, form);
  input.focus();
}

function signedIn(who) {
  viewer = who;
  document.getElementById("nav").hidden = false;
  document.getElementById("who").hidden = false;
  document.getElementById("who-text").textContent = `${who.workspace.name} · ${who.role}`;
  const can = context().can;
  for (const link of document.querySelectorAll("#nav a")) link.hidden = !can(link.dataset.role);
  route();
}

async function start() {
  onUnauthenticated(() => {
    session.token = null;
    showSignIn("Your token is no longer accepted (revoked, or the server was reset). Sign in again.");
  });
  document.getElementById("sign-out").addEventListener("click", () => {
    session.token = null;
    showSignIn();
  });
  window.addEventListener("hashchange", route);
  if (!session.token) {
    showSignIn();
    return;
  }
  replace(main, loading());
  try {
    const data = await gql(VIEWER);
    signedIn(data.viewer);
  } catch (error) {
    if (error.code !== "UNAUTHENTICATED") replace(main, errorBox(error, start));
  }
}

start();
