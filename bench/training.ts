// Training throughput of the course CNN on the default backend, side by side
// with PyTorch on the same machine. Our repetitions and PyTorch's alternate
// (each of ours is one epoch of one fit() call; PyTorch's run in between,
// while our workers wait), so load from other processes hits both alike.
//
//   npm run bench -- training [--images 6400] [--batch 64] [--reps 3] [--course-recipe]
//
// The default is what notebook 05 runs by default: the CNN in batches of 64
// (each of fit()'s workers computes 32 of them); a repetition is 100 such
// steps (6,400 images; --images 18000 is one whole epoch of the notebook).
// --course-recipe uses the course's batch of 512 instead (issue #9's setting).
// Both sides train the same model with the same batch and the same number of
// threads (one per core).
//
// --full-epoch instead trains the course recipe for one epoch on all 60,000
// training images (54,000 after the 0.1 validation split) and reports the
// time, the accuracies and the peak memory.
import * as tf from "@tensorflow/tfjs";
import { spawn, spawnSync, ChildProcessWithoutNullStreams } from "child_process";
import * as os from "os";
import * as path from "path";
import * as readline from "readline";
import { setupBackend } from "../src/backend";
import { fit } from "../src/train";
import { loadFashionMnist, fashionTensors, findFashionMnistDir } from "../src/fashion-mnist";
import { setSeed } from "../src/random";
import { courseCnn } from "../test/support/course-cnn";

/** A whole-number option `name N` (N >= 1) from the bench's arguments, or `fallback`. */
export function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} needs a whole number >= 1, got "${args[i + 1]}"`);
  return v;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function load(): string {
  return os.loadavg().map((l) => l.toFixed(1)).join(" ");
}

/** A Python that can import torch: NNKIT_TORCH_PYTHON, Debian's /usr/bin/python3, then PATH's. */
function pythonWithTorch(): string | null {
  const candidates = [process.env.NNKIT_TORCH_PYTHON, "/usr/bin/python3", "python3"].filter((c): c is string => !!c);
  for (const py of candidates) {
    const r = spawnSync(py, ["-c", "import torch, numpy"], { stdio: "ignore", timeout: 60_000 });
    if (r.status === 0) return py;
  }
  return null;
}

/** The PyTorch side: one long-lived process that trains on request. */
class Torch {
  private lines: AsyncIterableIterator<string>;
  private constructor(private readonly proc: ChildProcessWithoutNullStreams) {
    this.lines = readline.createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
    proc.stderr.on("data", (d: Buffer) => process.stderr.write(d));
  }

  static async start(py: string, images: number, batch: number): Promise<Torch> {
    const script = path.join(__dirname, "training_torch.py");
    const args = [script, "--data", findFashionMnistDir(), "--images", String(images), "--batch", String(batch), "--threads", String(os.cpus().length)];
    const t = new Torch(spawn(py, args));
    const first = await t.next();
    if (first !== "ready") throw new Error(`PyTorch bench did not start: ${first}`);
    return t;
  }

  private async next(): Promise<string> {
    const r = await this.lines.next();
    if (r.done) throw new Error("PyTorch bench exited early");
    return r.value;
  }

  async run(): Promise<number> {
    this.proc.stdin.write("run\n");
    const line = await this.next();
    const m = /^img\/s ([\d.]+)$/.exec(line);
    if (m === null) throw new Error(`unexpected PyTorch bench output: ${line}`);
    return Number(m[1]);
  }

  close(): void {
    this.proc.stdin.end("quit\n");
  }
}

async function throughput(images: number, batch: number, reps: number): Promise<void> {
  const choice = await setupBackend();
  const data = loadFashionMnist({ limit: images, layout: "image" });
  const { x, y, labels } = fashionTensors(data);
  labels.dispose();
  const py = pythonWithTorch();
  let torch: Torch | null = null;
  if (py === null) console.log("PyTorch not found (tried NNKIT_TORCH_PYTHON, /usr/bin/python3, python3): pytorch n/a");
  else torch = await Torch.start(py, images, batch);
  console.log(`course CNN, batch ${batch}, ${images} images per repetition, ${reps} repetitions after a warm-up; load ${load()}`);
  const ours: number[] = [];
  const theirs: number[] = [];
  let started = 0;
  setSeed(0);
  // Epoch 0 is the warm-up; each later epoch is one timed repetition.
  await fit(courseCnn(), x, y, {
    epochs: reps + 1,
    batchSize: batch,
    callbacks: {
      onEpochBegin: async () => {
        started = performance.now();
      },
      onEpochEnd: async (epoch) => {
        const rate = images / ((performance.now() - started) / 1000);
        if (epoch === 0) return;
        ours.push(rate);
        let line = `  rep ${epoch}: ours ${rate.toFixed(0)} img/s`;
        if (torch !== null) {
          const t = await torch.run();
          theirs.push(t);
          line += `, pytorch ${t.toFixed(0)} img/s`;
        }
        console.log(`${line}  (load ${load()})`);
      },
    },
  });
  torch?.close();
  tf.dispose([x, y]);
  const mine = median(ours);
  const backend = choice.name === "wasm" ? `wasm, ${choice.threads} threads` : choice.name;
  if (theirs.length === 0) {
    console.log(`training: ${mine.toFixed(0)} img/s (${backend}), pytorch n/a`);
  } else {
    const ref = median(theirs);
    console.log(`training: ${mine.toFixed(0)} img/s (${backend}), pytorch ${ref.toFixed(0)} img/s, ratio ${(mine / ref).toFixed(2)}`);
  }
}

async function fullEpoch(): Promise<void> {
  const choice = await setupBackend();
  // The loaded arrays are dropped once they are tensors: only the tensors stay.
  const tr = fashionTensors(loadFashionMnist({ layout: "image" }));
  const te = fashionTensors(loadFashionMnist({ split: "test", layout: "image" }));
  setSeed(0);
  const model = courseCnn();
  const before = tf.memory().numTensors;
  const t = performance.now();
  const h = await fit(model, tr.x, tr.y, {
    epochs: 1,
    batchSize: 512,
    validationSplit: 0.1,
    callbacks: {
      onBatchEnd: async (batch, logs) => {
        if ((batch + 1) % 10 !== 0) return;
        const s = (performance.now() - t) / 1000;
        console.log(`  batch ${batch + 1}/106: ${s.toFixed(0)} s, loss ${logs?.loss?.toFixed(4)}, acc ${logs?.acc?.toFixed(4)}; load ${load()}`);
      },
    },
  });
  const seconds = (performance.now() - t) / 1000;
  const testAcc = tf.tidy(() => tf.metrics.categoricalAccuracy(te.y, model.predict(te.x, { batchSize: 500 }) as tf.Tensor).mean().dataSync()[0]);
  const last = (k: string): string => (h.history[k]?.[0] as number | undefined)?.toFixed(4) ?? "n/a";
  console.log(`one epoch, 54,000 images (${choice.name}, ${choice.threads} threads): ${seconds.toFixed(1)} s, ${(54000 / seconds).toFixed(0)} img/s; load ${load()}`);
  console.log(`loss ${last("loss")}, acc ${last("acc")}, val_acc ${last("val_acc")}, test acc ${testAcc.toFixed(4)}`);
  console.log(`tensors before/after fit: ${before}/${tf.memory().numTensors}; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}

/** Entry point for `npm run bench -- training`. */
export async function main(args: string[]): Promise<void> {
  if (args.includes("--full-epoch")) await fullEpoch();
  else {
    // Notebook 05's default batch, or the course recipe's with --course-recipe.
    const batch = option(args, "--batch", args.includes("--course-recipe") ? 512 : 64);
    await throughput(option(args, "--images", 6400), batch, option(args, "--reps", 3));
  }
}
