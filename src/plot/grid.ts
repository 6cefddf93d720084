/** A function sampled on a regular 2-D grid, the input of contour, heatmap and surface charts. */
import { linspace } from "../arrays";

/** Values on a grid: z[j][i] is the value at (x[i], y[j]) (plotly's convention: rows follow y). */
export interface GridData {
  x: number[];
  y: number[];
  z: number[][];
}

/** A function of two variables, e.g. a loss surface f(w1, w2). */
export type Surface2D = (x: number, y: number) => number;

/** Where and how finely to sample a function. */
export interface GridOptions {
  /** x range [min, max] (default [-2, 2]). */
  xRange?: [number, number];
  /** y range [min, max] (default: the x range). */
  yRange?: [number, number];
  /** Samples per axis (default 80 for contours, 60 for surfaces). */
  steps?: number;
}

/** Samples `f` on a steps x steps grid over the ranges. */
export function sampleGrid(f: Surface2D, opts: GridOptions = {}): GridData {
  const xRange = opts.xRange ?? [-2, 2];
  const yRange = opts.yRange ?? xRange;
  const steps = opts.steps ?? 100;
  if (!Number.isInteger(steps) || steps < 2) throw new Error(`steps must be an integer >= 2, got ${steps}`);
  const x = linspace(xRange[0], xRange[1], steps);
  const y = linspace(yRange[0], yRange[1], steps);
  return { x, y, z: y.map((yv) => x.map((xv) => f(xv, yv))) };
}

/** A GridData as given, or sampled from a function; checks that the sizes agree. */
export function toGrid(source: Surface2D | GridData, opts: GridOptions = {}): GridData {
  if (typeof source === "function") return sampleGrid(source, opts);
  const { x, y, z } = source;
  if (!Array.isArray(z) || z.length !== y.length || z.some((row) => row.length !== x.length)) {
    throw new Error(`grid data: z must have ${y.length} rows (one per y) of ${x.length} values (one per x)`);
  }
  return source;
}
