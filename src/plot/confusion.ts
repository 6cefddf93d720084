/** The confusion matrix of a classifier as a labelled heatmap: more images, darker blue. */
import { ChartOptions, Figure, baseLayout, finishChart } from "./figure";

/**
 * ColorBrewer's sequential "Blues", written out from light to dark. Plotly's built-in
 * "Blues" runs the other way (dark for small values), which makes the diagonal of a good
 * classifier the palest part of the picture.
 */
export const COUNT_COLORSCALE: readonly [number, string][] = [
  [0, "#f7fbff"], [0.125, "#deebf7"], [0.25, "#c6dbef"], [0.375, "#9ecae1"], [0.5, "#6baed6"],
  [0.625, "#4292c6"], [0.75, "#2171b5"], [0.875, "#08519c"], [1, "#08306b"],
];

/** Options of `confusionMatrixChart`. */
export interface ConfusionOptions extends ChartOptions {
  /** Name of each class, in label order (default 0, 1, ...). */
  classNames?: readonly string[];
  /** Axis titles (default "predicted" and "true class"). */
  xLabel?: string;
  yLabel?: string;
}

/**
 * Draws a confusion matrix: row i is the true class, column j the predicted one, and each
 * cell shows its count; the darker the cell, the more images. The class names are written
 * in full on both axes (the margins grow to fit them).
 * `confusionMatrixChart(cm, { classNames: FASHION_CLASSES, title: "CNN" })`.
 */
export function confusionMatrixChart(cm: number[][], opts: ConfusionOptions = {}): Figure {
  const k = cm.length;
  if (k === 0 || cm.some((row) => row.length !== k)) throw new Error("confusionMatrixChart: the matrix must be square (k rows of k counts)");
  if (opts.classNames && opts.classNames.length !== k) {
    throw new Error(`confusionMatrixChart: ${opts.classNames.length} class names for a ${k}x${k} matrix`);
  }
  const names = opts.classNames ? [...opts.classNames] : Array.from({ length: k }, (_, i) => String(i));
  let max = 0;
  for (const row of cm) for (const v of row) if (v > max) max = v;
  // Square cells: the plot area is as tall as it is wide, plus room for the labels.
  const longest = Math.max(...names.map((n) => n.length));
  const side = Math.max(240, Math.min(560, k * 52));
  const labelRoom = Math.round(longest * 7.5) + 40;
  const layout = baseLayout(opts, {
    width: opts.width ?? side + labelRoom + 120,
    height: opts.height ?? side + labelRoom + (opts.title ? 60 : 20),
    xaxis: { title: { text: opts.xLabel ?? "predicted" }, type: "category", side: "bottom", tickangle: -40, automargin: true },
    yaxis: { title: { text: opts.yLabel ?? "true class" }, type: "category", autorange: "reversed", automargin: true },
    margin: { l: 20, r: 20, t: opts.title ? 50 : 20, b: 20 },
  });
  const trace = {
    type: "heatmap",
    z: cm,
    x: names,
    y: names,
    zmin: 0,
    zmax: Math.max(1, max),
    colorscale: COUNT_COLORSCALE.map(([t, c]) => [t, c]),
    colorbar: { title: { text: "images" } },
    xgap: 1,
    ygap: 1,
    texttemplate: "%{z}",
    hovertemplate: "true %{y}, predicted %{x}: %{z}<extra></extra>",
  };
  return finishChart({ data: [trace], layout }, opts);
}
