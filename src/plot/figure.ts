/**
 * A plotly figure, how it is serialised into a Jupyter output, and `show`.
 *
 * Every chart is ONE output with three MIME types:
 * - `application/vnd.plotly.v1+json`: the figure itself; JupyterLab (with
 *   plotly's renderer) and VS Code draw it natively.
 * - `text/html`: a `<div class="nnkit-plot">` plus a small script that draws
 *   the figure with plotly.js found locally (see loader.ts); classic Notebook
 *   and exported HTML use this. plotly.js itself is never embedded in a chart,
 *   so a saved notebook stays small.
 * - `text/plain`: a one-line description for consoles and the grader.
 */
import { displayBundle, MimeBundle } from "../display";
import { figureExpression, loaderScript } from "./loader";

/** One plotly trace (scatter, contour, heatmap, surface, ...): plotly's attribute object. */
export type Trace = Record<string, unknown>;

/** One animation frame: the traces to change and their new attributes. */
export interface Frame {
  name: string;
  data: Trace[];
  traces?: number[];
  layout?: Record<string, unknown>;
}

/** A plotly figure, as plotly.js and Jupyter's plotly MIME type expect it. */
export interface Figure {
  data: Trace[];
  layout: Record<string, unknown>;
  frames?: Frame[];
  config?: Record<string, unknown>;
}

/** Options every chart accepts. */
export interface ChartOptions {
  /** Title above the chart. */
  title?: string;
  /** Width in pixels (default: the output's width). */
  width?: number;
  /** Height in pixels (default 420). */
  height?: number;
  /** Show the chart (default true); false only builds and returns the figure. */
  display?: boolean;
}

let chartCounter = 0;

/** Significant digits kept for non-integers: plenty for the eye, and keeps saved notebooks small. */
const DIGITS = 4;

/** Converts typed arrays to arrays, rounds floats and turns NaN/Infinity into null (a gap in plotly). */
function plainify(value: unknown): unknown {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return null;
    return Number.isInteger(value) ? value : Number(value.toPrecision(DIGITS));
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number>, (v) => plainify(v));
  }
  if (Array.isArray(value)) return value.map(plainify);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = plainify(v);
    return out;
  }
  return value;
}

/** The figure as compact JSON (typed arrays as lists, floats rounded to 4 significant digits). */
export function figureJson(fig: Figure): string {
  return JSON.stringify(plainify(fig));
}

/** A one-line description of a figure for text-only front ends. */
export function describeFigure(fig: Figure): string {
  const title = titleText(fig.layout.title);
  const kinds = [...new Set(fig.data.map((t) => String(t.type ?? "scatter")))].join(", ");
  const frames = fig.frames?.length ? `, ${fig.frames.length} frames` : "";
  return `<nnkit chart${title ? ` "${title}"` : ""}: ${fig.data.length} trace(s) (${kinds})${frames}>`;
}

function titleText(title: unknown): string {
  if (typeof title === "string") return title;
  if (title && typeof title === "object" && typeof (title as { text?: unknown }).text === "string") return (title as { text: string }).text;
  return "";
}

/** The MIME bundle of a figure (what `show` sends to Jupyter). */
export function figureBundle(fig: Figure): MimeBundle {
  const json = figureJson(fig);
  const id = `nnkit-plot-${process.pid}-${Date.now().toString(36)}-${++chartCounter}`;
  const height = typeof fig.layout.height === "number" ? fig.layout.height : 420;
  const html =
    `<div class="nnkit-plot" id="${id}" style="width:100%;min-height:${height}px">` +
    `<span class="nnkit-plot-pending" style="color:#888;font:12px sans-serif">nnkit chart: if it does not appear, run the cell again (classic Notebook: File, Trust Notebook)</span></div>\n` +
    `<script type="text/javascript">${loaderScript(id, figureExpression(json))}</script>`;
  return {
    "application/vnd.plotly.v1+json": json,
    "text/html": html,
    "text/plain": describeFigure(fig),
  };
}

const INSPECT = Symbol.for("nodejs.util.inspect.custom");

/**
 * Makes a figure print as its one-line description: tslab prints the value of a
 * cell's last expression, and a chart call is usually that, so without this a
 * screenful of plotly attributes would follow every chart.
 */
function quietInspect(fig: Figure): Figure {
  if (!Object.prototype.hasOwnProperty.call(fig, INSPECT)) {
    Object.defineProperty(fig, INSPECT, { value: () => describeFigure(fig), enumerable: false, configurable: true });
  }
  return fig;
}


/** Shows any plotly figure inline in the notebook and returns it. */
export function show(fig: Figure): Figure {
  if (!fig || !Array.isArray(fig.data) || typeof fig.layout !== "object" || fig.layout === null) {
    throw new Error("show: expected a plotly figure { data: Trace[], layout: {...} }");
  }
  displayBundle(figureBundle(fig));
  return quietInspect(fig);
}

/** The common layout of nnkit charts, from the shared options. */
export function baseLayout(opts: ChartOptions, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: opts.title ? { text: opts.title } : undefined,
    width: opts.width,
    height: opts.height ?? 420,
    margin: { l: 55, r: 20, t: opts.title ? 50 : 20, b: 45 },
    ...extra,
  };
}

/** Shows the figure unless `display: false`, and returns it. */
export function finishChart(fig: Figure, opts: ChartOptions): Figure {
  if (opts.display !== false) show(fig);
  return quietInspect(fig);
}
