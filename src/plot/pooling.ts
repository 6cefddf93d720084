/** A picture of pooling: the input with its windows in colour, and the output they make. */
import { classColor, lightClassColor } from "./colors";
import { ChartOptions, Figure, Trace, baseLayout, finishChart } from "./figure";

/** Options of `poolingFigure`. */
export interface PoolingFigureOptions extends ChartOptions {
  /** Window size k (a k x k window; default 2). The stride is k: the windows tile the input. */
  size?: number;
  /** "max" (default) keeps each window's largest value, "avg" its mean. */
  mode?: "max" | "avg";
}

/** What the picture shows, before it is drawn: which window each input cell belongs to, and the output. */
export interface PoolingLayout {
  /** Window index (row-major over the output) of each input cell, or -1 where no whole window fits. */
  window: number[][];
  /** The pooled output (oh x ow). */
  output: number[][];
  /** For max pooling, the input cell [row, col] each output value came from (the first, on a tie). */
  winners: [number, number][];
}

/**
 * Pools `x` with non-overlapping k x k windows (stride k, no padding; a last partial window is
 * dropped, as Keras and PyTorch do) and says which window covers each cell.
 */
export function poolingLayout(x: number[][], size: number, mode: "max" | "avg"): PoolingLayout {
  const h = x.length;
  const w = h ? x[0].length : 0;
  if (h === 0 || w === 0 || x.some((r) => r.length !== w)) throw new Error("poolingFigure: the input must be a non-empty rectangular matrix");
  if (!Number.isInteger(size) || size < 1 || size > Math.min(h, w)) throw new Error(`poolingFigure: the window size must be an integer from 1 to ${Math.min(h, w)}, got ${size}`);
  const oh = Math.floor(h / size);
  const ow = Math.floor(w / size);
  const window = x.map((row, r) => row.map((_, c) => (r < oh * size && c < ow * size ? Math.floor(r / size) * ow + Math.floor(c / size) : -1)));
  const output: number[][] = [];
  const winners: [number, number][] = [];
  for (let i = 0; i < oh; i++) {
    const row: number[] = [];
    for (let j = 0; j < ow; j++) {
      let best: [number, number] = [i * size, j * size];
      let sum = 0;
      for (let a = 0; a < size; a++) {
        for (let b = 0; b < size; b++) {
          const [r, c] = [i * size + a, j * size + b];
          sum += x[r][c];
          if (x[r][c] > x[best[0]][best[1]]) best = [r, c];
        }
      }
      row.push(mode === "max" ? x[best[0]][best[1]] : sum / (size * size));
      winners.push(best);
    }
    output.push(row);
  }
  return { window, output, winners };
}

/** A number as a cell shows it: integers as they are, others with at most two decimals. */
function cellText(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(2)));
}

/**
 * Draws pooling on a small input: each k x k window of the input in its own colour, the
 * value it keeps (for max pooling, the winning cell in strong colour) and, on the right, the
 * output, each pixel in the colour of the window it came from.
 * `poolingFigure([[1, 3, 2, 4], [5, 6, 1, 2], [7, 2, 9, 0], [3, 4, 1, 8]], { size: 2 })`.
 */
export function poolingFigure(x: number[][], opts: PoolingFigureOptions = {}): Figure {
  const size = opts.size ?? 2;
  const mode = opts.mode ?? "max";
  const { window, output, winners } = poolingLayout(x, size, mode);
  const windows = output.length * output[0].length;
  // Colour codes: 2w = window w (pale), 2w + 1 = window w (strong), 2 * windows = outside every window (grey).
  const grey = 2 * windows;
  const colorscale: [number, string][] = [];
  for (let v = 0; v <= grey; v++) {
    const color = v === grey ? "#d9d9d9" : v % 2 ? classColor(Math.floor(v / 2)) : lightClassColor(Math.floor(v / 2), 0.6);
    colorscale.push([v / (grey + 1), color], [(v + 1) / (grey + 1), color]);
  }
  const strong = new Set(mode === "max" ? winners.map(([r, c]) => `${r},${c}`) : []);
  const inputCodes = window.map((row, r) => row.map((wi, c) => (wi < 0 ? grey : 2 * wi + (strong.has(`${r},${c}`) ? 1 : 0))));
  const outputCodes = output.map((row, i) => row.map((_, j) => 2 * (i * row.length + j) + 1));
  const cells = (codes: number[][], values: number[][], axis: string): Trace => ({
    type: "heatmap",
    z: codes,
    text: values.map((row) => row.map(cellText)),
    texttemplate: "%{text}",
    textfont: { size: 16 },
    colorscale,
    zmin: -0.5,
    zmax: grey + 0.5,
    showscale: false,
    xgap: 2,
    ygap: 2,
    hoverinfo: "skip",
    xaxis: `x${axis}`,
    yaxis: `y${axis}`,
  });
  // A thick frame around each window, in its colour.
  const ow = output[0].length;
  const shapes = winners.map((_, wi) => {
    const [i, j] = [Math.floor(wi / ow), wi % ow];
    return {
      type: "rect", xref: "x", yref: "y",
      x0: j * size - 0.5, x1: (j + 1) * size - 0.5, y0: i * size - 0.5, y1: (i + 1) * size - 0.5,
      line: { color: classColor(wi), width: 3 },
    };
  });
  const h = x.length;
  const w = x[0].length;
  const cell = 44;
  const what = mode === "max" ? "max" : "mean";
  const axis = (domain: [number, number], n: number) => ({ domain, range: [-0.5, n - 0.5], showticklabels: false, showgrid: false, zeroline: false, ticks: "" });
  const layout = baseLayout(opts, {
    width: opts.width ?? Math.round((w + output[0].length) * cell + 3 * cell + 40),
    height: opts.height ?? Math.round(h * cell + (opts.title ? 90 : 60)),
    // The input's axis runs two cells past it: the gap holds the arrow.
    xaxis: { ...axis([0, (w + 2) / (w + ow + 2)], w), range: [-0.5, w + 1.5] },
    yaxis: { ...axis([0, 1], h), autorange: "reversed", scaleanchor: "x" },
    xaxis2: axis([(w + 2) / (w + ow + 2), 1], ow),
    yaxis2: { ...axis([0, 1], output.length), range: [output.length - 0.5, -0.5], scaleanchor: "x2" },
    shapes,
    annotations: [
      { text: `input ${h}x${w}`, xref: "x", yref: "paper", x: (w - 1) / 2, y: 1, yanchor: "bottom", showarrow: false },
      { text: `output ${output.length}x${ow}`, xref: "x2", yref: "paper", x: (ow - 1) / 2, y: 1, yanchor: "bottom", showarrow: false },
      { text: `${what} of each<br>${size}x${size} window<br>⟶`, xref: "x", yref: "paper", x: w + 0.5, y: 0.5, xanchor: "center", showarrow: false, font: { size: 13 } },
    ],
    margin: { l: 10, r: 10, t: opts.title ? 60 : 30, b: 10 },
    plot_bgcolor: "white",
  });
  // A still picture: no zoom toolbar over its title.
  return finishChart({ data: [cells(inputCodes, x, ""), cells(outputCodes, output, "2")], layout, config: { displayModeBar: false } }, opts);
}
