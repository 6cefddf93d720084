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

/**
 * Numeric arrays with at least this many values are stored as base64 typed arrays (plotly's
 * `{ dtype, bdata, shape }`, read by plotly.js 2.28 and later). Jupyter writes a notebook as JSON
 * indented one space per level, one array element per line: a 300x300 decision-boundary grid as
 * plain lists weighed about a megabyte on disk, and as bytes it is under 100 kB.
 */
export const PACK_AT_LEAST = 256;

/** A plotly typed array: base64 bytes of `dtype`, and "rows,cols" for a matrix. */
export interface PackedArray {
  dtype: "i1" | "u1" | "i2" | "i4" | "f4";
  bdata: string;
  shape?: string;
}

/** The smallest dtype that holds every value exactly (floats, and gaps as NaN: float32, plenty for a picture). */
function dtypeFor(values: ArrayLike<number | null>): PackedArray["dtype"] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || !Number.isInteger(v)) return "f4";
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo >= -128 && hi <= 127) return "i1";
  if (lo >= 0 && hi <= 255) return "u1";
  if (lo >= -32768 && hi <= 32767) return "i2";
  if (lo >= -2147483648 && hi <= 2147483647) return "i4";
  return "f4";
}

const TYPED = { i1: Int8Array, u1: Uint8Array, i2: Int16Array, i4: Int32Array, f4: Float32Array } as const;

/** Packs numbers (flattened row by row when `shape` is given) into a plotly typed array; a null becomes NaN, which plotly draws as a gap. */
function pack(values: ArrayLike<number | null>, shape?: [number, number]): PackedArray {
  const dtype = dtypeFor(values);
  const typed = TYPED[dtype].from(Array.from(values, (v) => (v === null ? NaN : v)));
  const bdata = Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength).toString("base64");
  return shape ? { dtype, bdata, shape: `${shape[0]},${shape[1]}` } : { dtype, bdata };
}

/** Numbers and gaps only (a gap is null, NaN or an infinity), with at least one number. */
const finiteNumbers = (a: ArrayLike<unknown>): boolean => {
  let numbers = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (typeof v === "number") numbers++;
    else if (v !== null) return false;
  }
  return numbers > 0;
};

/** Gaps (NaN, infinities) as null, numbers as they are. */
const gapsAsNull = (v: number | null): number | null => (v === null || !Number.isFinite(v) ? null : v);

/** Packs a long list of finite numbers, or a rectangular matrix of them; anything else is left alone (undefined). */
function packIfLarge(value: unknown): PackedArray | undefined {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const a = value as unknown as ArrayLike<number>;
    return a.length >= PACK_AT_LEAST ? pack(Array.from(a, gapsAsNull)) : undefined;
  }
  if (!Array.isArray(value) || value.length === 0) return undefined;
  if (!value.some((v) => Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView)))) {
    return value.length >= PACK_AT_LEAST && finiteNumbers(value) ? pack((value as (number | null)[]).map(gapsAsNull)) : undefined;
  }
  const rows = value as unknown[];
  const first = rows[0];
  const width = Array.isArray(first) || (ArrayBuffer.isView(first) && !(first instanceof DataView)) ? (first as ArrayLike<unknown>).length : -1;
  if (width <= 0 || rows.length * width < PACK_AT_LEAST) return undefined;
  let numbers = 0;
  for (const r of rows) {
    if (!(Array.isArray(r) || (ArrayBuffer.isView(r) && !(r instanceof DataView))) || (r as ArrayLike<unknown>).length !== width) return undefined;
    for (const v of Array.from(r as ArrayLike<unknown>)) {
      if (typeof v === "number") numbers++;
      else if (v !== null) return undefined;
    }
  }
  if (numbers === 0) return undefined;
  const flat: (number | null)[] = [];
  for (const r of rows) for (const v of Array.from(r as ArrayLike<number | null>)) flat.push(gapsAsNull(v));
  return pack(flat, [rows.length, width]);
}

/**
 * Converts typed arrays to arrays, rounds floats, turns NaN/Infinity into null (a gap in plotly)
 * and packs long numeric arrays (see PACK_AT_LEAST).
 */
function plainify(value: unknown): unknown {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return null;
    return Number.isInteger(value) ? value : Number(value.toPrecision(DIGITS));
  }
  const packed = packIfLarge(value);
  if (packed) return packed;
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

/** The figure as compact JSON (typed arrays as lists, floats rounded to 4 significant digits, long numeric arrays packed). */
export function figureJson(fig: Figure): string {
  return JSON.stringify(plainify(fig));
}

/** Whether a value is a plotly typed array (`{ dtype, bdata }`). */
function isPacked(value: unknown): value is PackedArray {
  return value !== null && typeof value === "object" && typeof (value as PackedArray).bdata === "string" && typeof (value as PackedArray).dtype === "string";
}

/**
 * The inverse of the packing in `figureJson`: every `{ dtype, bdata, shape }` back to plain lists
 * (a matrix to rows). For reading a saved chart's data, e.g. in tests.
 */
export function unpackFigure<T = Figure>(value: unknown): T {
  const walk = (v: unknown): unknown => {
    if (isPacked(v)) {
      const bytes = Buffer.from(v.bdata, "base64");
      const Typed = TYPED[v.dtype];
      const copy = new Uint8Array(bytes).buffer;
      const flat = Array.from(new Typed(copy), (x) => (Number.isNaN(x) ? null : x));
      if (!v.shape) return flat;
      const [, cols] = v.shape.split(",").map(Number);
      return Array.from({ length: flat.length / cols }, (_, r) => flat.slice(r * cols, (r + 1) * cols));
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
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
