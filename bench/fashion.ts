// Notebook 05's two trainings outside the kernel, with the same src/ code
// (setupBackend, loadFashionMnist, fit), to choose its default settings fast.
//
//   npm run bench -- fashion [--model mlp|cnn|both] [--images 12000] [--epochs 2]
//       [--batch 64] [--lr 0.001] [--seed 5]
//
// Prints, per model: validation accuracy per epoch, test accuracy on all 10,000
// test images, wall time and CPU time (all threads of this process). On a busy
// machine wall time is inflated; CPU time / cores is the quiet-machine estimate.
import * as tf from "@tensorflow/tfjs";
import * as os from "os";
import { setupBackend } from "../src/backend";
import { fit } from "../src/train";
import { loadFashionMnist, fashionTensors } from "../src/fashion-mnist";
import { setSeed } from "../src/random";

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i < 0 ? fallback : args[i + 1];
}

function num(args: string[], name: string, fallback: number): number {
  const raw = arg(args, name, String(fallback));
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number, got "${raw}"`);
  return v;
}

/** The notebook's MLP: 784 -> Dense(100, tanh) -> Dense(100, tanh) -> Dense(10, softmax). */
function mlp(seed: number): tf.Sequential {
  const init = () => tf.initializers.glorotUniform({ seed: seed++ });
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 100, activation: "tanh", kernelInitializer: init() }),
      tf.layers.dense({ units: 100, activation: "tanh", kernelInitializer: init() }),
      tf.layers.dense({ units: 10, activation: "softmax", kernelInitializer: init() }),
    ],
  });
}

/** The notebook's CNN: Conv32 - Conv64 - MaxPool2 - Flatten - Dense10. */
function cnn(seed: number): tf.Sequential {
  const init = () => tf.initializers.glorotUniform({ seed: seed++ });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: "relu", kernelInitializer: init() }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: "relu", kernelInitializer: init() }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: "softmax", kernelInitializer: init() }),
    ],
  });
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function train(kind: "mlp" | "cnn", images: number, epochs: number, batch: number, lr: number, seed: number): Promise<void> {
  const layout = kind === "mlp" ? "flat" : "image";
  setSeed(seed);
  const model = kind === "mlp" ? mlp(42) : cnn(7);
  model.compile({ optimizer: tf.train.adam(lr), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  const tr = fashionTensors(loadFashionMnist({ split: "train", limit: images, layout }));
  const te = fashionTensors(loadFashionMnist({ split: "test", layout }));
  const wall0 = performance.now();
  const cpu0 = cpuSeconds();
  const h = await fit(model, tr.x, tr.y, { epochs, batchSize: batch, validationSplit: 0.1 });
  const wall = (performance.now() - wall0) / 1000;
  const cpu = cpuSeconds() - cpu0;
  const testAcc = tf.tidy(() => tf.metrics.categoricalAccuracy(te.y, model.predict(te.x, { batchSize: 500 }) as tf.Tensor).mean().dataSync()[0]);
  const val = (h.history.val_acc as number[]).map((v) => v.toFixed(3)).join(" ");
  console.log(
    `${kind} images ${images} epochs ${epochs} batch ${batch} lr ${lr}: val ${val} | test ${testAcc.toFixed(4)} | ` +
      `wall ${wall.toFixed(1)} s, cpu ${cpu.toFixed(1)} s (${(cpu / os.cpus().length).toFixed(1)} s per core); load ${os.loadavg()[0].toFixed(1)}`,
  );
  tf.dispose([tr.x, tr.y, tr.labels, te.x, te.y, te.labels]);
  model.dispose();
}

/** Entry point for `npm run bench -- fashion`. */
export async function main(args: string[]): Promise<void> {
  await setupBackend();
  const which = arg(args, "--model", "both");
  const images = num(args, "--images", 12000);
  const epochs = num(args, "--epochs", 2);
  const batch = num(args, "--batch", 64);
  const lr = num(args, "--lr", 0.001);
  const seed = num(args, "--seed", 5);
  if (which === "mlp" || which === "both") await train("mlp", images, epochs, batch, lr, seed);
  if (which === "cnn" || which === "both") await train("cnn", images, epochs, batch, lr, seed);
}
