/**
 * Toy 2-D classification data for the course, with the semantics of
 * scikit-learn's make_moons / make_circles / make_blobs (same sample split,
 * same geometry, Gaussian noise with the given standard deviation), plus a
 * two-arm spiral and the course's fallback of random points with random labels.
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { linspace } from "./arrays";
import { Rng, rngFor } from "./random";

/** A labelled 2-D data set: points `x` (one [x1, x2] per row), integer labels `y` in 0..classes-1. */
export interface Dataset {
  x: number[][];
  y: Int32Array;
  classes: number;
  name: string;
}

/** Options shared by all generators. Defaults follow the course: 200 samples, noise 0.1, shuffled. */
export interface DatasetOptions {
  /** Number of points (default 200). */
  nSamples?: number;
  /** Standard deviation of the Gaussian noise added to each coordinate (default 0.1; 0 = none). Blobs take `clusterStd` instead. */
  noise?: number;
  /** Seed for this call; without it the notebook-wide generator (`setSeed`) is used. */
  seed?: number;
  /** Shuffle the points (default true, like scikit-learn). */
  shuffle?: boolean;
}

/** Options of `makeCircles`. */
export interface CirclesOptions extends DatasetOptions {
  /** Radius of the inner circle relative to the outer one (radius 1), in [0, 1) (default 0.8). */
  factor?: number;
}

/** Options of `makeBlobs`. */
export interface BlobsOptions {
  /** Number of points (default 200). */
  nSamples?: number;
  /** Number of clusters (centres drawn uniformly in `centerBox`) or their coordinates (default 2). */
  centers?: number | number[][];
  /** Standard deviation of each cluster, one for all or one per cluster (default 1.0). */
  clusterStd?: number | number[];
  /** Box the random centres are drawn from (default [-10, 10], as scikit-learn). */
  centerBox?: [number, number];
  /** Seed for this call; without it the notebook-wide generator (`setSeed`) is used. */
  seed?: number;
  /** Shuffle the points (default true). */
  shuffle?: boolean;
}

/** Options of `makeSpiral`. */
export interface SpiralOptions extends DatasetOptions {
  /** How many half-turns each arm makes (default 3). */
  turns?: number;
}

/** Options of `makeDataset`: the union of every generator's options. */
export type AnyDatasetOptions = CirclesOptions & BlobsOptions & SpiralOptions;

function checkCount(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what}: nSamples must be a positive integer, got ${n}`);
}

function checkNoise(noise: number, what: string): void {
  if (!(noise >= 0)) throw new Error(`${what}: noise must be >= 0, got ${noise}`);
}

/** Adds noise, shuffles points and labels together, and packs a Dataset. */
function finish(xs: number[][], labels: number[], classes: number, name: string, rng: Rng, noise: number, shuffle: boolean): Dataset {
  if (noise > 0) for (const p of xs) for (let j = 0; j < p.length; j++) p[j] += rng.normal(0, noise);
  const order = shuffle ? rng.permutation(xs.length) : xs.map((_, i) => i);
  return { x: order.map((i) => xs[i]), y: Int32Array.from(order.map((i) => labels[i])), classes, name };
}

/**
 * Two interleaving half circles (scikit-learn's make_moons): the outer moon
 * (label 0) is the upper half of the unit circle, the inner moon (label 1) is
 * shifted to centre (1, 0.5) and flipped. floor(n/2) points are outer.
 */
export function makeMoons(opts: DatasetOptions = {}): Dataset {
  const { nSamples = 200, noise = 0.1, shuffle = true } = opts;
  checkCount(nSamples, "makeMoons");
  checkNoise(noise, "makeMoons");
  const rng = rngFor(opts.seed);
  const nOut = Math.floor(nSamples / 2);
  const nIn = nSamples - nOut;
  const xs: number[][] = [];
  const ys: number[] = [];
  for (const t of linspace(0, Math.PI, nOut)) {
    xs.push([Math.cos(t), Math.sin(t)]);
    ys.push(0);
  }
  for (const t of linspace(0, Math.PI, nIn)) {
    xs.push([1 - Math.cos(t), 1 - Math.sin(t) - 0.5]);
    ys.push(1);
  }
  return finish(xs, ys, 2, "moons", rng, noise, shuffle);
}

/**
 * Two concentric circles (scikit-learn's make_circles): floor(n/2) points on
 * the outer circle of radius 1 (label 0), the rest on the inner circle of
 * radius `factor` (label 1), evenly spaced in angle.
 */
export function makeCircles(opts: CirclesOptions = {}): Dataset {
  const { nSamples = 200, noise = 0.1, factor = 0.8, shuffle = true } = opts;
  checkCount(nSamples, "makeCircles");
  checkNoise(noise, "makeCircles");
  if (!(factor >= 0 && factor < 1)) throw new Error(`makeCircles: factor must be in [0, 1), got ${factor}`);
  const rng = rngFor(opts.seed);
  const nOut = Math.floor(nSamples / 2);
  const nIn = nSamples - nOut;
  const xs: number[][] = [];
  const ys: number[] = [];
  // endpoint excluded, as scikit-learn does, so 0 and 2*pi are not both drawn.
  for (let i = 0; i < nOut; i++) {
    const t = (2 * Math.PI * i) / nOut;
    xs.push([Math.cos(t), Math.sin(t)]);
    ys.push(0);
  }
  for (let i = 0; i < nIn; i++) {
    const t = (2 * Math.PI * i) / nIn;
    xs.push([factor * Math.cos(t), factor * Math.sin(t)]);
    ys.push(1);
  }
  return finish(xs, ys, 2, "circles", rng, noise, shuffle);
}

/**
 * Gaussian clusters (scikit-learn's make_blobs, 2-D): `centers` random centres
 * drawn uniformly in `centerBox`, or the given coordinates; the points are split
 * evenly (the first n % k clusters get one more) and cluster i gets label i.
 * The spread of each cluster is `clusterStd` (scikit-learn's cluster_std, default 1.0).
 * Like make_blobs, it takes no `noise`: passing one (also through
 * `makeDataset("blobs", ...)`) is an error rather than silently ignored.
 */
export function makeBlobs(opts: BlobsOptions = {}): Dataset {
  const noise = (opts as DatasetOptions).noise;
  if (noise !== undefined) {
    throw new Error(
      `makeBlobs: blobs take no noise option (got noise: ${noise}); the spread of each cluster is its standard deviation, ` +
        `clusterStd (scikit-learn's cluster_std, default 1.0): pass { clusterStd: ${noise} } instead`,
    );
  }
  const { nSamples = 200, centers = 2, clusterStd = 1.0, centerBox = [-10, 10], shuffle = true } = opts;
  checkCount(nSamples, "makeBlobs");
  const rng = rngFor(opts.seed);
  let centerPoints: number[][];
  if (typeof centers === "number") {
    if (!Number.isInteger(centers) || centers < 1) throw new Error(`makeBlobs: centers must be a positive integer or a list of points, got ${centers}`);
    centerPoints = Array.from({ length: centers }, () => [rng.uniform(centerBox[0], centerBox[1]), rng.uniform(centerBox[0], centerBox[1])]);
  } else {
    if (centers.length === 0 || centers.some((c) => c.length !== 2)) throw new Error("makeBlobs: centers must be a non-empty list of [x, y] points");
    centerPoints = centers.map((c) => [...c]);
  }
  const k = centerPoints.length;
  const stds = typeof clusterStd === "number" ? new Array<number>(k).fill(clusterStd) : clusterStd;
  if (stds.length !== k) throw new Error(`makeBlobs: clusterStd has ${stds.length} entries for ${k} centers`);
  if (stds.some((s) => !(s >= 0))) throw new Error("makeBlobs: clusterStd must be >= 0");
  const xs: number[][] = [];
  const ys: number[] = [];
  for (let c = 0; c < k; c++) {
    const count = Math.floor(nSamples / k) + (c < nSamples % k ? 1 : 0);
    for (let i = 0; i < count; i++) {
      xs.push([rng.normal(centerPoints[c][0], stds[c]), rng.normal(centerPoints[c][1], stds[c])]);
      ys.push(c);
    }
  }
  return finish(xs, ys, k, "blobs", rng, 0, shuffle);
}

/**
 * Two interleaved spiral arms around the origin (label 0 and 1), each turning
 * `turns` half-turns outwards from radius 0 to 1; arm 1 is arm 0 rotated by pi.
 */
export function makeSpiral(opts: SpiralOptions = {}): Dataset {
  const { nSamples = 200, noise = 0.1, turns = 3, shuffle = true } = opts;
  checkCount(nSamples, "makeSpiral");
  checkNoise(noise, "makeSpiral");
  if (!(turns > 0)) throw new Error(`makeSpiral: turns must be > 0, got ${turns}`);
  const rng = rngFor(opts.seed);
  const counts = [Math.floor(nSamples / 2), nSamples - Math.floor(nSamples / 2)];
  const xs: number[][] = [];
  const ys: number[] = [];
  counts.forEach((count, arm) => {
    for (const r of linspace(0.05, 1, count)) {
      const angle = r * turns * Math.PI + arm * Math.PI;
      xs.push([r * Math.cos(angle), r * Math.sin(angle)]);
      ys.push(arm);
    }
  });
  return finish(xs, ys, 2, "spiral", rng, noise, shuffle);
}

/**
 * The course's fallback: points uniform in [-1, 1]^2 with random labels 0/1 (nothing to learn).
 * The points are random already, so it takes no `noise`: passing one (also through
 * `makeDataset("random", ...)`) is an error rather than silently ignored.
 */
export function makeRandom(opts: DatasetOptions = {}): Dataset {
  if (opts.noise !== undefined) {
    throw new Error(`makeRandom: random points take no noise option (got noise: ${opts.noise}); they are uniform in [-1, 1]^2 already`);
  }
  const { nSamples = 200 } = opts;
  checkCount(nSamples, "makeRandom");
  const rng = rngFor(opts.seed);
  const xs = Array.from({ length: nSamples }, () => [rng.uniform(-1, 1), rng.uniform(-1, 1)]);
  const ys = Array.from({ length: nSamples }, () => rng.int(0, 2));
  return finish(xs, ys, 2, "random", rng, 0, false);
}

const GENERATORS: Record<string, (opts: AnyDatasetOptions) => Dataset> = {
  moons: makeMoons,
  circles: makeCircles,
  blobs: makeBlobs,
  spiral: makeSpiral,
  random: makeRandom,
};

/** The names `makeDataset` accepts. */
export const DATASET_NAMES: readonly string[] = Object.keys(GENERATORS);

/**
 * A toy data set by name: "moons", "circles", "blobs", "spiral" or "random".
 * An unknown name is an error (not silently random data).
 */
export function makeDataset(name: string, opts: AnyDatasetOptions = {}): Dataset {
  const gen = Object.prototype.hasOwnProperty.call(GENERATORS, name) ? GENERATORS[name] : undefined;
  if (!gen) throw new Error(`makeDataset: unknown data set "${name}"; choose one of ${DATASET_NAMES.join(", ")}`);
  return gen(opts);
}

/** One-hot rows for integer labels: oneHot([0, 2], 3) = [[1,0,0],[0,0,1]] (Keras' to_categorical). */
export function oneHot(labels: ArrayLike<number>, k: number): number[][] {
  if (!Number.isInteger(k) || k < 1) throw new Error(`oneHot: k must be a positive integer, got ${k}`);
  return Array.from({ length: labels.length }, (_, i) => {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= k) throw new Error(`oneHot: label ${label} at index ${i} is not in 0..${k - 1}`);
    const row = new Array<number>(k).fill(0);
    row[label] = 1;
    return row;
  });
}

/** A data set as tfjs tensors: `x` [n, 2], `y` one-hot [n, classes], `labels` int32 [n]. */
export function datasetTensors(ds: Dataset): { x: tfTypes.Tensor2D; y: tfTypes.Tensor2D; labels: tfTypes.Tensor1D } {
  // Loaded on first use, so importing nnkit stays fast.
  const tf = require("@tensorflow/tfjs") as typeof tfTypes;
  return {
    x: tf.tensor2d(ds.x, [ds.x.length, 2], "float32"),
    y: tf.tensor2d(oneHot(ds.y, ds.classes), [ds.y.length, ds.classes], "float32"),
    labels: tf.tensor1d(ds.y, "int32"),
  };
}
