// Settings: provider credentials and API tokens (ADMIN), the credit balance and its ledger, and
// training blocks in and out as OpenAI chat JSONL (EDITOR and up). Each section loads on its
// own, so one that fails shows its error and a retry button while the others work. This module
// is the page (which sections a role sees, their cards and the links to them); the sections are
// in settings/.

import { h, pageHeader, replace } from "../dom.js";
import { credentialsSection } from "./settings/credentials.js";
import { creditsSection } from "./settings/credits.js";
import { tokensSection } from "./settings/tokens.js";
import { exportSection, importSection } from "./settings/transfer.js";

export async function render(root, ctx) {
  const chosen = [];
  if (ctx.can("ADMIN")) chosen.push(credentialsSection(), tokensSection());
  if (ctx.can("EDITOR")) chosen.push(creditsSection(), importSection(), exportSection());
  const sections = chosen.map((s) => ({ ...s, element: card(s) }));

  replace(
    root,
    pageHeader("Settings"),
    sections.length
      ? h("p", { class: "lead", text: "Provider credentials, API tokens, credits, and training messages in and out as JSONL files." })
      : h(
          "p",
          { class: "notice" },
          `You are signed in with a ${ctx.role} token. Settings need an EDITOR token (credits, import and export) or an ADMIN token (provider credentials and API tokens).`,
        ),
    sections.length > 1 ? contents(sections) : null,
    sections.map((s) => s.element),
  );
  await Promise.all(sections.map((s) => s.load()));
  return () => sections.forEach((s) => s.stop?.());
}

/** "On this page": buttons that bring a section into view (the hash holds the route). */
function contents(sections) {
  return h(
    "nav",
    { class: "page-contents", "aria-label": "Settings sections" },
    sections.map((s) =>
      h("button", {
        type: "button",
        class: "link",
        text: s.title,
        onclick: () => {
          const heading = s.element.querySelector("h2");
          s.element.scrollIntoView({ block: "start" });
          heading.focus();
        },
      }),
    ),
  );
}

/** A section's card: its heading (focusable from the contents), lead line and content. */
function card({ id, heading, lead, content }) {
  return h(
    "section",
    { class: "card settings-section", id, "aria-labelledby": `${id}-heading` },
    h("h2", { id: `${id}-heading`, text: heading, tabIndex: -1 }),
    lead ? h("p", { class: "hint", text: lead }) : null,
    content,
  );
}
