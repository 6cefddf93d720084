/** A grid of small grey images with titles, e.g. Fashion-MNIST examples. */
import { ChartOptions, Figure, baseLayout, finishChart } from "./figure";

/** Options of `imageGrid`. */
export interface ImageGridOptions extends ChartOptions {
  /** A title above each image (e.g. its class name). */
  titles?: string[];
  /** Images per row (default: up to 10). */
  columns?: number;
  /** Image height and width in pixels; needed for flat images that are not square. */
  imageShape?: [number, number];
  /**
   * Draw dark pixels for high values (default true: a white background, like the dataset's pictures).
   * Pixels in [0, 1] are stored as 0..254 (one byte each), so hovering shows that scale.
   */
  invert?: boolean;
}

/** Rows of an image, from nested rows or a flat row-major array (square unless a shape is given). */
function imageRows(img: ArrayLike<number> | number[][], shape: [number, number] | undefined, i: number): number[][] {
  if (Array.isArray(img) && Array.isArray(img[0])) {
    const rows = img as number[][];
    return rows.map((r) => (Array.isArray(r) ? (r as unknown[]).map((v) => (Array.isArray(v) ? Number(v[0]) : Number(v))) : [Number(r)]));
  }
  const flat = img as ArrayLike<number>;
  const [h, w] = shape ?? [Math.round(Math.sqrt(flat.length)), Math.round(Math.sqrt(flat.length))];
  if (h * w !== flat.length) throw new Error(`imageGrid: image ${i} has ${flat.length} pixels, which is not ${h}x${w}; pass imageShape`);
  return Array.from({ length: h }, (_, r) => Array.from({ length: w }, (_, c) => flat[r * w + c]));
}

/**
 * Shows images in a grid, each with an optional title:
 * `imageGrid(images, { titles, columns: 10 })`. An image is a flat array
 * (28*28 values), rows of pixels, or rows of [value] (28x28x1).
 * All images are drawn in one heatmap, which keeps even 100 images fast.
 */
export function imageGrid(images: (ArrayLike<number> | number[][])[], opts: ImageGridOptions = {}): Figure {
  if (images.length === 0) throw new Error("imageGrid: no images");
  if (opts.titles && opts.titles.length !== images.length) throw new Error(`imageGrid: ${opts.titles.length} titles for ${images.length} images`);
  const all = images.map((img, i) => imageRows(img, opts.imageShape, i));
  const h = all[0].length;
  const w = all[0][0].length;
  all.forEach((rows, i) => {
    if (rows.length !== h || rows.some((r) => r.length !== w)) throw new Error(`imageGrid: image ${i} is not ${h}x${w} like image 0`);
  });
  const columns = opts.columns ?? Math.min(10, images.length);
  const rowsOfTiles = Math.ceil(images.length / columns);
  const gap = Math.max(2, Math.round(w / 7));
  const titleRows = opts.titles ? Math.max(6, Math.round(h / 3)) : 0;
  const cellW = w + gap;
  const cellH = h + gap + titleRows;
  // One mosaic; null pixels are gaps, drawn transparent.
  const z: (number | null)[][] = Array.from({ length: rowsOfTiles * cellH }, () => new Array<number | null>(columns * cellW).fill(null));
  const annotations: Record<string, unknown>[] = [];
  all.forEach((rows, i) => {
    const top = Math.floor(i / columns) * cellH + titleRows;
    const left = (i % columns) * cellW;
    rows.forEach((r, dy) => r.forEach((v, dx) => (z[top + dy][left + dx] = v)));
    if (opts.titles) {
      annotations.push({ x: left + w / 2, y: top - 1.5, text: opts.titles[i], showarrow: false, font: { size: 10 }, yanchor: "bottom" });
    }
  });
  const tileSize = 60;
  const layout = baseLayout(opts, {
    width: opts.width ?? Math.min(1000, columns * tileSize + 40),
    height: opts.height ?? rowsOfTiles * Math.round(tileSize * (cellH / cellW)) + (opts.title ? 70 : 30),
    xaxis: { visible: false, constrain: "domain" },
    yaxis: { visible: false, autorange: "reversed", scaleanchor: "x" },
    margin: { l: 10, r: 10, t: opts.title ? 50 : 10, b: 10 },
    annotations,
    plot_bgcolor: "white",
  });
  const dark = opts.invert === false ? "black" : "white";
  const light = opts.invert === false ? "white" : "black";
  const unit = z.every((row) => row.every((v) => v === null || (v >= 0 && v <= 1)));
  // Pixels in [0, 1] are stored as bytes: 0..254 for the pixel, 255 for a gap (drawn white, like the
  // background). A saved notebook then holds one byte per pixel instead of a line of JSON.
  const trace = unit
    ? {
        type: "heatmap",
        z: z.map((row) => row.map((v) => (v === null ? 255 : Math.round(v * 254)))),
        zmin: 0,
        zmax: 255,
        colorscale: [[0, dark], [254 / 255, light], [254.5 / 255, "white"], [1, "white"]],
        showscale: false,
        hovertemplate: "%{z} of 254<extra></extra>",
      }
    : {
        type: "heatmap",
        z,
        colorscale: [[0, dark], [1, light]],
        showscale: false,
        hoverongaps: false,
        hovertemplate: "%{z}<extra></extra>",
      };
  return finishChart({ data: [trace], layout }, opts);
}
