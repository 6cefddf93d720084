/**
 * `npm run bench -- grading-core [runs]`: how long grading one 20-cell notebook takes, as a
 * whole process, next to `jupyter nbconvert --execute` of the same notebook on the tslab
 * kernel, measured alternately in the same run. The master's expected values and the
 * runner's snapshot are built first (as setup.sh and a batch would), then each side runs
 * `runs` times (default 3); medians are printed with their ratio (the target is <= 0.4).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gradeNotebook } from "../grader/grade";
import type { NotebookSpec } from "../grader/spec";
import { jupyterPython } from "../test/support/jupyter-python";

const ROOT = path.resolve(__dirname, "..");

/** The 20 code cells of the benchmark notebook: the kind of code the course's notebooks hold. */
const CELLS = [
  'import * as tf from "@tensorflow/tfjs";',
  "function sigmoid(x: number[]): number[] {\n  return x.map((v) => 1 / (1 + Math.exp(-v)));\n}",
  "function relu(x: number[]): number[] {\n  return x.map((v) => Math.max(0, v));\n}",
  "function tanh(x: number[]): number[] {\n  return x.map((v) => Math.tanh(v));\n}",
  "const xs: number[] = Array.from({ length: 41 }, (_, i) => -4 + i * 0.2);",
  'console.log("sigmoid:", sigmoid(xs).slice(0, 3).map((v) => v.toFixed(4)).join(" "));',
  "function softmax(z: number[]): number[] {\n  const m = Math.max(...z);\n  const e = z.map((v) => Math.exp(v - m));\n  const s = e.reduce((a, b) => a + b, 0);\n  return e.map((v) => v / s);\n}",
  'console.log("softmax:", softmax([1, 2, 3]).map((v) => v.toFixed(3)).join(" "));',
  "function dense(x: number[][], w: number[][], b: number[]): number[][] {\n  return x.map((row) => w[0].map((_, j) => row.reduce((s, v, k) => s + v * w[k][j], b[j])));\n}",
  "const w1: number[][] = [[0.2, -0.5, 0.1], [0.7, 0.3, -0.2]];\nconst b1: number[] = [0.1, 0, -0.1];",
  "const h = dense([[1, 2], [3, 4]], w1, b1);\nh",
  "function sigmoidGrad(x: number[]): number[] {\n  return sigmoid(x).map((s) => s * (1 - s));\n}",
  'console.log("max gradient:", Math.max(...sigmoidGrad(xs)).toFixed(3));',
  "const t = tf.tensor2d([[1, 2], [3, 4]]);\nconst tt = t.matMul(t);",
  "tt.arraySync()",
  "interface Layer { units: number; activation: string }\nconst layers: Layer[] = [{ units: 8, activation: \"relu\" }, { units: 2, activation: \"softmax\" }];",
  "const params = layers.reduce((n, l, i) => n + (i === 0 ? 2 : layers[i - 1].units) * l.units + l.units, 0);\nconsole.log(\"parameters:\", params);",
  "function mse(a: number[], b: number[]): number {\n  return a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / a.length;\n}",
  "console.log(\"mse:\", mse(sigmoid([0, 1]), [0.5, 0.7]).toFixed(5));",
  "tf.dispose([t, tt]);\nconsole.log(\"done\");",
];

const SPEC: NotebookSpec = {
  notebook: "bench20.ipynb",
  questions: [
    { id: "b-sigmoid", title: "sigmoid", points: 1, requires: ["sigmoid"], compare: { kind: "allclose" }, hint: "", probes: [0, 1, 2].map((i) => ({ expr: "sigmoid(x)", inputs: { x: { kind: "uniform" as const, shape: [20], low: -6, high: 6 } }, hidden: i === 2 })) },
    { id: "b-softmax", title: "softmax", points: 1, requires: ["softmax"], compare: { kind: "allclose" }, hint: "", probes: [0, 1, 2].map((i) => ({ expr: "softmax(z)", inputs: { z: { kind: "normal" as const, shape: [10] } }, hidden: i === 2 })) },
    { id: "b-dense", title: "dense", points: 1, requires: ["dense"], compare: { kind: "allclose" }, hint: "", probes: [0, 1, 2].map((i) => ({ expr: "dense(x, w, b)", inputs: { x: { kind: "normal" as const, shape: [4, 3] }, w: { kind: "normal" as const, shape: [3, 2] }, b: { kind: "normal" as const, shape: [2] } }, hidden: i === 2 })) },
    { id: "b-mse", title: "mse", points: 1, requires: ["mse"], compare: { kind: "allclose" }, hint: "", probes: [0, 1].map(() => ({ expr: "mse(a, b)", inputs: { a: { kind: "uniform" as const, shape: [8], low: 0, high: 1 }, b: { kind: "uniform" as const, shape: [8], low: 0, high: 1 } } })) },
  ],
};

function writeNotebook(file: string): void {
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" }, language_info: { name: "typescript" } },
    cells: CELLS.map((source, i) => ({ cell_type: "code", id: `c${i + 1}`, metadata: {}, execution_count: null, outputs: [], source })),
  };
  fs.writeFileSync(file, JSON.stringify(nb, null, 1));
}

function seconds(run: () => void): number {
  const t = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Grades the notebook in this process (the child mode of the benchmark) and prints the result line. */
async function gradeOne(file: string): Promise<void> {
  const r = await gradeNotebook(SPEC, file, { masterPath: file });
  console.log(JSON.stringify({ score: r.score, maxScore: r.maxScore, status: r.status, seconds: r.seconds }));
  if (r.score !== r.maxScore) process.exitCode = 1;
}

export async function main(args: string[]): Promise<void> {
  if (args[0] === "--one") return gradeOne(args[1]);
  const runs = Number(args[0] ?? 3);
  // Inside the kit, so that the kernel (started in the notebook's folder) finds node_modules.
  fs.mkdirSync(path.join(ROOT, ".cache"), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, ".cache", "bench-grading-"));
  try {
    const nb = path.join(dir, "bench20.ipynb");
    writeNotebook(nb);
    const prep = Date.now();
    const r = await gradeNotebook(SPEC, nb, { masterPath: nb });
    if (r.score !== r.maxScore) throw new Error(`the benchmark notebook does not grade cleanly: ${JSON.stringify(r.questions.map((q) => q.message))}`);
    console.log(`prepared (snapshot + expected values, cached after the first time): ${((Date.now() - prep) / 1000).toFixed(1)} s`);
    const py = jupyterPython();
    const grading: number[] = [];
    const nbconvert: number[] = [];
    const inner: number[] = [];
    for (let i = 0; i < runs; i++) {
      nbconvert.push(
        seconds(() => {
          const out = spawnSync(py, ["-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.kernel_name=tslab", "--output", path.join(dir, "executed.ipynb"), nb], { cwd: ROOT, encoding: "utf8" });
          if (out.status !== 0) throw new Error(`nbconvert failed: ${out.stderr.slice(-2000)}`);
        }),
      );
      grading.push(
        seconds(() => {
          const out = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "run.ts"), "grading-core", "--one", nb], { cwd: ROOT, encoding: "utf8" });
          if (out.status !== 0) throw new Error(`grading failed: ${out.stderr}${out.stdout}`);
          inner.push((JSON.parse(out.stdout.trim().split("\n").pop() as string) as { seconds: number }).seconds);
        }),
      );
      console.log(`run ${i + 1}: nbconvert ${nbconvert[i].toFixed(2)} s, grading ${grading[i].toFixed(2)} s (gradeNotebook itself ${inner[i].toFixed(2)} s)`);
    }
    const g = median(grading);
    const n = median(nbconvert);
    console.log(`20-cell notebook, median of ${runs}: jupyter nbconvert --execute ${n.toFixed(2)} s; grading (whole process) ${g.toFixed(2)} s; ratio ${(g / n).toFixed(2)} (target <= 0.40); gradeNotebook alone ${median(inner).toFixed(2)} s; load average ${os.loadavg()[0].toFixed(1)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
