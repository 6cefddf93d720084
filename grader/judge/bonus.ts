/**
 * The bonus competition of notebook 05: a student saves a trained tfjs model (model.json + weights.bin)
 * and its seed (bonus.json) in `bonus-model/` next to the notebook. The grader measures the model's
 * test accuracy itself; what the student printed counts for nothing. Models under BONUS_THRESHOLD do not
 * qualify, the rest are ranked by accuracy. On request, the student's `bonus-model` cell is rerun with the
 * same seed in a separate time-limited job, and the rerun's accuracy is compared with the saved model's.
 *
 * Trust: the parent reads and checks the saved files (plain data), runs the model in a sandboxed child
 * (grader/run/sandbox.ts: no writes, no network, no processes) that only returns the predicted labels, and
 * counts the correct ones itself against the labels it read.
 */
import * as fs from "fs";
import * as path from "path";
import type * as tfTypes from "@tensorflow/tfjs";
import { defaultReadPaths, spawnSandboxed } from "../run/sandbox";
import { cellSource, cellTags, readNotebook } from "../core/notebook";
import { runNotebook } from "../run/run";
import type { PlannedCell } from "../run/cells";
import { findFashionMnistDir, loadFashionMnist } from "../../src/fashion-mnist";
import { KIT_ROOT } from "../core/version";

/** Test accuracy a bonus model needs to qualify. */
export const BONUS_THRESHOLD = 0.75;
/** The folder, next to the notebook, that holds the saved bonus model. */
export const BONUS_DIR = "bonus-model";
/** The notebook whose `bonus-model` cell trains the bonus model. */
export const BONUS_NOTEBOOK = "05_fashion_mnist.ipynb";
/** Largest accepted weights.bin: a 25M-parameter float32 model; larger models are not a course exercise. */
const MAX_WEIGHT_BYTES = 100 * 1024 * 1024;

/** What the student saved besides the model (bonus.json). */
export interface BonusMeta {
  seed: number;
}

/** The grader's own measurement of a saved bonus model. */
export interface BonusEvaluation {
  accuracy: number;
  correct: number;
  total: number;
  params: number;
  /** How the model reads an image: 784 flat pixels or a 28x28x1 image (pixels scaled to [0, 1] either way). */
  input: "flat" | "image";
  seconds: number;
}

/** The saved artifacts of a bonus model, validated but not yet turned into a model. */
export interface BonusArtifacts {
  modelTopology: object;
  weightSpecs: tfTypes.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
  meta: BonusMeta;
}

/** Byte size of one weight tensor in weights.bin. */
function weightBytes(spec: tfTypes.io.WeightsManifestEntry): number {
  const perValue: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
  const size = perValue[spec.dtype];
  if (size === undefined || spec.quantization) throw new Error(`weight ${spec.name} has unsupported dtype ${spec.dtype}${spec.quantization ? " (quantized)" : ""}`);
  return spec.shape.reduce((a, b) => a * b, 1) * size;
}

/** Reads JSON from a file of the bonus folder, with an error that names the file. */
function readJson(file: string): unknown {
  if (!fs.existsSync(file)) throw new Error(`${path.basename(file)} is missing in ${path.dirname(file)}`);
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${path.basename(file)} in ${path.dirname(file)} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * Reads and checks a bonus folder: model.json (tfjs layers format, one weights file), weights.bin whose size
 * matches the manifest, and bonus.json with an integer seed. Throws an error that says what is wrong.
 */
export function readBonusFolder(dir: string): BonusArtifacts {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`no bonus model folder at ${dir}`);
  const modelJson = readJson(path.join(dir, "model.json")) as {
    modelTopology?: unknown;
    weightsManifest?: { paths?: unknown; weights?: tfTypes.io.WeightsManifestEntry[] }[];
  };
  if (typeof modelJson !== "object" || modelJson === null || typeof modelJson.modelTopology !== "object" || modelJson.modelTopology === null) {
    throw new Error("model.json has no modelTopology: save the model with model.save (tfjs layers format)");
  }
  const groups = modelJson.weightsManifest;
  if (!Array.isArray(groups) || groups.length === 0) throw new Error("model.json has no weightsManifest");
  const weightSpecs: tfTypes.io.WeightsManifestEntry[] = [];
  const files: string[] = [];
  for (const g of groups) {
    if (!Array.isArray(g.paths) || !Array.isArray(g.weights)) throw new Error("model.json: each weightsManifest entry needs paths and weights");
    for (const p of g.paths) {
      // Only plain file names inside the folder: a path could otherwise point anywhere on the grader's disk.
      if (typeof p !== "string" || p !== path.basename(p) || p.startsWith(".")) throw new Error(`model.json names an invalid weights file: ${String(p)}`);
      files.push(p);
    }
    weightSpecs.push(...g.weights);
  }
  const expected = weightSpecs.reduce((n, s) => n + weightBytes(s), 0);
  if (expected > MAX_WEIGHT_BYTES) throw new Error(`the model has ${expected} bytes of weights, more than the limit of ${MAX_WEIGHT_BYTES}`);
  const buffers = files.map((f) => {
    const file = path.join(dir, f);
    if (!fs.existsSync(file)) throw new Error(`${f} (named in model.json) is missing in ${dir}`);
    return fs.readFileSync(file);
  });
  const weights = Buffer.concat(buffers);
  if (weights.length !== expected) {
    throw new Error(`the weights files hold ${weights.length} bytes but model.json describes ${expected}: save model.json and weights together`);
  }
  const meta = readJson(path.join(dir, "bonus.json")) as { seed?: unknown };
  if (typeof meta !== "object" || meta === null || typeof meta.seed !== "number" || !Number.isInteger(meta.seed)) {
    throw new Error("bonus.json must hold an integer seed, e.g. {\"seed\": 2026}");
  }
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.length) as ArrayBuffer;
  return { modelTopology: modelJson.modelTopology as object, weightSpecs, weightData, meta: { seed: meta.seed } };
}

/** Options of the bonus evaluation. */
export interface BonusEvalOptions {
  /** The kit root (node_modules, dataset search); default: this kit. */
  root?: string;
  /** Evaluate on the first `limit` test images only (tests); default all 10,000. */
  limit?: number;
  /** Kill the evaluation after this long (default 10 minutes). */
  timeoutMs?: number;
  /** Heap cap of the child in MB (default 3072). */
  memoryMb?: number;
}

/**
 * Where the sandboxed children find the test set: the folder the trusted parent found, passed as
 * FASHION_MNIST_DIR and made readable. Searching in the child would probe folders the permission model
 * forbids, and Node 20 answers such a probe with an error instead of "not found".
 */
function datasetAccess(root: string): { env: Record<string, string>; allowRead: string[] } {
  const dir = path.resolve(findFashionMnistDir());
  // Node 20 aborts when one path is allowed twice, so add it only when the defaults lack it.
  const known = defaultReadPaths(root).map((p) => path.resolve(p));
  return { env: { FASHION_MNIST_DIR: dir }, allowRead: known.includes(dir) ? [] : [dir] };
}

/**
 * The sandboxed child: loads the model from the artifacts on stdin, predicts the test images in batches and
 * sends the predicted labels on fd 3. It has no judging logic; the parent counts.
 */
const PREDICT_CHILD = String.raw`
const fs = require("fs");
const send = (m) => fs.writeSync(3, JSON.stringify(m) + "\n");
(async () => {
  const job = JSON.parse(fs.readFileSync(0, "utf8"));
  const tf = require("@tensorflow/tfjs");
  try {
    require("@tensorflow/tfjs-backend-wasm");
    if (!(await tf.setBackend("wasm"))) throw new Error("wasm did not initialise");
  } catch (e) {
    await tf.setBackend("cpu");
  }
  const weights = Buffer.from(job.weights, "base64");
  const model = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: job.modelTopology,
    weightSpecs: job.weightSpecs,
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.length),
  }));
  const out = model.outputs[0].shape;
  if (out.length !== 2 || out[1] !== 10) throw new Error("the model's output shape is [" + out.join(", ") + "]; expected [null, 10]");
  const { loadFashionMnist } = require("nnkit");
  const test = loadFashionMnist({ split: "test", limit: job.limit, layout: job.input });
  const predicted = [];
  const batch = 500;
  for (let start = 0; start < test.count; start += batch) {
    const count = Math.min(batch, test.count - start);
    const labels = tf.tidy(() => {
      const x = tf.tensor(test.images.subarray(start * 784, (start + count) * 784), [count, ...test.shape.slice(1)], "float32");
      return model.predict(x).argMax(-1).dataSync();
    });
    for (const l of labels) predicted.push(l);
  }
  send({ t: "predictions", backend: tf.getBackend(), params: model.countParams(), labels: predicted });
})().catch((e) => {
  send({ t: "error", message: String(e && e.message ? e.message : e) });
});
`;

/** The input layout a saved model expects, read from its topology (the first layer's batchInputShape). */
export function modelInputLayout(topology: object): "flat" | "image" {
  const find = (node: unknown): number[] | undefined => {
    if (Array.isArray(node)) {
      for (const item of node) {
        const found = find(item);
        if (found) return found;
      }
    } else if (node !== null && typeof node === "object") {
      const rec = node as Record<string, unknown>;
      const shape = rec.batch_input_shape ?? rec.batchInputShape ?? rec.batch_shape;
      if (Array.isArray(shape)) return shape as number[];
      for (const value of Object.values(rec)) {
        const found = find(value);
        if (found) return found;
      }
    }
    return undefined;
  };
  const shape = find(topology);
  if (!shape) throw new Error("model.json does not say the model's input shape (batch_input_shape)");
  if (shape.length === 2 && shape[1] === 784) return "flat";
  if (shape.length === 4 && shape[1] === 28 && shape[2] === 28 && shape[3] === 1) return "image";
  throw new Error(`the model's input shape is [${shape.join(", ")}]; expected [null, 784] or [null, 28, 28, 1] (pixels scaled to [0, 1])`);
}

/** Labels of the first `limit` test images (all when undefined), read by the trusted parent. */
function testLabels(limit: number | undefined): Int32Array {
  return loadFashionMnist({ split: "test", limit }).labels;
}

/** Runs the prediction child in the sandbox on already validated artifacts; resolves with the predicted labels. */
async function predictSandboxed(a: BonusArtifacts, input: "flat" | "image", opts: BonusEvalOptions): Promise<{ labels: number[]; params: number; backend: string }> {
  let reply: { t: string; labels?: number[]; params?: number; backend?: string; message?: string } | undefined;
  const box = spawnSandboxed({
    root: opts.root ?? KIT_ROOT,
    program: { code: PREDICT_CHILD },
    ...datasetAccess(opts.root ?? KIT_ROOT),
    memoryMb: opts.memoryMb ?? 3072,
    timeoutMs: opts.timeoutMs ?? 10 * 60 * 1000,
    stdin: JSON.stringify({
      modelTopology: a.modelTopology,
      weightSpecs: a.weightSpecs,
      weights: Buffer.from(a.weightData).toString("base64"),
      limit: opts.limit,
      input,
    }),
    messageCapBytes: 16 * 1024 * 1024,
    onMessage: (m) => {
      if (reply === undefined) reply = m as typeof reply;
    },
  });
  const exit = await box.done;
  if (exit.killedFor) throw new Error(`the evaluation was stopped: ${exit.killedFor}`);
  if (exit.outOfMemory) throw new Error(`the evaluation ran out of memory (${opts.memoryMb ?? 3072} MB)`);
  if (!reply) throw new Error(`the evaluation child sent no result (exit ${exit.code ?? exit.signal}): ${exit.stderr.slice(-800)}`);
  if (reply.t === "error") throw new Error(`the saved model cannot be evaluated: ${reply.message ?? "unknown error"}`);
  if (reply.t !== "predictions" || !Array.isArray(reply.labels)) throw new Error("the evaluation child sent a malformed result");
  return { labels: reply.labels, params: Number(reply.params), backend: String(reply.backend) };
}

/** Accuracy of predicted labels against the true ones; the counts must match. */
function score(predicted: number[], truth: Int32Array): { correct: number; total: number; accuracy: number } {
  if (predicted.length !== truth.length) throw new Error(`the model predicted ${predicted.length} labels for ${truth.length} test images`);
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) correct++;
  return { correct, total: truth.length, accuracy: correct / truth.length };
}

/**
 * Measures the test accuracy of the bonus model saved in `dir`: the files are checked here, the model runs in
 * a sandboxed child on the test images (all 10,000 unless `limit`), and the correct predictions are counted here.
 */
export async function evaluateBonusSandboxed(dir: string, opts: BonusEvalOptions = {}): Promise<BonusEvaluation> {
  const started = Date.now();
  const artifacts = readBonusFolder(dir);
  const input = modelInputLayout(artifacts.modelTopology);
  const { labels, params } = await predictSandboxed(artifacts, input, opts);
  return { ...score(labels, testLabels(opts.limit)), params, input, seconds: (Date.now() - started) / 1000 };
}

/** One student's line in the bonus report. */
export interface BonusEntry {
  student: string;
  /** "ranked": at or above the threshold; "below": measured but under it; "invalid": no usable model. */
  status: "ranked" | "below" | "invalid";
  rank?: number;
  accuracy?: number;
  params?: number;
  seed?: number;
  reason?: string;
}

export interface BonusReport {
  threshold: number;
  testImages: number;
  entries: BonusEntry[];
}

/** A submission's bonus folder, e.g. `<unpacked submission>/bonus-model`. */
export interface BonusSubmission {
  student: string;
  modelDir: string;
}

/**
 * Evaluates every submission's bonus model (one sandboxed child at a time: the machine's cores go to the model)
 * and ranks those at or above the threshold by test accuracy, best first; equal accuracies share a rank.
 * Missing or broken models are listed with the reason, never dropped.
 */
export async function bonusReport(
  submissions: BonusSubmission[],
  opts: BonusEvalOptions & { threshold?: number; evaluate?: (dir: string, o: BonusEvalOptions) => Promise<BonusEvaluation> } = {},
): Promise<BonusReport> {
  const threshold = opts.threshold ?? BONUS_THRESHOLD;
  const evaluate = opts.evaluate ?? evaluateBonusSandboxed;
  const entries: BonusEntry[] = [];
  for (const s of submissions) {
    try {
      const seed = readBonusFolder(s.modelDir).meta.seed;
      const e = await evaluate(s.modelDir, opts);
      entries.push({ student: s.student, status: e.accuracy >= threshold ? "ranked" : "below", accuracy: e.accuracy, params: e.params, seed });
    } catch (err) {
      entries.push({ student: s.student, status: "invalid", reason: (err as Error).message });
    }
  }
  const order = { ranked: 0, below: 1, invalid: 2 };
  entries.sort((a, b) => order[a.status] - order[b.status] || (b.accuracy ?? 0) - (a.accuracy ?? 0) || a.student.localeCompare(b.student));
  let rank = 0;
  entries.forEach((e, i) => {
    if (e.status !== "ranked") return;
    if (i === 0 || e.accuracy !== entries[i - 1].accuracy) rank = i + 1;
    e.rank = rank;
  });
  return { threshold, testImages: opts.limit ?? 10000, entries };
}

/** The bonus report as a text table for the terminal. */
export function formatBonusReport(report: BonusReport): string {
  const lines = [`Bonus: test accuracy on ${report.testImages} test images, measured by the grader; qualifying: >= ${report.threshold}`];
  lines.push(["rank", "student", "accuracy", "params", "seed", "note"].join("\t"));
  for (const e of report.entries) {
    const note = e.status === "below" ? `below ${report.threshold}: does not qualify` : e.status === "invalid" ? `no valid model: ${e.reason}` : "";
    lines.push([e.rank ?? "-", e.student, e.accuracy !== undefined ? e.accuracy.toFixed(4) : "-", e.params ?? "-", e.seed ?? "-", note].join("\t"));
  }
  return lines.join("\n");
}

/** The result of rerunning a student's bonus cell with the saved seed. */
export interface BonusReproduction {
  student?: string;
  seed: number;
  savedAccuracy: number;
  rerunAccuracy: number;
  /** rerun minus saved. */
  difference: number;
  seconds: number;
}

/** Marker line of the injected cell that prints the rerun model's predictions. */
const RERUN_MARKER = "NNKIT_BONUS_RERUN ";

/** Cells injected around the student's bonus cell: capture the model instead of writing files, then predict. */
const CAPTURE_CELL = `async function saveBonusModel(model: tf.LayersModel, dir: string, seed: number): Promise<void> {
  (globalThis as { __nnkitBonusModel?: tf.LayersModel }).__nnkitBonusModel = model;
}`;
/** The injected cell that predicts the test images with the captured model and prints the labels. */
function predictCell(limit: number | undefined): string {
  const options = `{ split: "test", layout: shape.length === 4 ? "image" : "flat"${limit !== undefined ? `, limit: ${Math.floor(limit)}` : ""} }`;
  return `import { loadFashionMnist as nnkitLoadFashionMnist } from "nnkit";
{
  const bonusModel = (globalThis as { __nnkitBonusModel?: tf.LayersModel }).__nnkitBonusModel;
  if (!bonusModel) throw new Error("the bonus cell did not call saveBonusModel(model, dir, seed)");
  const shape = bonusModel.inputs[0].shape;
  const bonusTest = nnkitLoadFashionMnist(${options});
  const predicted: number[] = [];
  for (let start = 0; start < bonusTest.count; start += 500) {
    const count = Math.min(500, bonusTest.count - start);
    const labels = tf.tidy(() => (bonusModel.predict(tf.tensor(bonusTest.images.subarray(start * 784, (start + count) * 784), [count, ...bonusTest.shape.slice(1)])) as tf.Tensor).argMax(-1).dataSync());
    predicted.push(...Array.from(labels));
  }
  console.log("${RERUN_MARKER}" + JSON.stringify(predicted));
}`;
}

/**
 * Reruns a submission's bonus training in a separate sandboxed job and compares its accuracy with the saved model's.
 * The job runs the submission's cells that the master does not mark `skip-in-grader`, then the cell the master
 * tags `bonus-model` (found by cell id), with `saveBonusModel` replaced by an in-memory capture (the sandbox
 * cannot write files). The bonus cell must draw its randomness from the seed it saves; the difference shows how
 * far it does.
 */
export async function reproduceBonus(
  notebookPath: string,
  modelDir: string,
  opts: BonusEvalOptions & { masterPath?: string; student?: string; savedAccuracy?: number } = {},
): Promise<BonusReproduction> {
  const started = Date.now();
  const root = opts.root ?? KIT_ROOT;
  const timeoutMs = opts.timeoutMs ?? 30 * 60 * 1000;
  const seed = readBonusFolder(modelDir).meta.seed;
  const savedAccuracy = opts.savedAccuracy ?? (await evaluateBonusSandboxed(modelDir, opts)).accuracy;
  const master = readNotebook(opts.masterPath ?? path.join(root, "notebooks", BONUS_NOTEBOOK));
  const tagsById = new Map(master.cells.map((c) => [c.id ?? "", cellTags(c)]));
  const bonusId = master.cells.find((c) => cellTags(c).includes("bonus-model"))?.id;
  if (!bonusId) throw new Error("the master notebook has no cell tagged bonus-model");
  const submission = readNotebook(notebookPath);
  const cells: { id: string; source: string }[] = [];
  for (const cell of submission.cells) {
    if (cell.cell_type !== "code") continue;
    const id = cell.id ?? "";
    if (id === bonusId) {
      cells.push({ id: "nnkit-bonus-capture", source: CAPTURE_CELL }, { id, source: cellSource(cell) });
      cells.push({ id: "nnkit-bonus-predict", source: predictCell(opts.limit) });
      break;
    }
    if (!(tagsById.get(id) ?? []).includes("skip-in-grader")) cells.push({ id, source: cellSource(cell) });
  }
  if (!cells.some((c) => c.id === bonusId)) throw new Error(`the submission has no cell with id ${bonusId} (the bonus-model cell)`);
  const memoryMb = opts.memoryMb ?? 4096;
  const planned: PlannedCell[] = cells.map((c) => ({ id: c.id, source: c.source, tags: [], origin: "submission" }));
  // The runner's request protocol (grader/run/run.ts), one try: a rerun that fails is reported, not retried.
  const run = await runNotebook(root, planned, [], { cellTimeoutMs: timeoutMs, notebookTimeoutMs: timeoutMs, probeTimeoutMs: 1000, memoryMb }, {
    ...datasetAccess(root),
    outputCapBytes: 4 * 1024 * 1024,
    retries: 0,
  });
  for (const c of cells) {
    const end = run.cells.find((r) => r.id === c.id);
    if (!end || (!end.ok && /^not run: /.test(end.error ?? ""))) throw new Error(`the rerun stopped before cell ${c.id} finished${run.reason ? ` (${run.reason})` : ""}`);
    if (!end.ok) throw new Error(`cell ${c.id} failed in the rerun: ${end.error ?? "unknown error"}`);
  }
  const out = run.cells[run.cells.length - 1].stdout;
  const line = out.split("\n").find((l) => l.startsWith(RERUN_MARKER));
  if (!line) throw new Error("the rerun printed no predictions");
  const predicted = JSON.parse(line.slice(RERUN_MARKER.length)) as number[];
  const rerunAccuracy = score(predicted, testLabels(opts.limit)).accuracy;
  return { student: opts.student, seed, savedAccuracy, rerunAccuracy, difference: rerunAccuracy - savedAccuracy, seconds: (Date.now() - started) / 1000 };
}
