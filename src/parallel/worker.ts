// A gradient worker: a replica of the model on its own single-threaded wasm
// backend. It receives the current weights and a share of a batch, and sends
// back its share of the gradient; the main thread sums the shares and takes
// the one optimizer step, so every replica stays in step by construction.
import { parentPort } from "worker_threads";
import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "../backend";
import type { FromWorker, GradMessage, EvalMessage, InitMessage, LossName, MetricName, ToWorker } from "./protocol";

type Fn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

const LOSSES: Record<LossName, Fn> = {
  categoricalCrossentropy: (a, b) => tf.metrics.categoricalCrossentropy(a, b),
  sparseCategoricalCrossentropy: (a, b) => (tf.metrics as unknown as Record<string, Fn>).sparseCategoricalCrossentropy(a, b),
  binaryCrossentropy: (a, b) => tf.metrics.binaryCrossentropy(a, b),
  meanSquaredError: (a, b) => tf.metrics.meanSquaredError(a, b),
};

const METRICS: Record<MetricName, Fn> = {
  categoricalAccuracy: (a, b) => tf.metrics.categoricalAccuracy(a, b),
  sparseCategoricalAccuracy: (a, b) => tf.metrics.sparseCategoricalAccuracy(a, b),
  binaryAccuracy: (a, b) => tf.metrics.binaryAccuracy(a, b),
};

interface State {
  model: tf.LayersModel;
  vars: tf.Variable[];
  loss: Fn;
  metric: Fn | null;
  x: Float32Array;
  y: Float32Array;
  xRow: number;
  yRow: number;
  xShape: number[];
  yShape: number[];
}

let state: State | null = null;

function send(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(msg, transfer);
}

async function init(msg: InitMessage): Promise<void> {
  await setupBackend({ backend: "wasm", threads: 1, quiet: true });
  const model = await tf.models.modelFromJSON(JSON.parse(msg.modelJson) as tf.io.ModelJSON);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const xRow = msg.data.xShape.reduce((a, b) => a * b, 1);
  const yRow = msg.data.yShape.reduce((a, b) => a * b, 1);
  state = {
    model,
    vars,
    loss: LOSSES[msg.loss],
    metric: msg.metric === null ? null : METRICS[msg.metric],
    x: new Float32Array(msg.data.x),
    y: new Float32Array(msg.data.y),
    xRow,
    yRow,
    xShape: msg.data.xShape,
    yShape: msg.data.yShape,
  };
  send({ type: "ready" });
}

/** Copies the rows `indices` of the shared data into batch tensors. */
function gather(s: State, indices: Int32Array): { x: tf.Tensor; y: tf.Tensor } {
  const n = indices.length;
  const xb = new Float32Array(n * s.xRow);
  const yb = new Float32Array(n * s.yRow);
  for (let i = 0; i < n; i++) {
    const r = indices[i];
    xb.set(s.x.subarray(r * s.xRow, (r + 1) * s.xRow), i * s.xRow);
    yb.set(s.y.subarray(r * s.yRow, (r + 1) * s.yRow), i * s.yRow);
  }
  return { x: tf.tensor(xb, [n, ...s.xShape]), y: tf.tensor(yb, [n, ...s.yShape]) };
}

function setWeights(s: State, weights: Float32Array[]): void {
  s.vars.forEach((v, i) => {
    const t = tf.tensor(weights[i], v.shape);
    v.assign(t);
    t.dispose();
  });
}

/**
 * At most this many images go through the model at once; a larger share is
 * done in slices whose gradients are summed. Activations of the course CNN
 * take about 1 MB per image, and wasm memory never shrinks once grown.
 */
const SLICE = 128;

function grad(msg: GradMessage): void {
  const s = state as State;
  setWeights(s, msg.weights);
  let lossSum = 0;
  let metricSum = 0;
  let sums: Float32Array[] | null = null;
  for (let start = 0; start < msg.indices.length; start += SLICE) {
    const { x, y } = gather(s, msg.indices.subarray(start, start + SLICE));
    const { value, grads } = tf.variableGrads(() => {
      const pred = s.model.apply(x, { training: true }) as tf.Tensor;
      const sum = tf.sum(s.loss(y, pred));
      lossSum += sum.dataSync()[0];
      if (s.metric !== null) metricSum += tf.sum(s.metric(y, pred)).dataSync()[0];
      return tf.div(sum, msg.total) as tf.Scalar;
    }, s.vars);
    const part = s.vars.map((v) => grads[v.name].dataSync() as Float32Array);
    if (sums === null) sums = part;
    else sums.forEach((acc, k) => {
      const g = part[k];
      for (let i = 0; i < acc.length; i++) acc[i] += g[i];
    });
    tf.dispose([x, y, value]);
    tf.dispose(Object.values(grads));
  }
  const out = sums ?? [];
  send({ type: "grads", grads: out, lossSum, metricSum }, out.map((g) => g.buffer as ArrayBuffer));
}

function evaluate(msg: EvalMessage): void {
  const s = state as State;
  setWeights(s, msg.weights);
  let lossSum = 0;
  let metricSum = 0;
  for (let start = 0; start < msg.indices.length; start += SLICE) {
    const { x, y } = gather(s, msg.indices.subarray(start, start + SLICE));
    tf.tidy(() => {
      const pred = s.model.apply(x, { training: false }) as tf.Tensor;
      lossSum += tf.sum(s.loss(y, pred)).dataSync()[0];
      if (s.metric !== null) metricSum += tf.sum(s.metric(y, pred)).dataSync()[0];
    });
    tf.dispose([x, y]);
  }
  send({ type: "evaluated", lossSum, metricSum });
}

parentPort?.on("message", (msg: ToWorker) => {
  const run = async (): Promise<void> => {
    if (msg.type === "init") await init(msg);
    else if (state === null) throw new Error("worker used before init");
    else if (msg.type === "grad") grad(msg);
    else evaluate(msg);
  };
  run().catch((e: unknown) => send({ type: "error", message: e instanceof Error ? e.stack ?? e.message : String(e) }));
});
