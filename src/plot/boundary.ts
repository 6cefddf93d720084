/** The decision boundary of a 2-D classifier, the course's favourite picture. */
import type * as tfTypes from "@tensorflow/tfjs";
import type { Dataset } from "../datasets";
import { lightClassColor } from "./colors";
import { ChartOptions, Figure, Trace, baseLayout, finishChart } from "./figure";
import { classTraces, pointsAndLabels } from "./scatter";

/**
 * Anything that classifies points: a tfjs model (its `predict`), or a function
 * from a list of [x1, x2] points to their class labels, per-class scores
 * (one row per point; the largest wins) or the probability of class 1.
 */
export type Classifier =
  | ((points: number[][]) => ArrayLike<number> | number[][])
  | { predict(x: tfTypes.Tensor, args?: unknown): tfTypes.Tensor | tfTypes.Tensor[] };

/** Options of `decisionBoundary`. */
export interface BoundaryOptions extends ChartOptions {
  /**
   * Grid spacing (default 0.02, as in the course, or coarser where the range would need more than
   * 200 points per side: a saved notebook stays small, and the picture looks the same).
   */
  step?: number;
  /** How far the grid extends beyond the data on each side (default 1). */
  margin?: number;
  /** Legend names of the classes. */
  classNames?: string[];
  /** Mark the points the classifier gets wrong with a cross (default true). */
  markMisclassified?: boolean;
}

/** The most points the grid may have; beyond it the step grows, so huge ranges stay drawable. */
const MAX_GRID_POINTS = 250_000;
/** With the default step, the most grid points per side. */
export const DEFAULT_GRID_SIDE = 200;

/** argmax of each row, or a threshold at 0.5 for a single probability, or the labels as given. */
function toLabels(out: ArrayLike<number> | number[][], n: number, name: string): Int32Array {
  if (out.length !== n) throw new Error(`${name}: the classifier returned ${out.length} results for ${n} points`);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = out[i];
    if (Array.isArray(v)) {
      let best = 0;
      for (let k = 1; k < v.length; k++) if (v[k] > v[best]) best = k;
      labels[i] = best;
    } else if (typeof v === "number") {
      labels[i] = Number.isInteger(v) ? v : v >= 0.5 ? 1 : 0;
    } else {
      throw new Error(`${name}: result ${i} is neither a number nor a row of scores`);
    }
  }
  return labels;
}

/** Class labels the classifier gives to the points. */
export function classify(model: Classifier, points: number[][]): Int32Array {
  if (typeof model === "function") return toLabels(model(points), points.length, "decisionBoundary");
  const tf = require("@tensorflow/tfjs") as typeof tfTypes;
  return tf.tidy(() => {
    const raw = model.predict(tf.tensor2d(points, [points.length, 2]));
    const out = Array.isArray(raw) ? raw[0] : raw;
    const labels = out.shape.length === 2 && out.shape[1]! > 1 ? out.argMax(1) : out.reshape([-1]).greaterEqual(0.5);
    return Int32Array.from(labels.dataSync());
  });
}

/**
 * Colours the plane by the class the model predicts at each point of a grid
 * (spacing 0.02 over the data's range +-1, at most 200 points per side unless you
 * pass `step`), as a filled contour, with the data
 * on top and the misclassified points crossed out. Works with a tfjs model or
 * a function: `decisionBoundary(model, ds)` or `decisionBoundary(predict, x, y)`.
 */
export function decisionBoundary(model: Classifier, data: Dataset | number[][], labels?: ArrayLike<number> | BoundaryOptions, options?: BoundaryOptions): Figure {
  const { x, y, opts } = pointsAndLabels<BoundaryOptions>("decisionBoundary", data, labels, options);
  if (x.length === 0) throw new Error("decisionBoundary: no data points");
  if (x.length !== y.length) throw new Error(`decisionBoundary: ${x.length} points but ${y.length} labels`);
  const margin = opts.margin ?? 1;
  let step = opts.step ?? 0.02;
  if (!(step > 0)) throw new Error(`decisionBoundary: step must be > 0, got ${step}`);
  const xs = x.map((p) => p[0]);
  const ys = x.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs) - margin, Math.max(...xs) + margin];
  const [y0, y1] = [Math.min(...ys) - margin, Math.max(...ys) + margin];
  if (opts.step === undefined) step = Math.max(step, (x1 - x0) / (DEFAULT_GRID_SIDE - 1), (y1 - y0) / (DEFAULT_GRID_SIDE - 1));
  while (((x1 - x0) / step + 1) * ((y1 - y0) / step + 1) > MAX_GRID_POINTS) step *= 2;
  const gx: number[] = [];
  const gy: number[] = [];
  for (let v = x0; v <= x1 + 1e-9; v += step) gx.push(v);
  for (let v = y0; v <= y1 + 1e-9; v += step) gy.push(v);
  const points: number[][] = [];
  for (const yv of gy) for (const xv of gx) points.push([xv, yv]);
  const grid = classify(model, points);
  const z: number[][] = gy.map((_, j) => Array.from(grid.subarray(j * gx.length, (j + 1) * gx.length)));

  // A loop, not Math.max(...grid): a spread of a 250,000-point grid overflows the call stack.
  let classes = 2;
  for (let i = 0; i < y.length; i++) classes = Math.max(classes, y[i] + 1);
  for (let i = 0; i < grid.length; i++) classes = Math.max(classes, grid[i] + 1);
  // A stepped colour scale: class k fills the band [k - 0.5, k + 0.5].
  const colorscale: [number, string][] = [];
  for (let k = 0; k < classes; k++) {
    colorscale.push([k / classes, lightClassColor(k)], [(k + 1) / classes, lightClassColor(k)]);
  }
  const contour: Trace = {
    type: "contour",
    name: "predicted class",
    x: gx,
    y: gy,
    z,
    zmin: -0.5,
    zmax: classes - 0.5,
    colorscale,
    showscale: false,
    contours: { coloring: "fill", start: 0.5, end: classes - 1.5, size: 1, showlines: true },
    line: { color: "rgba(60,60,60,0.6)", width: 1, smoothing: 0 },
    hoverinfo: "skip",
  };
  const wrong = opts.markMisclassified === false ? [] : Array.from(classify(model, x), (p, i) => p !== y[i]);
  const traces = classTraces(x, y, { ...opts, highlight: wrong.length ? wrong : undefined });
  const layout = baseLayout(opts, {
    xaxis: { range: [x0, x1], title: { text: "x1" } },
    yaxis: { range: [y0, y1], title: { text: "x2" } },
    legend: { bgcolor: "rgba(255,255,255,0.7)" },
  });
  return finishChart({ data: [contour, ...traces], layout }, opts);
}
