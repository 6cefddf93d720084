// fit(): model.fit's arguments and History, trained the fastest way the kit
// knows. On the wasm backend that is data parallelism: one single-threaded
// wasm replica of the model per core computes the gradient of its share of
// each batch, the shares are summed and one optimizer step is taken here.
// Measured on 2 cores this beats both the wasm build's own threads and one
// replica; see bench/training.ts.
import * as tf from "@tensorflow/tfjs";
import { requestedThreads, threadsProblem } from "./backend";
import { defaultRng } from "./random";
import { WorkerPool, sharedFloats } from "./parallel/pool";
import type { LossName, MetricName } from "./parallel/protocol";

/** How `fit` may run: how many workers (default: NNKIT_THREADS or the CPU count). */
export interface FitOptions {
  workers?: number;
  /** Print nothing when falling back to model.fit. */
  quiet?: boolean;
}

const LOSS_NAMES: Record<string, LossName> = {
  categoricalCrossentropy: "categoricalCrossentropy",
  categorical_crossentropy: "categoricalCrossentropy",
  sparseCategoricalCrossentropy: "sparseCategoricalCrossentropy",
  sparse_categorical_crossentropy: "sparseCategoricalCrossentropy",
  binaryCrossentropy: "binaryCrossentropy",
  binary_crossentropy: "binaryCrossentropy",
  meanSquaredError: "meanSquaredError",
  mean_squared_error: "meanSquaredError",
  mse: "meanSquaredError",
  MSE: "meanSquaredError",
};

const UNSUPPORTED_ARGS = ["classWeight", "sampleWeight", "stepsPerEpoch", "validationSteps"] as const;

interface Plan {
  loss: LossName;
  metric: MetricName | null;
  workers: number;
}

/** The accuracy function tfjs picks for "accuracy" given the loss and output size. */
function accuracyFor(loss: LossName, outputs: number): MetricName {
  if (loss === "binaryCrossentropy") return "binaryAccuracy";
  if (loss === "sparseCategoricalCrossentropy") return "sparseCategoricalAccuracy";
  if (loss === "categoricalCrossentropy") return "categoricalAccuracy";
  return outputs === 1 ? "binaryAccuracy" : "categoricalAccuracy";
}

/** Why the data-parallel path cannot train this, or the plan when it can. */
export function parallelPlan(
  model: tf.LayersModel,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor | tf.Tensor[],
  args: tf.ModelFitArgs,
  workers: number,
): Plan | string {
  if (!Array.isArray(x) && !Array.isArray(y) && x.shape[0] !== y.shape[0]) {
    throw new Error(`fit: x has ${x.shape[0]} samples but y has ${y.shape[0]}; they must match`);
  }
  if (tf.getBackend() !== "wasm") return `the ${tf.getBackend()} backend trains fastest with model.fit itself`;
  if (workers < 2) return "only one thread is available";
  const problem = threadsProblem();
  if (problem !== null) return problem;
  if (Array.isArray(x) || Array.isArray(y)) return "the model has several inputs or outputs";
  if (x.dtype !== "float32") return `x is ${x.dtype}, not float32`;
  if (model.optimizer === undefined || model.optimizer === null) return "the model is not compiled";
  if (typeof model.loss !== "string" || LOSS_NAMES[model.loss] === undefined) return "its loss is not one of tfjs's named losses";
  if (model.nonTrainableWeights.length > 0) return "the model has non-trainable weights (e.g. batch normalisation)";
  for (const a of UNSUPPORTED_ARGS) if (args[a] !== undefined) return `the ${a} argument`;
  if (args.validationData !== undefined && (args.validationData.length !== 2 || Array.isArray(args.validationData[0]) || Array.isArray(args.validationData[1]))) {
    return "validationData other than [x, y]";
  }
  const loss = LOSS_NAMES[model.loss];
  const metrics = model.metrics === undefined ? [] : Array.isArray(model.metrics) ? model.metrics : [model.metrics];
  if (metrics.length > 1 || metrics.some((m) => m !== "accuracy" && m !== "acc")) return "metrics other than accuracy";
  const outputs = y.shape[y.shape.length - 1] ?? 1;
  return { loss, metric: metrics.length === 1 ? accuracyFor(loss, outputs) : null, workers };
}

/** The user's callbacks as tfjs objects, as model.fit would wrap them. */
function userCallbacks(cbs: tf.ModelFitArgs["callbacks"]): tf.CustomCallback[] {
  if (cbs === undefined) return [];
  const list = Array.isArray(cbs) ? cbs : [cbs];
  return list.map((c) =>
    typeof (c as { setParams?: unknown }).setParams === "function" ? (c as tf.CustomCallback) : new tf.CustomCallback(c as tf.CustomCallbackArgs),
  );
}

function rowsOf(t: tf.Tensor): number[] {
  return t.shape.slice(1);
}

/** Copies a tensor's values into `into` at `offset`, without an extra copy on wasm. */
function copyValues(t: tf.Tensor, into: Float32Array, offset: number): void {
  const backend = tf.backend() as unknown as { typedArrayFromHeap?: (info: tf.TensorInfo) => Float32Array };
  if (t.dtype === "float32" && tf.getBackend() === "wasm" && typeof backend.typedArrayFromHeap === "function") {
    into.set(backend.typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }), offset);
  } else {
    into.set(t.dataSync(), offset);
  }
}

/**
 * Data-parallel training over `workers` worker threads. Same arguments and
 * result as `model.fit`; use `fit`, which picks this when it applies.
 */
export async function parallelFit(
  model: tf.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  args: tf.ModelFitArgs,
  plan: Plan,
): Promise<tf.History> {
  const n = x.shape[0];
  let trainCount = n;
  let valX: tf.Tensor | null = null;
  let valY: tf.Tensor | null = null;
  if (args.validationData !== undefined) {
    [valX, valY] = args.validationData as [tf.Tensor, tf.Tensor];
  } else if (args.validationSplit !== undefined && args.validationSplit > 0) {
    if (args.validationSplit >= 1) throw new Error(`fit: validationSplit must be below 1, got ${args.validationSplit}`);
    // Like model.fit: the last fraction of the samples, before any shuffle.
    trainCount = Math.floor(n * (1 - args.validationSplit));
  }
  const valCount = valX !== null ? valX.shape[0] : n - trainCount;
  const doValidation = valCount > 0;
  const total = valX !== null ? n + valCount : n;
  const xRow = rowsOf(x).reduce((a, b) => a * b, 1);
  const yRow = rowsOf(y).reduce((a, b) => a * b, 1);
  // The data goes once into shared memory, straight from the wasm heap: the
  // full training set is 188 MB, and every extra copy shows in peak memory.
  const sx = sharedFloats(total * xRow);
  const sy = sharedFloats(total * yRow);
  copyValues(x, sx.view, 0);
  copyValues(y, sy.view, 0);
  if (valX !== null && valY !== null) {
    copyValues(valX, sx.view, n * xRow);
    copyValues(valY, sy.view, n * yRow);
  }
  const valStart = valX !== null ? n : trainCount;

  const epochs = args.epochs ?? 1;
  const initialEpoch = args.initialEpoch ?? 0;
  const batchSize = args.batchSize ?? 32;
  const metricKey = plan.metric === null ? null : "acc";
  const names = metricKey === null ? ["loss"] : ["loss", metricKey];
  const history = new tf.History();
  const callbacks = new tf.CallbackList([history, ...userCallbacks(args.callbacks)]);
  callbacks.setParams({
    epochs,
    initialEpoch,
    samples: trainCount,
    batchSize,
    verbose: args.verbose ?? 1,
    doValidation,
    metrics: doValidation ? [...names, ...names.map((m) => `val_${m}`)] : names,
  });
  callbacks.setModel(model);

  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const readWeights = (): Float32Array[] => vars.map((v) => v.dataSync() as Float32Array);
  const pool = await WorkerPool.start(plan.workers, {
    modelJson: JSON.stringify(model.toJSON(null, false)),
    loss: plan.loss,
    metric: plan.metric,
    data: { x: sx.buffer, y: sy.buffer, xShape: rowsOf(x), yShape: rowsOf(y), count: total },
  });
  const rng = defaultRng();
  model.stopTraining = false;
  try {
    await callbacks.onTrainBegin();
    for (let epoch = initialEpoch; epoch < epochs; epoch++) {
      await callbacks.onEpochBegin(epoch);
      const order = args.shuffle === false ? Array.from({ length: trainCount }, (_, i) => i) : rng.permutation(trainCount);
      let lossSum = 0;
      let metricSum = 0;
      let seen = 0;
      const batches = Math.ceil(trainCount / batchSize);
      for (let b = 0; b < batches; b++) {
        const indices = Int32Array.from(order.slice(b * batchSize, Math.min(trainCount, (b + 1) * batchSize)));
        const logs: tf.Logs = { batch: b, size: indices.length };
        await callbacks.onBatchBegin(b, logs);
        const r = await pool.gradients(readWeights(), indices, indices.length);
        tf.tidy(() => {
          const named: tf.NamedTensorMap = {};
          vars.forEach((v, k) => {
            named[v.name] = tf.tensor(r.grads[k], v.shape);
          });
          (model.optimizer as tf.Optimizer).applyGradients(named);
        });
        lossSum += r.lossSum;
        metricSum += r.metricSum;
        seen += indices.length;
        logs.loss = r.lossSum / indices.length;
        if (metricKey !== null) logs[metricKey] = r.metricSum / indices.length;
        await callbacks.onBatchEnd(b, logs);
        if (model.stopTraining) break;
      }
      const epochLogs: tf.Logs = { loss: lossSum / Math.max(1, seen) };
      if (metricKey !== null) epochLogs[metricKey] = metricSum / Math.max(1, seen);
      if (doValidation) {
        const weights = readWeights();
        let vl = 0;
        let vm = 0;
        const chunk = batchSize * plan.workers;
        for (let s = 0; s < valCount; s += chunk) {
          const idx = new Int32Array(Math.min(chunk, valCount - s));
          for (let i = 0; i < idx.length; i++) idx[i] = valStart + s + i;
          const e = await pool.evaluate(weights, idx);
          vl += e.lossSum;
          vm += e.metricSum;
        }
        epochLogs.val_loss = vl / valCount;
        if (metricKey !== null) epochLogs[`val_${metricKey}`] = vm / valCount;
      }
      await callbacks.onEpochEnd(epoch, epochLogs);
      if (model.stopTraining) break;
    }
    await callbacks.onTrainEnd();
  } finally {
    await pool.close();
  }
  await history.syncData();
  return history;
}

/**
 * Trains `model` like `model.fit(x, y, args)`, with the same arguments
 * (epochs, batchSize, validationSplit, validationData, shuffle, callbacks such
 * as liveProgress()) and the same History, but as fast as the kit can: on the
 * wasm backend it splits each batch across worker threads, one per core.
 * Batch order follows the notebook's seed (`setSeed`), so runs repeat.
 * Where that cannot apply it says why in one line and calls model.fit.
 */
export async function fit(
  model: tf.LayersModel,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor | tf.Tensor[],
  args: tf.ModelFitArgs = {},
  opts: FitOptions = {},
): Promise<tf.History> {
  const plan = parallelPlan(model, x, y, args, opts.workers ?? requestedThreads());
  if (typeof plan === "string") {
    if (!opts.quiet) console.log(`fit: training with model.fit (${plan})`);
    return model.fit(x, y, args);
  }
  return parallelFit(model, x as tf.Tensor, y as tf.Tensor, args, plan);
}
