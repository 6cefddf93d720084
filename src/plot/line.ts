/** Line charts: activation functions, loss and accuracy curves. */
import { ChartOptions, Figure, Trace, baseLayout, finishChart } from "./figure";

/** One line: its name, y values and optionally its x values (default 0, 1, 2, ...). */
export interface LineSeries {
  name: string;
  y: ArrayLike<number>;
  x?: ArrayLike<number>;
  /** "lines" (default), "markers" or "lines+markers". */
  mode?: string;
  /** "solid" (default), "dash", "dot". */
  dash?: string;
}

/** Options of `lineChart`. */
export interface LineChartOptions extends ChartOptions {
  /** x values shared by all series that do not give their own. */
  x?: ArrayLike<number>;
  xLabel?: string;
  yLabel?: string;
  /** Logarithmic y axis (useful for losses). */
  logY?: boolean;
  /** Fixed y range [min, max]. */
  yRange?: [number, number];
}

/**
 * Draws one or more lines. Pass either `{ name: yValues, ... }` or a list of
 * series. Example: `lineChart({ sigmoid: ys }, { x: xs, title: "sigmoid" })`.
 */
export function lineChart(series: Record<string, ArrayLike<number>> | LineSeries[], opts: LineChartOptions = {}): Figure {
  const list: LineSeries[] = Array.isArray(series) ? series : Object.entries(series).map(([name, y]) => ({ name, y }));
  if (list.length === 0) throw new Error("lineChart: no series to draw");
  const data: Trace[] = list.map((s) => {
    const x = s.x ?? opts.x;
    if (x !== undefined && x.length !== s.y.length) {
      throw new Error(`lineChart: series "${s.name}" has ${s.y.length} y values but ${x.length} x values`);
    }
    return {
      type: "scatter",
      mode: s.mode ?? "lines",
      name: s.name,
      x: x ?? Array.from({ length: s.y.length }, (_, i) => i),
      y: s.y,
      line: s.dash ? { dash: s.dash } : undefined,
    };
  });
  const layout = baseLayout(opts, {
    xaxis: { title: { text: opts.xLabel ?? "" } },
    yaxis: { title: { text: opts.yLabel ?? "" }, type: opts.logY ? "log" : "linear", range: opts.yRange },
    showlegend: list.length > 1,
  });
  return finishChart({ data, layout }, opts);
}
