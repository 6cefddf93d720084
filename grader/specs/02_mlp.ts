/**
 * Questions of notebooks/02_mlp.ipynb: the dense layer, softmax cross-entropy, the
 * two-layer network's loss and gradients, the training loop, and the circles model.
 * Expected values come from the master's run.
 */
import type { Gen, NotebookSpec, Probe, Question } from "../core/spec";

function normal(shape: number[], std = 1): Gen {
  return { kind: "normal", shape, std, as: "nested" };
}

function labels(n: number, classes: number): Gen {
  return { kind: "int", shape: [n], low: 0, high: classes, as: "array" };
}

/** The check of affineForward: x (2, 120), w (120, 3), b (3) from linspace. */
const affineCheckInputs: Record<string, Gen> = {
  x: { kind: "linspace", start: -0.1, stop: 0.5, shape: [2, 120], as: "nested" },
  w: { kind: "linspace", start: -0.2, stop: 0.3, shape: [120, 3], as: "nested" },
  b: { kind: "linspace", start: -0.3, stop: 0.1, shape: [3], as: "array" },
};

/** Seeded inputs for the backward probes: dout (n, m), x (n, d), w (d, m). */
function backwardInputs(n: number, d: number, m: number): Record<string, Gen> {
  return { dout: normal([n, m]), x: normal([n, d]), w: normal([d, m]) };
}

/** Probes of one field of affineBackward on a few shapes, the first one public. */
function affineBackwardProbes(field: "dx" | "dw" | "db"): Probe[] {
  return [
    { expr: `affineBackward(dout, x, w).${field}`, inputs: backwardInputs(4, 5, 3), label: `${field} for dout (4, 3), x (4, 5), w (5, 3)` },
    { expr: `affineBackward(dout, x, w).${field}`, inputs: backwardInputs(7, 2, 6), hidden: true },
    { expr: `affineBackward([[1.5]], [[-2]], [[0.5]]).${field}`, hidden: true, label: "1x1 shapes" },
    { expr: `affineBackward([[0, 0], [1, -1]], [[1, 2, 3], [0, 0, 0]], [[1, 0], [0, 1], [1, 1]]).${field}`, hidden: true, label: "zero rows" },
  ];
}

/**
 * Every gradient of `mlpLoss` and the centred differences of its loss, as raw values:
 * `{ analytic: grads, numeric }` with the same fields and shapes (w1, b1, w2, b2). The grader
 * judges them (CS231n's relative error below 1e-6, and the analytic values against the master's).
 */
const mlpGradcheck = `(() => {
  const params = initMlp(3, 5, 4, 9);
  const reg = 0.1;
  const analytic = mlpLoss(params, x, y, reg).grads;
  const h = 1e-5;
  const numeric: Record<string, number[] | number[][]> = {};
  const rowsOf = (v: number[] | number[][]): number[][] => (Array.isArray(v[0]) ? (v as number[][]) : [v as number[]]);
  for (const name of ["w1", "b1", "w2", "b2"] as const) {
    const rows = rowsOf(params[name]).map((row) => row.map((old, j) => {
      row[j] = old + h;
      const plus = mlpLoss(params, x, y, reg).loss;
      row[j] = old - h;
      const minus = mlpLoss(params, x, y, reg).loss;
      row[j] = old;
      return (plus - minus) / (2 * h);
    }));
    numeric[name] = Array.isArray(params[name][0]) ? rows : rows[0];
  }
  return { analytic: { w1: analytic.w1, b1: analytic.b1, w2: analytic.w2, b2: analytic.b2 }, numeric };
})()`;

/**
 * Trains the student's circles model the way the notebook describes (standardised circles,
 * seed 2, shuffle off, Math.random seeded) and returns its training accuracy (judged: at least 0.80).
 * The data is built here rather than with the notebook's helpers, so that only the two
 * exercise functions decide the result.
 */
const circlesProbe = `(async () => {
  const raw = makeDataset("circles", { nSamples: 200, noise: 0.1, factor: 0.8, seed: 2 });
  const mean = [0, 1].map((j) => raw.x.reduce((acc, p) => acc + p[j], 0) / raw.x.length);
  const std = [0, 1].map((j) => Math.sqrt(raw.x.reduce((acc, p) => acc + (p[j] - mean[j]) ** 2, 0) / raw.x.length));
  const ds = { ...raw, x: raw.x.map((p) => p.map((v, j) => (v - mean[j]) / std[j])) };
  const savedRandom = Math.random;
  const seeded = new Rng(123);
  Math.random = () => seeded.next();
  try {
    const args = circlesFitArgs();
    if (!(args.epochs >= 1 && args.epochs <= 300)) throw new Error("circlesFitArgs: epochs must be between 1 and 300, got " + args.epochs);
    const model = buildCirclesModel();
    const t = datasetTensors(ds);
    await model.fit(t.x, t.y, { epochs: args.epochs, batchSize: args.batchSize, shuffle: false, verbose: 0 });
    // The accuracy itself: the grader compares it with the bar (compare atLeast 0.8).
    return tf.tidy(() => (model.predict(t.x) as tf.Tensor).argMax(1).equal(t.labels).mean().dataSync()[0]);
  } finally {
    Math.random = savedRandom;
  }
})()`;

const questions: Question[] = [
  {
    id: "affine-forward",
    title: "Dense layer forward",
    points: 2,
    requires: ["affineForward"],
    probes: [
      { expr: "affineForward(x, w, b)", inputs: affineCheckInputs, label: "x = linspace(-0.1, 0.5, 240) as (2, 120), w = linspace(-0.2, 0.3, 360) as (120, 3), b = linspace(-0.3, 0.1, 3)" },
      { expr: "affineForward(x, w, b)", inputs: { x: normal([5, 3]), w: normal([3, 4]), b: { kind: "normal", shape: [4], as: "array" } }, hidden: true },
      { expr: "affineForward([[2]], [[3]], [-1])", hidden: true, label: "1x1 shapes" },
      { expr: "affineForward([[0, 0], [1, 2]], [[1, -1, 0.5], [2, 0, -3]], [0.1, 0.2, 0.3])", hidden: true, label: "a zero row" },
      { expr: "affineForward(x, w, b)", inputs: { x: normal([3, 2], 1e6), w: normal([2, 2], 1e3), b: { kind: "normal", shape: [2], std: 1e6, as: "array" } }, hidden: true, label: "large magnitudes" },
    ],
    compare: { kind: "allclose", rtol: 1e-7, atol: 1e-12 },
    hint: "out[n][j] = b[j] + Σ_d x[n][d] · w[d][j]; the result has one row per row of x and one column per column of w.",
  },
  {
    id: "affine-backward",
    title: "Dense layer backward",
    points: 3,
    requires: ["affineBackward"],
    probes: [...affineBackwardProbes("dx"), ...affineBackwardProbes("dw"), ...affineBackwardProbes("db")],
    compare: { kind: "allclose", rtol: 1e-7, atol: 1e-12 },
    hint: "dx = dout·Wᵀ has the shape of x, dw = xᵀ·dout the shape of w, db sums dout over the rows (the batch).",
  },
  {
    id: "softmax-loss",
    title: "Softmax cross-entropy and its gradient",
    points: 2,
    requires: ["softmaxCrossEntropy"],
    probes: [
      { expr: "softmaxCrossEntropy(s, y).loss", inputs: { s: normal([4, 3]), y: labels(4, 3) }, label: "loss for scores (4, 3)" },
      { expr: "softmaxCrossEntropy(s, y).dscores", inputs: { s: normal([4, 3]), y: labels(4, 3) }, label: "dscores for scores (4, 3)" },
      { expr: "softmaxCrossEntropy([[1000, 1001], [-1000, 0]], [0, 1]).loss", hidden: true, label: "large scores" },
      { expr: "softmaxCrossEntropy([[1000, 1001], [-1000, 0]], [0, 1]).dscores", hidden: true, label: "large scores" },
      { expr: "softmaxCrossEntropy(s, y).loss", inputs: { s: normal([8, 5], 3), y: labels(8, 5) }, hidden: true },
      { expr: "softmaxCrossEntropy(s, y).dscores", inputs: { s: normal([8, 5], 3), y: labels(8, 5) }, hidden: true },
      { expr: "softmaxCrossEntropy([[0, 0, 0]], [2])", hidden: true, label: "one example with equal scores" },
      // The text warns of overflow: e^1000 is Infinity, and the loss and its gradient become NaN.
      { expr: "softmaxCrossEntropy([[1000, 1001, 999], [-1000, 0, 1000]], [2, 1])", label: "loss and dscores for scores of ±1000 (no NaN, no Infinity)" },
    ],
    compare: { kind: "allclose", rtol: 1e-7, atol: 1e-12 },
    hint: "Average over the batch, both the loss and the gradient (p - onehot(y)) / N. Subtract each row's maximum m before exponentiating, and take log p as S_y - m - log Σ_k e^(S_k - m), never the log of a probability that may be 0.",
  },
  {
    id: "mlp-loss",
    title: "Two-layer network: loss and gradients",
    points: 3,
    requires: ["mlpLoss"],
    probes: [
      {
        expr: mlpGradcheck,
        inputs: { x: normal([6, 3]), y: labels(6, 4) },
        label: "every gradient matches a centred numeric gradient (relative error < 1e-6)",
        compare: { kind: "gradcheck", max: 1e-6, rtol: 1e-6, atol: 1e-10 },
      },
      { expr: "mlpLoss(initMlp(3, 5, 4, 9), x, y, 0.1).loss", inputs: { x: normal([6, 3]), y: labels(6, 4) }, label: "the loss with reg = 0.1" },
      { expr: "mlpLoss(initMlp(2, 4, 3, 1), x, y, 0).grads", inputs: { x: normal([10, 2]), y: labels(10, 3) }, hidden: true, label: "gradients without regularisation" },
      { expr: "mlpLoss(initMlp(2, 4, 3, 1), x, y, 0.5).grads", inputs: { x: normal([10, 2]), y: labels(10, 3) }, hidden: true, label: "gradients with reg = 0.5" },
      { expr: "mlpLoss(initMlp(2, 3, 2, 4), [[0.5, -1]], [1], 0.05)", hidden: true, label: "one example" },
    ],
    compare: { kind: "allclose", rtol: 1e-6, atol: 1e-10 },
    hint: "Forward: Z1 = X·W1 + b1, A = tanh(Z1), S = A·W2 + b2. Backward: dS from softmaxCrossEntropy, affineBackward for layer 2, multiply by 1 - A², affineBackward for layer 1, then add reg·W to each weight gradient.",
  },
  {
    id: "train-mlp",
    title: "Training loop",
    points: 3,
    requires: ["trainMlp"],
    probes: [
      { expr: "trainMlp(x, y, 3, { hidden: 5, lr: 0.5, epochs: 20, reg: 0.01, seed: 3 }).loss", inputs: { x: normal([30, 2]), y: labels(30, 3) }, label: "loss history, 20 epochs" },
      { expr: "trainMlp(x, y, 3, { hidden: 5, lr: 0.5, epochs: 20, reg: 0.01, seed: 3 }).acc", inputs: { x: normal([30, 2]), y: labels(30, 3) }, label: "accuracy history, 20 epochs" },
      { expr: "trainMlp(x, y, 2, { hidden: 4, lr: 0.2, epochs: 15, reg: 0, seed: 8 }).params", inputs: { x: normal([12, 3]), y: labels(12, 2) }, hidden: true, label: "final parameters" },
      { expr: "trainMlp(x, y, 2, { hidden: 3, lr: 1, epochs: 1, reg: 0.1, seed: 2 })", inputs: { x: normal([5, 2]), y: labels(5, 2) }, hidden: true, label: "one epoch" },
    ],
    compare: { kind: "allclose", rtol: 1e-6, atol: 1e-10 },
    hint: "Start from initMlp(x[0].length, opts.hidden, classes, opts.seed). In each epoch record the loss and accuracy of the current parameters first, then subtract lr times each gradient.",
  },
  {
    id: "circles-model",
    title: "A model that separates the circles",
    points: 4,
    requires: ["buildCirclesModel", "circlesFitArgs"],
    probes: [{ expr: circlesProbe, label: "training accuracy of buildCirclesModel() on the circles reaches 0.80" }],
    compare: { kind: "atLeast", min: 0.8 },
    hint: "The course model is too small and too slow for the circles: add hidden units or a second hidden layer, and try Adam with a larger learning rate or more epochs.",
  },
];

export const spec: NotebookSpec = {
  notebook: "02_mlp.ipynb",
  questions,
  // graded by hand (export written, then export manual-import): one observation per setting
  written: [{ cell: "written-answer", points: 5 }],
};
