// The loss chart of a training job: training and validation loss by step as a small SVG line
// chart that grows as figures arrive. Not a page: job.js places it. Screen readers get its
// summary as the image's name and every point in a visually hidden table.

import { h, replace } from "../dom.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 640;
const HEIGHT = 260;
const PAD = { top: 14, right: 18, bottom: 40, left: 56 };
const SERIES = [
  { key: "trainLoss", className: "train", label: "Training loss" },
  { key: "validLoss", className: "valid", label: "Validation loss" },
];

const lossFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 4 });

/** An SVG element with presentation attributes (SVG attributes, not `style`). */
function svg(tag, attrs = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined) continue;
    if (key === "text") element.textContent = value;
    else element.setAttribute(key, String(value));
  }
  for (const child of children) if (child) element.append(child);
  return element;
}

/** About `wanted` round tick values from `min` to `max` (1, 2 or 5 times a power of ten apart). */
function ticks(min, max, wanted) {
  if (!(max > min)) return [min];
  const raw = (max - min) / wanted;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const values = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) values.push(Number(v.toPrecision(12)));
  return values;
}

/** "1.2345", or "—" when the provider did not report the figure. */
export function formatLoss(value) {
  return value === null || value === undefined ? "—" : lossFormat.format(value);
}

/**
 * A loss chart. `add(points)` takes `TrainingMetrics` (`step`, `totalSteps`, `trainLoss`,
 * `validLoss`); a step seen again replaces its figures, so a whole state sent again after a
 * reconnection draws nothing twice. Returns `{ element, add, size }`.
 */
export function createLossChart({ title = "Loss by step" } = {}) {
  const byStep = new Map();
  let totalSteps = 0;

  const plot = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "chart-svg", role: "img", focusable: "false" });
  const tableBody = h("tbody");
  const table = h(
    "table",
    { class: "visually-hidden" },
    h("caption", { text: `${title}: every point` }),
    h("thead", {}, h("tr", {}, h("th", { scope: "col", text: "Step" }), SERIES.map((s) => h("th", { scope: "col", text: s.label })))),
    tableBody,
  );
  const empty = h("p", { class: "empty chart-empty", text: "No loss figures yet: they appear once training runs." });
  const legend = h(
    "ul",
    { class: "chart-legend", "aria-hidden": "true" },
    SERIES.map((s) => h("li", {}, h("span", { class: `swatch ${s.className}` }), s.label)),
  );
  const element = h("figure", { class: "loss-chart" }, h("figcaption", { text: title }), plot, legend, empty, table);

  const points = () => [...byStep.values()].sort((a, b) => a.step - b.step);

  const summary = (list) => {
    const drawn = list.reduce((n, p) => n + SERIES.filter((s) => typeof p[s.key] === "number").length, 0);
    if (!drawn) return `${title}: no points yet.`;
    const lastTrain = [...list].reverse().find((p) => typeof p.trainLoss === "number");
    const lastValid = [...list].reverse().find((p) => typeof p.validLoss === "number");
    const parts = [`${title}: ${drawn} ${drawn === 1 ? "point" : "points"}`];
    if (lastTrain) parts.push(`last training loss ${formatLoss(lastTrain.trainLoss)} at step ${lastTrain.step}`);
    if (lastValid) parts.push(`last validation loss ${formatLoss(lastValid.validLoss)} at step ${lastValid.step}`);
    return `${parts.join(", ")}.`;
  };

  const draw = () => {
    const list = points();
    const label = summary(list);
    plot.setAttribute("aria-label", label);
    plot.replaceChildren(svg("title", { text: label }));
    replace(
      tableBody,
      list.map((p) => h("tr", {}, h("td", { text: String(p.step) }), SERIES.map((s) => h("td", { text: formatLoss(p[s.key]) })))),
    );
    const values = list.flatMap((p) => SERIES.map((s) => p[s.key]).filter((v) => typeof v === "number"));
    empty.hidden = values.length > 0;

    const lastStep = Math.max(totalSteps, ...list.map((p) => p.step), 1);
    const firstStep = Math.min(...list.map((p) => p.step), 0);
    const top = values.length ? Math.max(...values) : 1;
    const yMax = top > 0 ? top * 1.1 : 1;
    const x = (step) => PAD.left + ((step - firstStep) / (lastStep - firstStep || 1)) * (WIDTH - PAD.left - PAD.right);
    const y = (loss) => HEIGHT - PAD.bottom - (loss / yMax) * (HEIGHT - PAD.top - PAD.bottom);

    const axes = svg("g", { class: "axes", "aria-hidden": "true" });
    for (const value of ticks(0, yMax, 4)) {
      axes.append(
        svg("line", { class: "gridline", x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value) }),
        svg("text", { class: "tick", x: PAD.left - 6, y: y(value), "text-anchor": "end", "dominant-baseline": "middle", text: lossFormat.format(value) }),
      );
    }
    const stepTicks = ticks(firstStep, lastStep, Math.min(8, lastStep - firstStep || 1)).filter((s) => Number.isInteger(s));
    for (const step of stepTicks) {
      axes.append(
        svg("line", { class: "tick-mark", x1: x(step), x2: x(step), y1: HEIGHT - PAD.bottom, y2: HEIGHT - PAD.bottom + 4 }),
        svg("text", { class: "tick", x: x(step), y: HEIGHT - PAD.bottom + 16, "text-anchor": "middle", text: String(step) }),
      );
    }
    axes.append(
      svg("line", { class: "axis", x1: PAD.left, x2: WIDTH - PAD.right, y1: HEIGHT - PAD.bottom, y2: HEIGHT - PAD.bottom }),
      svg("line", { class: "axis", x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: HEIGHT - PAD.bottom }),
      svg("text", { class: "axis-label", x: (PAD.left + WIDTH - PAD.right) / 2, y: HEIGHT - 6, "text-anchor": "middle", text: "Step" }),
      svg("text", { class: "axis-label", x: 14, y: (PAD.top + HEIGHT - PAD.bottom) / 2, "text-anchor": "middle", transform: `rotate(-90 14 ${(PAD.top + HEIGHT - PAD.bottom) / 2})`, text: "Loss" }),
    );
    plot.append(axes);

    for (const series of SERIES) {
      const seriesPoints = list.filter((p) => typeof p[series.key] === "number");
      if (!seriesPoints.length) continue;
      const group = svg("g", { class: `series ${series.className}` });
      if (seriesPoints.length > 1) {
        const d = seriesPoints.map((p, i) => `${i ? "L" : "M"}${x(p.step).toFixed(1)},${y(p[series.key]).toFixed(1)}`).join(" ");
        group.append(svg("path", { class: `line ${series.className}`, d, fill: "none" }));
      }
      for (const p of seriesPoints) {
        group.append(
          svg(
            "circle",
            { class: `point ${series.className}`, cx: x(p.step).toFixed(1), cy: y(p[series.key]).toFixed(1), r: 3.5, "data-step": p.step },
            svg("title", { text: `${series.label} at step ${p.step}: ${formatLoss(p[series.key])}` }),
          ),
        );
      }
      plot.append(group);
    }
  };

  const add = (metrics = []) => {
    for (const m of metrics) {
      if (!m || typeof m.step !== "number") continue;
      if (typeof m.totalSteps === "number") totalSteps = Math.max(totalSteps, m.totalSteps);
      const known = byStep.get(m.step) ?? { step: m.step, trainLoss: null, validLoss: null };
      for (const s of SERIES) if (typeof m[s.key] === "number") known[s.key] = m[s.key];
      byStep.set(m.step, known);
    }
    draw();
  };

  draw();
  return { element, add, size: () => byStep.size };
}
