// Where a training step of the course CNN spends its time, kernel by kernel,
// on one single-threaded wasm replica: what each of fit()'s gradient workers
// runs for its share of a batch (32 images of the notebook's batch of 64 on
// 2 cores).
//
//   npm run bench -- training-profile [--share 32] [--steps 20] [--shapes]
//
// Prints one row per kernel name (with --shapes, per name and input shapes): milliseconds per step, calls per step and
// the share of the kernels' total, then the wall time of a step.
import * as tf from "@tensorflow/tfjs";
import { setupBackend } from "../src/backend";
import { loadFashionMnist, fashionTensors } from "../src/fashion-mnist";
import { courseCnn } from "../test/support/course-cnn";
import { option } from "./training";

/** One gradient step as a worker takes it (loss summed, gradients read back). */
function step(model: tf.LayersModel, vars: tf.Variable[], x: tf.Tensor, y: tf.Tensor): void {
  const { value, grads } = tf.variableGrads(() => {
    const pred = model.apply(x, { training: true }) as tf.Tensor;
    const sum = tf.sum(tf.metrics.categoricalCrossentropy(y, pred));
    sum.dataSync();
    return tf.div(sum, x.shape[0]) as tf.Scalar;
  }, vars);
  for (const v of vars) grads[v.name].dataSync();
  tf.dispose([value, ...Object.values(grads)]);
}

/** Entry point for `npm run bench -- training-profile`. */
export async function main(args: string[]): Promise<void> {
  const share = option(args, "--share", 32);
  const steps = option(args, "--steps", 20);
  const byShape = args.includes("--shapes");
  await setupBackend({ backend: "wasm", threads: 1 });
  const { x, y, labels } = fashionTensors(loadFashionMnist({ limit: share, layout: "image" }));
  labels.dispose();
  const model = courseCnn();
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  for (let i = 0; i < 3; i++) step(model, vars, x, y);
  const ms = new Map<string, { ms: number; calls: number }>();
  const started = performance.now();
  for (let i = 0; i < steps; i++) {
    const info = await tf.profile(() => step(model, vars, x, y));
    for (const k of info.kernels) {
      const key = byShape ? `${k.name} ${k.inputShapes.map((sh) => `[${sh}]`).join(" ")}` : k.name;
      const row = ms.get(key) ?? { ms: 0, calls: 0 };
      row.ms += k.kernelTimeMs as number;
      row.calls += 1;
      ms.set(key, row);
    }
  }
  const wall = (performance.now() - started) / steps;
  const total = [...ms.values()].reduce((a, r) => a + r.ms, 0);
  console.log(`course CNN, one wasm replica (1 thread), ${share} images per step, ${steps} steps profiled`);
  console.log("| kernel | ms per step | calls per step | share |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const [name, r] of [...ms.entries()].sort((a, b) => b[1].ms - a[1].ms)) {
    if (r.ms / total < 0.002) continue;
    console.log(`| ${name} | ${(r.ms / steps).toFixed(2)} | ${(r.calls / steps).toFixed(0)} | ${((100 * r.ms) / total).toFixed(1)}% |`);
  }
  console.log(`| all kernels | ${(total / steps).toFixed(2)} | | |`);
  console.log(`step wall time (profiling included) ${wall.toFixed(1)} ms: ${((share * 1000) / wall).toFixed(0)} img/s on one core`);
  tf.dispose([x, y]);
}
