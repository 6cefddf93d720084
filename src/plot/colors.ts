/** Colours shared by the charts, so a class has the same colour in every plot. */

/** One colour per class (plotly's/d3's category10). */
export const CLASS_COLORS: readonly string[] = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
];

/** The colour of class `k` (the palette repeats after 10 classes). */
export function classColor(k: number): string {
  return CLASS_COLORS[((k % CLASS_COLORS.length) + CLASS_COLORS.length) % CLASS_COLORS.length];
}

/** A class colour mixed with white, for filled regions under the data points. */
export function lightClassColor(k: number, amount = 0.65): string {
  const hex = classColor(k);
  const channel = (i: number): number => {
    const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16);
    return Math.round(c + (255 - c) * amount);
  };
  return `rgb(${channel(0)},${channel(1)},${channel(2)})`;
}
