// fit(): the course CNN trains one batch on wasm and on cpu; the data-parallel
// path matches a single worker, repeats with a seed, drives callbacks with
// model.fit's keys, leaks no tensors, and falls back to model.fit elsewhere.
import { expect } from "chai";
import * as tf from "@tensorflow/tfjs";
import { fit, parallelFit, parallelPlan } from "../../../src/train";
import { setSeed } from "../../../src/random";
import { courseCnn } from "../../support/course-cnn";
import { onWasmBackend } from "../../support/wasm-backend";

function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32;
  }
  return out;
}

/** A small CNN of the same kind, quick enough for several fits. */
function smallCnn(): tf.Sequential {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: k });
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [10, 10, 1], filters: 4, kernelSize: 3, activation: "relu", kernelInitializer: init(1) }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 3, activation: "softmax", kernelInitializer: init(2) }));
  m.compile({ optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  return m;
}

function smallData(n: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const labels = Array.from(values(n, 7), (v) => Math.floor(v * 3));
  const px = values(n * 100, 8);
  // Brighten a label-dependent band so the classes are learnable.
  for (let i = 0; i < n; i++) for (let c = 0; c < 10; c++) px[i * 100 + labels[i] * 30 + c] += 1;
  return { x: tf.tensor4d(px, [n, 10, 10, 1]), y: tf.oneHot(tf.tensor1d(labels, "int32"), 3).toFloat() as tf.Tensor2D };
}

const PLAN = { loss: "categoricalCrossentropy", metric: "categoricalAccuracy" } as const;

describe("fit and the wasm training path", function () {
  this.timeout(600_000);
  onWasmBackend();

  it("trains the course CNN for one batch on wasm and on cpu, to the same loss", async function () {
    // Two images: the cpu backend is slow, and one batch is the point.
    const x = values(2 * 28 * 28, 1);
    const y = [3, 7];
    const lossAfterStep: number[] = [];
    for (const backend of ["cpu", "wasm"]) {
      await tf.setBackend(backend);
      const m = courseCnn();
      const xs = tf.tensor4d(x, [2, 28, 28, 1]);
      const ys = tf.oneHot(tf.tensor1d(y, "int32"), 10).toFloat();
      const first = (await m.trainOnBatch(xs, ys)) as number[];
      const after = m.evaluate(xs, ys) as tf.Scalar[];
      const second = (await after[0].data())[0];
      tf.dispose(after);
      expect(Number.isFinite(first[0])).to.equal(true);
      expect(second, `${backend}: one Adam step lowers the loss`).to.be.below(first[0]);
      lossAfterStep.push(second);
      tf.dispose([xs, ys]);
      m.dispose();
    }
    expect(Math.abs(lossAfterStep[0] - lossAfterStep[1])).to.be.below(1e-4);
    await tf.setBackend("wasm");
  });

  it("gives the same losses on two workers as on one, and repeats exactly with a seed", async function () {
    const { x, y } = smallData(96);
    const args: tf.ModelFitArgs = { epochs: 3, batchSize: 16, validationSplit: 0.25 };
    const run = async (workers: number): Promise<Record<string, number[]>> => {
      setSeed(42);
      const h = await parallelFit(smallCnn(), x, y, args, { ...PLAN, workers });
      return h.history as Record<string, number[]>;
    };
    const one = await run(1);
    const two = await run(2);
    const again = await run(2);
    for (const k of ["loss", "acc", "val_loss", "val_acc"]) {
      expect(two[k]).to.have.length(3);
      two[k].forEach((v, i) => expect(Math.abs(v - one[k][i]), `${k}[${i}]`).to.be.below(1e-4));
    }
    expect(again).to.deep.equal(two);
    expect(two.loss[2]).to.be.below(two.loss[0]);
    tf.dispose([x, y]);
  });

  it("sums the gradients of a share bigger than a worker's slice (128 images) correctly", async function () {
    const { x, y } = smallData(300);
    const run = async (workers: number): Promise<number[]> => {
      setSeed(3);
      const model = smallCnn();
      const h = await parallelFit(model, x, y, { epochs: 2, batchSize: 300 }, { ...PLAN, workers });
      return h.history.loss as number[];
    };
    // One worker takes slices of 128, 128 and 44; two take 128 + 22 each.
    const one = await run(1);
    const two = await run(2);
    setSeed(3);
    const reference = await smallCnn().fit(x, y, { epochs: 2, batchSize: 300, shuffle: false });
    two.forEach((v, i) => expect(Math.abs(v - one[i]), `loss[${i}]`).to.be.below(1e-4));
    // A single full batch: the order does not matter, so model.fit agrees too.
    (reference.history.loss as number[]).forEach((v, i) => expect(Math.abs(v - one[i]), `model.fit loss[${i}]`).to.be.below(1e-4));
    tf.dispose([x, y]);
  });

  it("calls the callbacks with model.fit's log keys and returns an equivalent History, without leaking tensors", async function () {
    const { x, y } = smallData(48);
    const args = (log: string[], counts: number[]): tf.ModelFitArgs => ({
      epochs: 2,
      batchSize: 16,
      validationSplit: 0.25,
      callbacks: {
        onTrainBegin: async () => void log.push("trainBegin"),
        onEpochBegin: async (e) => void log.push(`epochBegin ${e}`),
        onBatchEnd: async (b, logs) => void log.push(`batchEnd ${b} ${Object.keys(logs ?? {}).sort().join(",")}`),
        onEpochEnd: async (e, logs) => {
          log.push(`epochEnd ${e} ${Object.keys(logs ?? {}).sort().join(",")}`);
          counts.push(tf.memory().numTensors);
        },
        onTrainEnd: async () => void log.push("trainEnd"),
      },
    });
    const theirs: string[] = [];
    const ours: string[] = [];
    const counts: number[] = [];
    const refModel = smallCnn();
    const refBefore = tf.memory().numTensors;
    const reference = await refModel.fit(x, y, args(theirs, []));
    // Adam's moment estimates are new tensors that stay, for model.fit as for fit.
    const refGrowth = tf.memory().numTensors - refBefore;
    const model = smallCnn();
    const before = tf.memory().numTensors;
    const plan = parallelPlan(model, x, y, {}, 2);
    expect(plan).to.deep.equal({ ...PLAN, workers: 2 });
    const h = await fit(model, x, y, args(ours, counts), { workers: 2 });
    expect(ours).to.deep.equal(theirs);
    expect(Object.keys(h.history).sort()).to.deep.equal(Object.keys(reference.history).sort());
    expect(h.epoch).to.deep.equal([0, 1]);
    expect(counts[1]).to.equal(counts[0]);
    expect(tf.memory().numTensors - before).to.equal(refGrowth);
    tf.dispose([x, y]);
  });

  it("falls back to model.fit, saying why in one line, where it cannot run in parallel", async function () {
    const { x, y } = smallData(16);
    const lines: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => void lines.push(a.join(" "));
    try {
      await tf.setBackend("cpu");
      const h = await fit(smallCnn(), x, y, { epochs: 1, batchSize: 8 });
      expect(h.history.loss).to.have.length(1);
    } finally {
      console.log = log;
      await tf.setBackend("wasm");
    }
    expect(lines).to.deep.equal(["fit: training with model.fit (the cpu backend trains fastest with model.fit itself)"]);
    const m = smallCnn();
    m.compile({ optimizer: "sgd", loss: "categoricalCrossentropy", metrics: ["accuracy", "mse"] });
    expect(parallelPlan(m, x, y, {}, 2)).to.equal("metrics other than accuracy");
    expect(parallelPlan(smallCnn(), x, y, { classWeight: { 0: 2 } }, 2)).to.equal("the classWeight argument");
    expect(parallelPlan(smallCnn(), x, y, {}, 1)).to.equal("only one thread is available");
    tf.dispose([x, y]);
  });

  it("rejects mismatched samples and an impossible validation split clearly", async function () {
    const { x, y } = smallData(16);
    const short = y.slice(0, 8);
    let err: Error | null = null;
    await fit(smallCnn(), x, short, { epochs: 1 }).catch((e: Error) => (err = e));
    expect(String(err)).to.match(/fit: x has 16 samples but y has 8; they must match/);
    err = null;
    await parallelFit(smallCnn(), x, y, { validationSplit: 1 }, { ...PLAN, workers: 2 }).catch((e: Error) => (err = e));
    expect(String(err)).to.match(/validationSplit must be below 1, got 1/);
    tf.dispose([x, y, short]);
  });
});
