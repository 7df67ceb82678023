// Times in the browser's own zone and numbers in its locale.

import { h } from "./dom.js";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const number = new Intl.NumberFormat();

/** A `<time>` element for an RFC 3339 instant, shown in the browser's zone; "—" when absent. */
export function time(iso, { withTime = true } = {}) {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return h("time", { dateTime: iso, title: date.toString(), text: (withTime ? dateTime : dateOnly).format(date) });
}

/** A number with the locale's grouping; "—" when absent. */
export function count(value) {
  return value === null || value === undefined ? "—" : number.format(value);
}

/** US dollars with cents, such as `$1.25`; "—" when absent. */
export function dollars(value) {
  if (value === null || value === undefined) return "—";
  return new Intl.NumberFormat(undefined, { style: "currency", currency: "USD" }).format(value);
}

const timeWithSeconds = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });

/**
 * A `<time>` element for an RFC 3339 instant as a time of day with seconds in the browser's
 * zone (for logs of one job, where seconds tell events apart); the full date in its title.
 */
export function clockTime(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return h("time", { dateTime: iso, title: dateTime.format(date), text: timeWithSeconds.format(date) });
}
