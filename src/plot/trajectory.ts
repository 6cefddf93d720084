/** An animated race of optimisation paths over a loss surface (play/pause, frame slider). */
import { classColor } from "./colors";
import { ChartOptions, Figure, Frame, Trace, baseLayout, finishChart } from "./figure";
import { GridData, GridOptions, Surface2D, toGrid } from "./grid";
import { contourLevels, isoLines } from "./isolines";

/** One optimiser's path: its name and the points it visited, [x, y] per step. */
export interface Trajectory {
  name: string;
  points: number[][];
}

/** Options of `trajectoryAnimation`. */
export interface TrajectoryOptions extends ChartOptions, GridOptions {
  /** Milliseconds per frame (default 80). */
  frameMs?: number;
  /** At most this many frames (default 100); long paths are sampled evenly. */
  maxFrames?: number;
  /** Colour the contour by log(1 + f - min f) (default true: steep surfaces stay readable). */
  logScale?: boolean;
  /** Mark the minimum, e.g. [1, 1] for Rosenbrock. */
  minimum?: [number, number];
  /** Number of contour lines (default 24). */
  contours?: number;
}

/** Grey-blue for a contour level: dark at the bottom of the surface, pale at the top. */
function levelColor(t: number): string {
  const mix = (a: number, b: number): number => Math.round(a + (b - a) * t);
  return `rgb(${mix(35, 200)},${mix(70, 208)},${mix(125, 222)})`;
}

/**
 * Animates optimisation paths over the contour map of f (or of grid data):
 * `trajectoryAnimation(rosenbrock, [{ name: "adam", points }], { xRange: [-2, 2], yRange: [-1, 3] })`.
 * Press play, or drag the slider to step through the iterations.
 */
export function trajectoryAnimation(source: Surface2D | GridData, paths: Trajectory[], opts: TrajectoryOptions = {}): Figure {
  if (paths.length === 0) throw new Error("trajectoryAnimation: no paths");
  paths.forEach((p) => {
    if (p.points.length === 0) throw new Error(`trajectoryAnimation: path "${p.name}" has no points`);
    p.points.forEach((pt, i) => {
      if (pt.length !== 2) throw new Error(`trajectoryAnimation: point ${i} of "${p.name}" has ${pt.length} coordinates; 2 are needed`);
    });
  });
  let g = toGrid(source, { steps: 80, ...opts });
  if (opts.logScale !== false) {
    let min = Infinity;
    for (const row of g.z) for (const v of row) if (Number.isFinite(v) && v < min) min = v;
    g = { ...g, z: g.z.map((row) => row.map((v) => Math.log1p(v - min))) };
  }
  const longest = Math.max(...paths.map((p) => p.points.length));
  const maxFrames = Math.max(2, opts.maxFrames ?? 100);
  const stride = Math.max(1, Math.ceil((longest - 1) / (maxFrames - 1)));
  const steps: number[] = [];
  for (let s = 0; s < longest - 1; s += stride) steps.push(s);
  steps.push(longest - 1);

  // Each path is drawn faintly in full (static), and a big marker runs along it: frames
  // then carry only one point per path, which keeps a saved notebook small.
  const headAt = (p: Trajectory, s: number): number[] => p.points[Math.min(s, p.points.length - 1)];
  const pathTrace = (p: Trajectory, k: number): Trace => ({
    type: "scatter",
    mode: "lines+markers",
    name: p.name,
    legendgroup: p.name,
    x: p.points.map((q) => q[0]),
    y: p.points.map((q) => q[1]),
    opacity: 0.45,
    line: { color: classColor(k), width: 1.5 },
    marker: { color: classColor(k), size: 3 },
  });
  const headTrace = (p: Trajectory, k: number, s: number): Trace => {
    const [x, y] = headAt(p, s);
    return { type: "scatter", mode: "markers", name: p.name, legendgroup: p.name, showlegend: false, x: [x], y: [y], marker: { color: classColor(k), size: 12, line: { color: "white", width: 1.5 } } };
  };
  // The surface as contour lines in scatter traces: plotly's animation (frames that move only the
  // markers, without a full redraw) would erase a contour trace while it plays.
  const levels = contourLevels(g, Math.max(2, opts.contours ?? 24));
  const contourLines: Trace[] = isoLines(g, levels, 1 / 600).map((line, k) => ({
    type: "scatter",
    mode: "lines",
    name: "contours",
    legendgroup: "contours",
    showlegend: false,
    x: line.x,
    y: line.y,
    line: { color: levelColor(levels.length > 1 ? k / (levels.length - 1) : 0), width: 1 },
    hoverinfo: "skip",
  }));
  const extra: Trace[] = opts.minimum
    ? [{ type: "scatter", mode: "markers", name: "minimum", x: [opts.minimum[0]], y: [opts.minimum[1]], marker: { symbol: "star", size: 14, color: "gold", line: { color: "black", width: 1 } } }]
    : [];
  const headIndices = paths.map((_, k) => contourLines.length + 1 + 2 * k);
  // A frame only moves the markers: plotly merges x and y into the head traces and keeps their style.
  const frames: Frame[] = steps.map((s) => ({
    name: String(s),
    data: paths.map((p) => {
      const [x, y] = headAt(p, s);
      return { x: [x], y: [y] };
    }),
    traces: headIndices,
  }));
  const frameMs = opts.frameMs ?? 80;
  const animate = (names: string[] | null, duration: number): unknown[] => [
    names,
    { frame: { duration, redraw: false }, transition: { duration: 0 }, mode: "immediate", fromcurrent: true },
  ];
  const xr = opts.xRange ?? [g.x[0], g.x[g.x.length - 1]];
  const yr = opts.yRange ?? [g.y[0], g.y[g.y.length - 1]];
  const layout = baseLayout(opts, {
    // Left-aligned title: centred, a long one runs under plotly's toolbar.
    title: opts.title ? { text: opts.title, x: 0, xref: "paper", xanchor: "left" } : undefined,
    height: opts.height ?? 520,
    xaxis: { range: xr, title: { text: "x" } },
    yaxis: { range: yr, title: { text: "y" } },
    margin: { l: 55, r: 20, t: opts.title ? 50 : 20, b: 110 },
    updatemenus: [
      {
        type: "buttons",
        direction: "left",
        x: 0,
        y: -0.14,
        xanchor: "left",
        yanchor: "top",
        showactive: false,
        buttons: [
          { label: "▶ play", method: "animate", args: animate(null, frameMs) },
          { label: "❚❚ pause", method: "animate", args: animate([null as unknown as string], 0) },
        ],
      },
    ],
    sliders: [
      {
        // Right of the two buttons, so that its "step" label is never under them.
        x: 0.34,
        len: 0.66,
        y: -0.1,
        yanchor: "top",
        currentvalue: { prefix: "step " },
        steps: steps.map((s) => ({ label: String(s), method: "animate", args: animate([String(s)], 0) })),
      },
    ],
  });
  const start = steps[0];
  return finishChart({ data: [...contourLines, ...paths.flatMap((p, k) => [pathTrace(p, k), headTrace(p, k, start)]), ...extra], layout, frames }, opts);
}
