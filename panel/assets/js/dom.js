// Building blocks of every page: elements, dialogs, notices, loading and error states, and
// the API's validation messages shown at their fields.

/**
 * Creates an element. `attrs`: `class`, `for`, `text`, `on<event>` handlers, `data-*`, `aria-*`
 * and any property (`value`, `checked`, `disabled`, ...); `null`/`false` leave one out.
 * Children: nodes, strings (as text, never HTML), arrays, or null.
 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      element.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "class") {
      element.className = value;
    } else if (key === "text") {
      element.textContent = value;
    } else if (key.startsWith("data-") || key.startsWith("aria-") || key === "for" || key === "role" || key === "form" || key === "list") {
      element.setAttribute(key, value === true ? "" : value);
    } else if (key in element) {
      element[key] = value;
    } else {
      element.setAttribute(key, value === true ? "" : value);
    }
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces the content of `element` with `children`. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

let fieldCounter = 0;

/**
 * A labelled control with a place for its error: `<div class="field"><label>…</label>control
 * <p class="field-error"></p></div>`. `name` is the API's field name (`extensions.field`), so
 * `showFieldErrors` can put a message under it; `hint` is a line of help under the label.
 */
export function field(label, control, { name = null, hint = null } = {}) {
  const id = control.id || `field-${++fieldCounter}`;
  control.id = id;
  const error = h("p", { class: "field-error", id: `${id}-error`, hidden: true });
  const hintLine = hint ? h("p", { class: "hint", id: `${id}-hint`, text: hint }) : null;
  control.setAttribute("aria-describedby", [hintLine?.id, error.id].filter(Boolean).join(" "));
  return h("div", { class: "field", "data-field": name }, h("label", { for: id, text: label }), hintLine, control, error);
}

/** Removes every field message in `container`. */
export function clearFieldErrors(container) {
  for (const wrapper of container.querySelectorAll(".field[data-field]")) {
    const error = wrapper.querySelector(".field-error");
    error.hidden = true;
    error.textContent = "";
    wrapper.querySelector("input, textarea, select")?.removeAttribute("aria-invalid");
  }
  const summary = container.querySelector(".form-error");
  if (summary) {
    summary.hidden = true;
    summary.textContent = "";
  }
}

/**
 * Shows an `ApiError` in a form: each message that names a field under that field (the first
 * gets the focus), the rest in the form's `.form-error` line. Returns true when one was placed at
 * a field.
 */
export function showFieldErrors(container, error) {
  clearFieldErrors(container);
  const byField = error.fieldErrors ?? {};
  const placed = new Set();
  let first = null;
  for (const [name, message] of Object.entries(byField)) {
    const wrapper = container.querySelector(`.field[data-field="${CSS.escape(name)}"]`);
    if (!wrapper) continue;
    const line = wrapper.querySelector(".field-error");
    line.textContent = message;
    line.hidden = false;
    const control = wrapper.querySelector("input, textarea, select");
    control?.setAttribute("aria-invalid", "true");
    first ??= control;
    placed.add(message);
  }
  const rest = (error.errors?.length ? error.errors.map((e) => e.message) : [error.message]).filter((m) => !placed.has(m));
  const summary = container.querySelector(".form-error");
  if (summary && rest.length) {
    summary.textContent = rest.join("\n");
    summary.hidden = false;
  } else if (rest.length) {
    toast(rest.join("\n"), "error");
  }
  first?.focus();
  return placed.size > 0;
}

/** A line for messages of a form that belong to no field. */
export function formError() {
  return h("p", { class: "form-error", role: "alert", hidden: true });
}

/** A short notice at the bottom of the page; `kind` is `info` or `error`. */
export function toast(message, kind = "info") {
  const area = document.getElementById("toasts");
  const note = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : null, text: message });
  area.append(note);
  setTimeout(() => note.remove(), kind === "error" ? 8000 : 4000);
}

/**
 * A modal dialog (the browser's `<dialog>`: focus kept inside, Escape closes). `body` is its
 * content; `actions` are `{ label, kind, onClick }`: an action returning false (or a promise of
 * false) keeps it open. Resolves with the label of the action that closed it, or null.
 */
export function openDialog(title, body, actions) {
  return new Promise((resolve) => {
    const heading = h("h2", { id: `dialog-${++fieldCounter}`, text: title });
    const buttons = actions.map((action) =>
      h("button", {
        type: action.submit ? "submit" : "button",
        class: action.kind ?? "",
        text: action.label,
        onclick: async (event) => {
          event.preventDefault();
          const button = event.currentTarget;
          button.disabled = true;
          try {
            const keep = (await action.onClick?.()) === false;
            if (!keep) close(action.label);
          } finally {
            button.disabled = false;
          }
        },
      }),
    );
    const form = h("form", { method: "dialog" }, heading, body, h("div", { class: "actions" }, buttons));
    const dialog = h("dialog", { "aria-labelledby": heading.id }, form);
    let result = null;
    const close = (label) => {
      result = label;
      dialog.close();
    };
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** Asks before something that cannot be undone; resolves true on confirmation. */
export async function confirmAction(title, message, confirmLabel, { danger = true } = {}) {
  const choice = await openDialog(title, h("p", { text: message }), [
    { label: "Cancel", kind: "secondary" },
    { label: confirmLabel, kind: danger ? "danger" : "primary" },
  ]);
  return choice === confirmLabel;
}

/** A loading line for a page or section still waiting for the server. */
export function loading(text = "Loading…") {
  return h("p", { class: "loading", role: "status", text });
}

/** An error box with the server's message and, with `retry`, a button to try again. */
export function errorBox(error, retry = null) {
  return h(
    "div",
    { class: "error-box", role: "alert" },
    h("p", { text: error?.message ?? String(error) }),
    retry ? h("button", { type: "button", class: "secondary", text: "Try again", onclick: retry }) : null,
  );
}

/**
 * Fills `container` with a loading line, runs `load()`, then `show(result)`; on failure an
 * error box with a retry button. Returns what `load` gave (undefined on failure).
 */
export async function withLoading(container, load, show) {
  replace(container, loading());
  try {
    const result = await load();
    replace(container);
    show(result);
    return result;
  } catch (error) {
    if (error?.code === "UNAUTHENTICATED") return undefined;
    replace(container, errorBox(error, () => withLoading(container, load, show)));
    return undefined;
  }
}

/** A page heading with optional buttons beside it. */
export function pageHeader(title, ...actions) {
  return h("div", { class: "page-header" }, h("h1", { text: title }), h("div", { class: "actions" }, actions));
}

/** A status as a coloured badge (`status-succeeded`, ...). */
export function badge(text, kind = text) {
  return h("span", { class: `badge status-${String(kind).toLowerCase().replaceAll("_", "-")}`, text: String(text).replaceAll("_", " ") });
}

/** A table in a scrolling wrapper; `columns` are header labels, `rows` arrays of cells. */
export function table(caption, columns, rows, { className = "" } = {}) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: className },
      caption ? h("caption", { class: "visually-hidden", text: caption }) : null,
      h("thead", {}, h("tr", {}, columns.map((label) => h("th", { scope: "col", text: label })))),
      h("tbody", {}, rows.map((cells) => (cells instanceof Node ? cells : h("tr", {}, cells.map((cell) => h("td", {}, cell)))))),
    ),
  );
}

/** A definition list from `[term, value]` pairs; pairs whose value is null are left out. */
export function facts(pairs, className = "facts") {
  return h(
    "dl",
    { class: className },
    pairs.filter(([, value]) => value !== null && value !== undefined).map(([term, value]) => h("div", {}, h("dt", { text: term }), h("dd", {}, value))),
  );
}

/** The `<option>`s of a select from `{ id, text }` (or `{ id, label }`) entries; `selected` is an id. */
export function options(list, selected = null) {
  return list.map((o) => h("option", { value: o.id, text: o.text ?? o.label, selected: o.id === selected }));
}
