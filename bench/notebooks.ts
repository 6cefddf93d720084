// Run All of every master notebook through the real tslab kernel (the helpers
// the tests use), one at a time, with one line per notebook: its time, the CPU
// time of the kernel, its size on disk after Run All, against the targets.
//
//   npm run bench -- notebooks [01 05 ...] [--out <folder>]
//
// --out keeps each executed notebook there (to read its outputs).
// Each master runs in a scratch working folder laid out like the kit, so what a
// notebook saves (05's bonus model) stays out of notebooks/. Wall time on a busy
// machine is inflated; the kernel's CPU time divided by the cores it can use is
// a lower bound for a quiet machine (05 trains on all cores; the rest mostly on one).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { executeNotebook } from "../test/support/kernel";
import { masterPath, specsWithMaster, workFolder } from "../test/support/masters";

/** Run-All time targets in seconds, on a quiet 2-core machine without tfjs-node (issue 17.6). */
export const TARGET_SECONDS: Readonly<Record<string, number>> = {
  "01_activations.ipynb": 15,
  "02_mlp.ipynb": 30,
  "03_gradient_descent.ipynb": 15,
  "04_convolution.ipynb": 60,
  "05_fashion_mnist.ipynb": 300,
};

/** The most a notebook may weigh on disk after Run All (issue 17.5). */
export const TARGET_BYTES = 1.5 * 1024 * 1024;

/**
 * CPU seconds (user + system) of the descendants this process has waited for, from /proc/self/stat;
 * null where there is no /proc. The kernel is reaped by Jupyter's Python, which we reap, so its
 * time lands here.
 */
function childCpuSeconds(): number | null {
  try {
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    // Fields after the command name (which may hold spaces) start at field 3; cutime and cstime are 16 and 17.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[16 - 3]) + Number(fields[17 - 3]);
    return ticks / 100; // USER_HZ is 100 on every Linux tfjs runs on
  } catch {
    return null;
  }
}

function seconds(s: number): string {
  return s < 120 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

/** What one Run All measured. */
export interface NotebookRun {
  notebook: string;
  seconds: number;
  /** CPU time of the kernel, when the platform tells it. */
  cpuSeconds: number | null;
  /** Size on disk after Run All. */
  bytes: number;
  /** The cell Run All stopped at, or null. */
  failedCell: string | null;
}

/** The bench's line for one notebook, and whether it met its time target, the size limit and ran to the end. */
export function benchLine(run: NotebookRun): { text: string; ok: boolean } {
  const target = TARGET_SECONDS[run.notebook];
  const timeOk = target === undefined || run.seconds <= target;
  const sizeOk = run.bytes <= TARGET_BYTES;
  const text =
    `${run.notebook.padEnd(26)} ${seconds(run.seconds).padStart(12)} (target ${target === undefined ? "none" : seconds(target)}${timeOk ? "" : ", OVER"})` +
    `${run.cpuSeconds === null ? "" : `, kernel CPU ${seconds(run.cpuSeconds)}`}` +
    `  ${megabytes(run.bytes).padStart(8)} (limit ${megabytes(TARGET_BYTES)}${sizeOk ? "" : ", OVER"})` +
    `${run.failedCell === null ? "" : `  FAILED at cell ${run.failedCell}`}`;
  return { text, ok: timeOk && sizeOk && run.failedCell === null };
}

/** Entry point for `npm run bench -- notebooks`. */
export async function main(args: string[]): Promise<void> {
  const outAt = args.indexOf("--out");
  const out = outAt >= 0 ? args[outAt + 1] : undefined;
  if (outAt >= 0 && (out === undefined || out.startsWith("--"))) throw new Error("--out needs a folder");
  const wanted = args.filter((a, i) => !a.startsWith("--") && (outAt < 0 || i !== outAt + 1));
  const notebooks = specsWithMaster()
    .map((s) => s.notebook)
    .filter((nb) => wanted.length === 0 || wanted.some((w) => nb.startsWith(w)));
  if (notebooks.length === 0) throw new Error(`no master matches ${wanted.join(", ")}`);
  // Scratch folders away from /tmp: tslab's compiler watches the folders above a notebook, and a folder
  // another process deletes in /tmp meanwhile kills the kernel ("Unexpected pending rebuildTimer").
  // An explicit TMPDIR wins.
  if (!process.env.TMPDIR) {
    const quiet = path.join(os.homedir(), ".cache", "nnkit-bench");
    fs.mkdirSync(quiet, { recursive: true });
    process.env.TMPDIR = quiet;
  }
  const cores = os.cpus().length;
  console.log(`Run All of ${notebooks.length} master(s) through the tslab kernel; ${cores} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  let over = 0;
  for (const nb of notebooks) {
    const dir = await workFolder(`bench-${path.basename(nb, ".ipynb")}`);
    const cpu0 = childCpuSeconds();
    const executed = await executeNotebook(masterPath(nb), { cwd: dir, cellTimeoutSeconds: 3600 });
    const cpu1 = childCpuSeconds();
    const { seconds: wall, error_cell: failed } = executed.metadata.nnkit_execution;
    delete (executed.metadata as Record<string, unknown>).nnkit_execution;
    // Saved as Jupyter saves a notebook (nbformat: one-space indent, trailing newline).
    const saved = path.join(dir, nb);
    fs.writeFileSync(saved, JSON.stringify(executed, null, 1) + "\n");
    const bytes = fs.statSync(saved).size;
    if (out !== undefined) {
      fs.mkdirSync(out, { recursive: true });
      fs.copyFileSync(saved, path.join(out, nb));
    }
    const line = benchLine({ notebook: nb, seconds: wall, cpuSeconds: cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null, bytes, failedCell: failed });
    if (!line.ok) over++;
    console.log(`${line.text}  load ${os.loadavg()[0].toFixed(1)}`);
  }
  if (over > 0) process.exitCode = 1;
}
