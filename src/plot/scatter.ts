/** Scatter plots of labelled 2-D points. */
import type { Dataset } from "../datasets";
import { classColor } from "./colors";
import { ChartOptions, Figure, Trace, baseLayout, finishChart } from "./figure";

/** Options of `scatterByClass`. */
export interface ScatterOptions extends ChartOptions {
  /** Legend name of each class (default "class 0", "class 1", ...). */
  classNames?: string[];
  /** Points to mark with a black cross, e.g. the misclassified ones: a mask or a list of indices. */
  highlight?: ArrayLike<boolean> | number[];
  /** Legend name of the highlighted points (default "misclassified"). */
  highlightName?: string;
  xLabel?: string;
  yLabel?: string;
}

/** Indices of the highlighted points, from a boolean mask or an index list. */
export function highlightIndices(highlight: ArrayLike<boolean> | number[] | undefined, n: number): number[] {
  if (!highlight) return [];
  const first = highlight.length > 0 ? highlight[0] : undefined;
  if (typeof first === "boolean") {
    if (highlight.length !== n) throw new Error(`highlight mask has ${highlight.length} entries for ${n} points`);
    const out: number[] = [];
    for (let i = 0; i < n; i++) if (highlight[i]) out.push(i);
    return out;
  }
  const idx = Array.from(highlight as ArrayLike<number>);
  for (const i of idx) if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`highlight index ${i} is not a point index (0..${n - 1})`);
  return idx;
}

/** The scatter traces (one per class, plus highlighted points) that scatterByClass and decisionBoundary share. */
export function classTraces(x: number[][], y: ArrayLike<number>, opts: ScatterOptions): Trace[] {
  if (x.length !== y.length) throw new Error(`scatterByClass: ${x.length} points but ${y.length} labels`);
  x.forEach((p, i) => {
    if (p.length < 2) throw new Error(`scatterByClass: point ${i} has ${p.length} coordinate(s); 2 are needed`);
  });
  const classes = [...new Set(Array.from(y))].sort((a, b) => a - b);
  const traces: Trace[] = classes.map((c) => {
    const idx = x.map((_, i) => i).filter((i) => y[i] === c);
    return {
      type: "scatter",
      mode: "markers",
      name: opts.classNames?.[c] ?? `class ${c}`,
      x: idx.map((i) => x[i][0]),
      y: idx.map((i) => x[i][1]),
      marker: { color: classColor(c), size: 7, line: { color: "white", width: 0.5 } },
    };
  });
  const marked = highlightIndices(opts.highlight, x.length);
  if (marked.length > 0) {
    traces.push({
      type: "scatter",
      mode: "markers",
      name: `${opts.highlightName ?? "misclassified"} (${marked.length})`,
      x: marked.map((i) => x[i][0]),
      y: marked.map((i) => x[i][1]),
      marker: { symbol: "x-thin", size: 11, color: "black", line: { color: "black", width: 2 } },
    });
  }
  return traces;
}

/**
 * Unpacks the two ways a labelled-points chart is called: `(dataset, options?)` or
 * `(points, labels, options?)`. `chart` names the caller in the error messages.
 */
export function pointsAndLabels<O extends object>(
  chart: string,
  data: Dataset | number[][],
  labels: ArrayLike<number> | O | undefined,
  options: O | undefined,
): { x: number[][]; y: ArrayLike<number>; opts: O; name?: string } {
  if (Array.isArray(data)) {
    if (!labels || !("length" in labels)) throw new Error(`${chart}: give the labels after the points`);
    return { x: data, y: labels as ArrayLike<number>, opts: options ?? ({} as O) };
  }
  return { x: data.x, y: data.y, opts: (labels as O | undefined) ?? ({} as O), name: data.name };
}

/**
 * Plots 2-D points coloured by their label. Pass a Dataset, or points and labels:
 * `scatterByClass(ds)` or `scatterByClass(x, y, { highlight: wrongMask })`.
 */
export function scatterByClass(data: Dataset | number[][], labels?: ArrayLike<number> | ScatterOptions, options?: ScatterOptions): Figure {
  const unpacked = pointsAndLabels<ScatterOptions>("scatterByClass", data, labels, options);
  const { x, y } = unpacked;
  const opts = unpacked.opts.title || unpacked.name === undefined ? unpacked.opts : { ...unpacked.opts, title: unpacked.name };
  const layout = baseLayout(opts, {
    xaxis: { title: { text: opts.xLabel ?? "x1" } },
    yaxis: { title: { text: opts.yLabel ?? "x2" } },
  });
  return finishChart({ data: classTraces(x, y, opts), layout }, opts);
}
