/** Contour maps, heatmaps and 3-D surfaces of functions of two variables (loss surfaces). */
import { ChartOptions, Figure, baseLayout, finishChart } from "./figure";
import { GridData, GridOptions, Surface2D, toGrid } from "./grid";

/** Options of `contourChart` and `surface3d`. */
export interface SurfaceOptions extends ChartOptions, GridOptions {
  xLabel?: string;
  yLabel?: string;
  /** Colour by log(1 + z - min z): shows the valleys of steep surfaces such as Rosenbrock. */
  logScale?: boolean;
  /** Plotly colour scale name (default "Viridis"). */
  colorscale?: string;
}

function maybeLog(g: GridData, log: boolean | undefined): GridData {
  if (!log) return g;
  let min = Infinity;
  for (const row of g.z) for (const v of row) if (Number.isFinite(v) && v < min) min = v;
  return { ...g, z: g.z.map((row) => row.map((v) => Math.log1p(v - min))) };
}

/**
 * Filled contour map of f(x, y) over a range, or of given grid data:
 * `contourChart((x, y) => x*x + 10*y*y, { xRange: [-2, 2] })`.
 */
export function contourChart(source: Surface2D | GridData, opts: SurfaceOptions = {}): Figure {
  const g = maybeLog(toGrid(source, { steps: 80, ...opts }), opts.logScale);
  const layout = baseLayout(opts, {
    xaxis: { title: { text: opts.xLabel ?? "x" } },
    yaxis: { title: { text: opts.yLabel ?? "y" } },
  });
  const trace = {
    type: "contour",
    x: g.x,
    y: g.y,
    z: g.z,
    colorscale: opts.colorscale ?? "Viridis",
    ncontours: 30,
    colorbar: { title: { text: opts.logScale ? "log(1+f-min)" : "f" } },
  };
  return finishChart({ data: [trace], layout }, opts);
}

/** Options of `heatmap`. */
export interface HeatmapOptions extends ChartOptions {
  /** Column labels (default 0, 1, ...). */
  x?: (number | string)[];
  /** Row labels (default 0, 1, ...). */
  y?: (number | string)[];
  xLabel?: string;
  yLabel?: string;
  /** Plotly colour scale name (default "Viridis"). */
  colorscale?: string;
  /** Reverse the colour scale (plotly's "Blues" is dark for low values; reversed, high counts are dark). */
  reverseScale?: boolean;
  /** Write each cell's value into it (good for confusion matrices). */
  showValues?: boolean;
  /** Draw row 0 at the top, like a matrix or an image (default true). */
  matrixOrder?: boolean;
}

/** A matrix as coloured cells, e.g. a confusion matrix or a weight matrix: `heatmap(z, { showValues: true })`. */
export function heatmap(z: number[][], opts: HeatmapOptions = {}): Figure {
  if (z.length === 0 || z.some((row) => row.length !== z[0].length)) throw new Error("heatmap: z must be a non-empty rectangular matrix (rows of equal length)");
  const layout = baseLayout(opts, {
    // automargin: long tick labels (class names) widen the margins instead of being cut off.
    xaxis: { title: { text: opts.xLabel ?? "" }, type: opts.x && typeof opts.x[0] === "string" ? "category" : undefined, automargin: true },
    yaxis: { title: { text: opts.yLabel ?? "" }, autorange: opts.matrixOrder === false ? true : "reversed", automargin: true },
  });
  const trace = {
    type: "heatmap",
    z,
    x: opts.x,
    y: opts.y,
    colorscale: opts.colorscale ?? "Viridis",
    reversescale: opts.reverseScale,
    texttemplate: opts.showValues ? "%{z}" : undefined,
  };
  return finishChart({ data: [trace], layout }, opts);
}

/** A 3-D surface of f(x, y) (or of grid data) that you can rotate with the mouse. */
export function surface3d(source: Surface2D | GridData, opts: SurfaceOptions = {}): Figure {
  const g = maybeLog(toGrid(source, { steps: 60, ...opts }), opts.logScale);
  const layout = baseLayout(opts, {
    height: opts.height ?? 500,
    scene: {
      xaxis: { title: { text: opts.xLabel ?? "x" } },
      yaxis: { title: { text: opts.yLabel ?? "y" } },
      zaxis: { title: { text: opts.logScale ? "log(1+f-min)" : "f" } },
    },
  });
  return finishChart({ data: [{ type: "surface", x: g.x, y: g.y, z: g.z, colorscale: opts.colorscale ?? "Viridis" }], layout }, opts);
}
