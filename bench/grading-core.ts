/**
 * `npm run bench -- grading-core [runs]`: how long grading one student's 20-cell notebook
 * takes, as a whole process, next to `jupyter nbconvert --execute` of the same notebook on
 * the tslab kernel, measured alternately in the same run. The master has four exercises
 * (solution regions); the student wrote all four their own way, so those cells are
 * type-checked while the 16 unchanged ones reuse the master's conversions. A third figure
 * grades with every cell type-checked again (no reuse). The master's expected values and the
 * runner's snapshot are built first (as setup.sh and a batch would), then each side runs
 * `runs` times (default 3); medians are printed with their ratio (the target is <= 0.4).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gradeNotebook } from "../grader/judge/grade";
import type { NotebookSpec } from "../grader/core/spec";
import { jupyterPython } from "../test/support/jupyter-python";
import { jupyterPathWithThisKit } from "../test/support/kernel";

const ROOT = path.resolve(__dirname, "..");

/** An exercise cell: the master's solution and one student's own (correct) version. */
interface Exercise {
  signature: string;
  solution: string;
  student: string;
}

const EXERCISES = {
  sigmoid: {
    signature: "function sigmoid(x: number[]): number[] {",
    solution: "  return x.map((v) => 1 / (1 + Math.exp(-v)));",
    student: "  const out: number[] = [];\n  for (const v of x) out.push(1 / (1 + Math.exp(-v)));\n  return out;",
  },
  softmax: {
    signature: "function softmax(z: number[]): number[] {",
    solution: "  const m = Math.max(...z);\n  const e = z.map((v) => Math.exp(v - m));\n  const s = e.reduce((a, b) => a + b, 0);\n  return e.map((v) => v / s);",
    student: "  let top = -Infinity;\n  for (const v of z) top = Math.max(top, v);\n  const e = z.map((v) => Math.exp(v - top));\n  let total = 0;\n  for (const v of e) total += v;\n  return e.map((v) => v / total);",
  },
  dense: {
    signature: "function dense(x: number[][], w: number[][], b: number[]): number[][] {",
    solution: "  return x.map((row) => w[0].map((_, j) => row.reduce((s, v, k) => s + v * w[k][j], b[j])));",
    student: "  const out: number[][] = [];\n  for (const row of x) {\n    const y = b.slice();\n    for (let j = 0; j < b.length; j++) for (let k = 0; k < row.length; k++) y[j] += row[k] * w[k][j];\n    out.push(y);\n  }\n  return out;",
  },
  mse: {
    signature: "function mse(a: number[], b: number[]): number {",
    solution: "  return a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / a.length;",
    student: "  let sum = 0;\n  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) * (a[i] - b[i]);\n  return sum / a.length;",
  },
} satisfies Record<string, Exercise>;

/** The 20 code cells of the benchmark notebook (the kind of code the course's notebooks hold), for the master or the student. */
function cells(who: "master" | "student"): string[] {
  const ex = (name: keyof typeof EXERCISES): string => {
    const e = EXERCISES[name];
    const body = who === "master" ? `  // BEGIN SOLUTION\n${e.solution}\n  // END SOLUTION` : e.student;
    return `${e.signature}\n${body}\n}`;
  };
  return [
    'import * as tf from "@tensorflow/tfjs";',
    ex("sigmoid"),
    "function relu(x: number[]): number[] {\n  return x.map((v) => Math.max(0, v));\n}",
    "function tanh(x: number[]): number[] {\n  return x.map((v) => Math.tanh(v));\n}",
    "const xs: number[] = Array.from({ length: 41 }, (_, i) => -4 + i * 0.2);",
    'console.log("sigmoid:", sigmoid(xs).slice(0, 3).map((v) => v.toFixed(4)).join(" "));',
    ex("softmax"),
    'console.log("softmax:", softmax([1, 2, 3]).map((v) => v.toFixed(3)).join(" "));',
    ex("dense"),
    "const w1: number[][] = [[0.2, -0.5, 0.1], [0.7, 0.3, -0.2]];\nconst b1: number[] = [0.1, 0, -0.1];",
    "const h = dense([[1, 2], [3, 4]], w1, b1);\nh",
    "function sigmoidGrad(x: number[]): number[] {\n  return sigmoid(x).map((s) => s * (1 - s));\n}",
    'console.log("max gradient:", Math.max(...sigmoidGrad(xs)).toFixed(3));',
    "const t = tf.tensor2d([[1, 2], [3, 4]]);\nconst tt = t.matMul(t);",
    "tt.arraySync()",
    'interface Layer { units: number; activation: string }\nconst layers: Layer[] = [{ units: 8, activation: "relu" }, { units: 2, activation: "softmax" }];',
    'const params = layers.reduce((n, l, i) => n + (i === 0 ? 2 : layers[i - 1].units) * l.units + l.units, 0);\nconsole.log("parameters:", params);',
    ex("mse"),
    'console.log("mse:", mse(sigmoid([0, 1]), [0.5, 0.7]).toFixed(5));',
    'tf.dispose([t, tt]);\nconsole.log("done");',
  ];
}

const SPEC: NotebookSpec = {
  notebook: "bench20.ipynb",
  questions: [
    { id: "b-sigmoid", title: "sigmoid", points: 1, requires: ["sigmoid"], compare: { kind: "allclose" }, hint: "", probes: [0, 1, 2].map((i) => ({ expr: "sigmoid(x)", inputs: { x: { kind: "uniform" as const, shape: [20], low: -6, high: 6 } }, hidden: i === 2 })) },
    { id: "b-softmax", title: "softmax", points: 1, requires: ["softmax"], compare: { kind: "allclose" }, hint: "", probes: [0, 1, 2].map((i) => ({ expr: "softmax(z)", inputs: { z: { kind: "normal" as const, shape: [10] } }, hidden: i === 2 })) },
    { id: "b-dense", title: "dense", points: 1, requires: ["dense"], compare: { kind: "allclose" }, hint: "", probes: [0, 1, 2].map((i) => ({ expr: "dense(x, w, b)", inputs: { x: { kind: "normal" as const, shape: [4, 3] }, w: { kind: "normal" as const, shape: [3, 2] }, b: { kind: "normal" as const, shape: [2] } }, hidden: i === 2 })) },
    { id: "b-mse", title: "mse", points: 1, requires: ["mse"], compare: { kind: "allclose" }, hint: "", probes: [0, 1].map(() => ({ expr: "mse(a, b)", inputs: { a: { kind: "uniform" as const, shape: [8], low: 0, high: 1 }, b: { kind: "uniform" as const, shape: [8], low: 0, high: 1 } } })) },
  ],
};

function writeNotebook(file: string, who: "master" | "student"): void {
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" }, language_info: { name: "typescript" } },
    cells: cells(who).map((source, i) => ({ cell_type: "code", id: `c${i + 1}`, metadata: {}, execution_count: null, outputs: [], source })),
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

/** Grades `file` against `master` in this process (the child mode of the benchmark) and prints the result line. */
async function gradeOne(file: string, master: string, reuseConversions: boolean): Promise<void> {
  const r = await gradeNotebook(SPEC, file, { masterPath: master, reuseConversions });
  console.log(JSON.stringify({ score: r.score, maxScore: r.maxScore, status: r.status, seconds: r.seconds }));
  if (r.score !== r.maxScore) process.exitCode = 1;
}

/** Runs `node` on this benchmark's --one mode and returns [whole process, gradeNotebook alone] in seconds. */
function gradeProcess(student: string, master: string, reuse: boolean): [number, number] {
  let inner = 0;
  const whole = seconds(() => {
    const args = ["-r", "tsx/cjs", path.join(__dirname, "run.ts"), "grading-core", "--one", student, master, ...(reuse ? [] : ["--no-reuse"])];
    const out = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
    if (out.status !== 0) throw new Error(`grading failed: ${out.stderr}${out.stdout}`);
    inner = (JSON.parse(out.stdout.trim().split("\n").pop() as string) as { seconds: number }).seconds;
  });
  return [whole, inner];
}

export async function main(args: string[]): Promise<void> {
  if (args[0] === "--one") return gradeOne(args[1], args[2], args[3] !== "--no-reuse");
  const runs = Number(args[0] ?? 3);
  // Inside the kit, so that the kernel (started in the notebook's folder) finds node_modules.
  fs.mkdirSync(path.join(ROOT, ".cache"), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, ".cache", "bench-grading-"));
  try {
    const master = path.join(dir, "master", "bench20.ipynb");
    const student = path.join(dir, "bench20.ipynb");
    fs.mkdirSync(path.dirname(master));
    writeNotebook(master, "master");
    writeNotebook(student, "student");
    const prep = Date.now();
    const r = await gradeNotebook(SPEC, student, { masterPath: master });
    if (r.score !== r.maxScore) throw new Error(`the benchmark notebook does not grade cleanly: ${JSON.stringify(r.questions.map((q) => q.message))}`);
    console.log(`prepared (snapshot + expected values, cached after the first time): ${((Date.now() - prep) / 1000).toFixed(1)} s`);
    const py = jupyterPython();
    const nbconvert: number[] = [];
    const grading: number[] = [];
    const inner: number[] = [];
    const noReuse: number[] = [];
    for (let i = 0; i < runs; i++) {
      nbconvert.push(
        seconds(() => {
          const out = spawnSync(py, ["-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.kernel_name=tslab", "--output", path.join(dir, "executed.ipynb"), student], {
            // this kit's kernel, not whichever `tslab` Jupyter has registered (another clone's, maybe deleted)
            cwd: ROOT, encoding: "utf8", env: { ...process.env, JUPYTER_PATH: jupyterPathWithThisKit() },
          });
          if (out.status !== 0) throw new Error(`nbconvert failed: ${out.stderr.slice(-2000)}`);
        }),
      );
      const [whole, alone] = gradeProcess(student, master, true);
      grading.push(whole);
      inner.push(alone);
      noReuse.push(gradeProcess(student, master, false)[0]);
      console.log(`run ${i + 1}: nbconvert ${nbconvert[i].toFixed(2)} s, grading ${grading[i].toFixed(2)} s (gradeNotebook itself ${inner[i].toFixed(2)} s), every cell type-checked ${noReuse[i].toFixed(2)} s`);
    }
    const g = median(grading);
    const n = median(nbconvert);
    const all = median(noReuse);
    console.log(
      `20-cell notebook (4 exercises written by the student), median of ${runs}: jupyter nbconvert --execute ${n.toFixed(2)} s; ` +
        `grading (whole process) ${g.toFixed(2)} s; ratio ${(g / n).toFixed(2)} (target <= 0.40); gradeNotebook alone ${median(inner).toFixed(2)} s; ` +
        `every cell type-checked again ${all.toFixed(2)} s, ratio ${(all / n).toFixed(2)}; load average ${os.loadavg()[0].toFixed(1)}`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
