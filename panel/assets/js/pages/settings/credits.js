// Settings, credits (EDITOR and up): the workspace's credit balance and the latest changes of
// its ledger.

import { gql } from "../../api.js";
import { h, replace, table, withLoading } from "../../dom.js";
import { count, time } from "../../format.js";

const CREDITS = `query Credits($first: Int!) {
  viewer { workspace { credits } }
  creditLedger(first: $first) { id amount reason jobId balanceAfter createdAt }
}`;

const LEDGER_SIZE = 100;

/** What the ledger calls each reason of a change. */
const REASONS = {
  GRANT: "Credits granted",
  JOB_FEE: "Training job fee",
  BLOCK_CREDITS: "Blocks trained",
  REFUND: "Refund",
  CHAT_REQUEST: "Chat request",
};

/** The section: `{ id, title, heading, lead, content, load }` for the settings page. */
export function creditsSection() {
  const body = h("div");
  const show = ({ viewer, creditLedger: entries }) => {
    const credits = viewer.workspace.credits;
    replace(
      body,
      h("p", { class: "balance" }, h("span", { class: "balance-amount", text: count(credits) }), ` ${credits === 1 ? "credit" : "credits"}`),
      h("p", { class: "hint" }, "Training jobs spend them: a fee per job and one credit per block trained. Operators add credits with ", h("code", { text: "tuner credits grant" }), "."),
      h("h3", { text: "Ledger" }),
      entries.length
        ? table(
            "Credit ledger, newest first",
            ["Time", "Amount", "Reason", "Job", "Balance after"],
            entries.map((e) =>
              h(
                "tr",
                { "data-entry": e.id },
                h("td", {}, time(e.createdAt)),
                h("td", { class: `num ${e.amount < 0 ? "amount-minus" : "amount-plus"}`, text: e.amount < 0 ? `−${count(-e.amount)}` : `+${count(e.amount)}` }),
                h("td", { text: REASONS[e.reason] ?? e.reason }),
                h("td", {}, e.jobId ? h("a", { href: `#/jobs/${encodeURIComponent(e.jobId)}`, text: "View job" }) : "—"),
                h("td", { class: "num", text: count(e.balanceAfter) }),
              ),
            ),
            { className: "ledger" },
          )
        : h("p", { class: "empty", text: "No credit changes yet." }),
      entries.length >= LEDGER_SIZE ? h("p", { class: "hint", text: `The latest ${LEDGER_SIZE} changes are shown.` }) : null,
    );
  };
  const load = () => withLoading(body, () => gql(CREDITS, { first: LEDGER_SIZE }), show);
  return { id: "credits", title: "Credits", heading: "Credits", lead: null, content: [body], load };
}
