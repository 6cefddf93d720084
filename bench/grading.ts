/**
 * `npm run bench -- grading`: bulk-grading throughput of the full assignment (every master
 * notebook in notebooks/, submitted as is) in submissions per minute, with 1 and 2 workers,
 * against the naive pipeline: the same notebooks run one after another with
 * `jupyter nbconvert --execute` through the tslab kernel. Prints both and the ratio.
 *
 * It starts with the cost of the isolation per run (bubblewrap, issue 23): the same trivial
 * sandboxed program (`node -e`) and the runner snapshot with an empty job, started alternately
 * with and without bubblewrap; `npm run bench -- grading isolation` measures only that.
 *
 * Each grader run also prints its steady rate and its start-up, from the gradebook's own finish
 * times (`classEstimate`), and what a class of 300 would take at that rate. The default run is 20
 * submissions: at 4, the start-up (workers, the warm type-checker, the first children) was half
 * the run, and the figure said more about a start than about a class.
 *
 * Environment: NNKIT_CHILD_PER (submission, the default, or notebook: how the grader gives the
 * notebooks sandboxed children), BENCH_SUBMISSIONS (default 20) submissions per pool run, BENCH_NAIVE_SUBMISSIONS
 * (default 1) for the naive pipeline (0 skips it), BENCH_ISOLATION_RUNS (default 20) starts per
 * variant, BENCH_WORKERS (default "1,2") the worker counts to time, JUPYTER_PYTHON (a Python with
 * Jupyter). `npm run bench -- grading profile` prints where a submission's CPU time goes instead
 * (bench/grading-profile.ts).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadAssignment } from "../grader/judge/assignment";
import { childPerFromEnv } from "../grader/judge/grade";
import { gradeFolder } from "../grader/gradebook/grade-folder";
import { parseCourseConfig } from "../grader/core/course";
import { Gradebook } from "../grader/gradebook/gradebook";
import { KIT_ROOT } from "../grader/core/version";
import { spawnSandboxed } from "../grader/run/sandbox";
import { DEFAULT_LIMITS, runNotebook } from "../grader/run/run";
import { ISOLATION_ENV, isolationStatus } from "../grader/run/isolation";
import { jupyterPython } from "../test/support/jupyter-python";
import { jupyterPathWithThisKit } from "../test/support/kernel";
import { classEstimate } from "./class-estimate";

const envInt = (name: string, fallback: number): number => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a whole number >= 1`);
  return v;
};

/** A folder of `n` LMS-style submissions, each holding every master notebook. */
function makeSubmissions(dir: string, n: number, notebooks: string[]): void {
  for (let i = 0; i < n; i++) {
    const sub = path.join(dir, `student-${String(i + 1).padStart(3, "0")}`);
    fs.mkdirSync(sub, { recursive: true });
    for (const nb of notebooks) fs.copyFileSync(path.join(KIT_ROOT, "notebooks", nb), path.join(sub, nb));
  }
}

/** A pool run: its wall time, its runs by status, and when each submission was done. */
interface PoolRun {
  seconds: number;
  statuses: Record<string, number>;
  /** Seconds from the run's start to each submission's last finished notebook, ascending. */
  doneAt: number[];
}

/** Grades the folder with `workers` workers into a fresh gradebook. */
async function timePool(subs: string, tmp: string, workers: number, name: string): Promise<PoolRun> {
  // a gradebook per run: a shared one would skip the submissions it has already graded
  const gbFile = path.join(tmp, `gb-${name}.sqlite`);
  const startedAt = Date.now();
  const t0 = process.hrtime.bigint();
  await gradeFolder({
    dir: subs, gradebook: gbFile, course: parseCourseConfig({}), workers, workDir: path.join(tmp, `work-${name}`),
    progressOut: { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream,
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const gb = Gradebook.open(gbFile, "bench");
  const statuses: Record<string, number> = {};
  for (const r of gb.db.prepare("SELECT status, COUNT(*) AS n FROM runs GROUP BY status").all() as { status: string; n: number }[]) statuses[r.status] = r.n;
  // a figure over failed runs would flatter the grader: say why they failed
  for (const r of gb.db.prepare("SELECT notebook, status, reason FROM runs WHERE status != 'graded' LIMIT 5").all() as { notebook: string; status: string; reason: string }[]) {
    console.log(`  ${r.notebook}: ${r.status}: ${String(r.reason).slice(0, 300)}`);
  }
  const done = gb.db.prepare("SELECT MAX(finished_at) AS at FROM jobs GROUP BY submission_id").all() as { at: string | null }[];
  gb.close();
  if (done.some((d) => d.at === null)) throw new Error(`the ${name} run left a job unfinished`);
  const doneAt = done.map((d) => (Date.parse(d.at as string) - startedAt) / 1000).sort((a, b) => a - b);
  return { seconds, statuses, doneAt };
}

/** Runs every notebook of `n` submissions with nbconvert, one after another; returns seconds. */
function timeNaive(tmp: string, n: number, notebooks: string[]): { seconds: number; failures: string[] } {
  const py = jupyterPython();
  const out = path.join(tmp, "naive");
  fs.mkdirSync(out, { recursive: true });
  const failures: string[] = [];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    for (const nb of notebooks) {
      const r = spawnSync(py, ["-m", "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.kernel_name=tslab",
        "--ExecutePreprocessor.timeout=1800", "--output-dir", out, "--output", `${i}-${nb}`, path.join(KIT_ROOT, "notebooks", nb)], {
        // this kit's kernel, not whichever `tslab` Jupyter has registered (another clone's, maybe deleted)
        cwd: path.join(KIT_ROOT, "notebooks"), encoding: "utf8", env: { ...process.env, JUPYTER_PATH: jupyterPathWithThisKit(), PYDEVD_DISABLE_FILE_VALIDATION: "1" },
      });
      if (r.status !== 0) failures.push(`${nb}: ${(r.stderr ?? "").split("\n").filter(Boolean).slice(-2).join(" | ")}`);
    }
  }
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, failures };
}

const perMinute = (n: number, seconds: number): number => (n / seconds) * 60;

/** The class the goal is stated for: 300 students in 30 minutes. */
const CLASS_SIZE = 300;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Milliseconds of one call of `run`, with NNKIT_ISOLATION set to `mode` while it runs. */
async function timed(mode: "required" | "off", run: () => Promise<void>): Promise<number> {
  const saved = process.env[ISOLATION_ENV];
  process.env[ISOLATION_ENV] = mode;
  try {
    const t0 = process.hrtime.bigint();
    await run();
    return Number(process.hrtime.bigint() - t0) / 1e6;
  } finally {
    if (saved === undefined) delete process.env[ISOLATION_ENV];
    else process.env[ISOLATION_ENV] = saved;
  }
}

/**
 * The isolation's cost per run: medians of `runs` starts with and without bubblewrap, taken
 * alternately so that the machine's load falls on both alike. Returns the cost in ms (the trivial program's difference).
 */
export async function isolationCost(runs: number): Promise<number> {
  const status = isolationStatus(KIT_ROOT);
  if (!status.available) throw new Error(`cannot measure the isolation: ${status.reason}`);
  const trivial = async (): Promise<void> => {
    const exit = await spawnSandboxed({ root: KIT_ROOT, memoryMb: 256, program: { code: 'require("fs").writeSync(3, "{}\\n")' } }).done;
    if (exit.code !== 0) throw new Error(`the trivial run failed: ${exit.stderr}`);
  };
  const runner = async (): Promise<void> => {
    const r = await runNotebook(KIT_ROOT, [], [], DEFAULT_LIMITS);
    if (r.status !== "ok") throw new Error(`the empty runner job failed: ${r.reason}`);
  };
  await timed("required", runner); // builds the snapshot once, outside the figures
  const rows: [string, number, number][] = [];
  for (const [name, run] of [["node -e (trivial program)", trivial], ["runner snapshot, empty job", runner]] as const) {
    const on: number[] = [];
    const off: number[] = [];
    for (let i = 0; i < runs; i++) {
      on.push(await timed("required", run));
      off.push(await timed("off", run));
    }
    rows.push([name, median(on), median(off)]);
  }
  console.log(`isolation cost per run (median of ${runs} starts each, bubblewrap as ${status.runAs ? "nobody" : "this user"}):`);
  console.log("program                          bubblewrap ms   without ms   cost ms");
  for (const [name, on, off] of rows) console.log(`${name.padEnd(33)}${on.toFixed(1).padStart(13)}${off.toFixed(1).padStart(13)}${(on - off).toFixed(1).padStart(10)}`);
  // The trivial program measures what bubblewrap adds to a start; the runner's figures (about a
  // second each, most of it restoring the snapshot and the job) show it against a real start,
  // where the machine's noise is larger than the cost itself.
  const cost = rows[0][1] - rows[0][2];
  console.log(`isolation: ${cost.toFixed(1)} ms per run (goal < 50 ms); runner start ${rows[1][1].toFixed(0)} ms isolated, ${rows[1][2].toFixed(0)} ms without\n`);
  return cost;
}

/** Runs the benchmark and prints its figures. */
export async function main(args: string[] = []): Promise<void> {
  if (args[0] === "profile") {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    await (require("./grading-profile") as { main(): Promise<void> }).main();
    return;
  }
  await isolationCost(envInt("BENCH_ISOLATION_RUNS", 20));
  if (args[0] === "isolation") return;
  const n = envInt("BENCH_SUBMISSIONS", 20);
  const naiveN = process.env.BENCH_NAIVE_SUBMISSIONS === "0" ? 0 : envInt("BENCH_NAIVE_SUBMISSIONS", 1);
  const workerCounts = (process.env.BENCH_WORKERS ?? "1,2").split(",").map((w) => Number(w));
  if (workerCounts.some((w) => !Number.isInteger(w) || w < 1)) throw new Error("BENCH_WORKERS must list whole numbers >= 1, e.g. 1,2");
  const notebooks = loadAssignment().map((s) => s.notebook);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-grading-"));
  try {
    console.log(`grading benchmark: ${notebooks.length} notebooks per submission (${notebooks.join(", ")}), ${os.cpus().length} cores, one sandboxed child per ${childPerFromEnv()} (NNKIT_CHILD_PER), load average ${os.loadavg().map((l) => l.toFixed(1)).join(", ")}`);
    const warm = path.join(tmp, "warm");
    makeSubmissions(warm, 1, notebooks);
    const w = await timePool(warm, tmp, 1, "warm");
    console.log(`warm-up (master results cached, runner prepared): ${w.seconds.toFixed(1)} s, runs ${JSON.stringify(w.statuses)}`);
    const subs = path.join(tmp, "subs");
    makeSubmissions(subs, n, notebooks);
    const rows: [string, number, number, string][] = [];
    for (const workers of workerCounts) {
      const r = await timePool(subs, tmp, workers, `${workers}-workers`);
      rows.push([`grader, ${workers} worker${workers > 1 ? "s" : ""}`, n, r.seconds, JSON.stringify(r.statuses)]);
      console.log(`grader with ${workers} worker(s): ${n} submissions in ${r.seconds.toFixed(1)} s, ${perMinute(n, r.seconds).toFixed(2)} per minute (load average ${os.loadavg()[0].toFixed(1)})`);
      const c = classEstimate(r.doneAt, workers, CLASS_SIZE);
      if (c) {
        console.log(`  steady ${c.steadyPerMinute.toFixed(2)} per minute after ${c.startupSeconds.toFixed(1)} s of start-up; a class of ${CLASS_SIZE}: ${c.classMinutes.toFixed(1)} min (goal < 30 min with 2 workers)`);
      } else {
        console.log(`  too few submissions for a steady rate (BENCH_SUBMISSIONS > ${workers} gives one)`);
      }
    }
    const graderRows = rows.length;
    const naive = naiveN > 0 ? timeNaive(tmp, naiveN, notebooks) : undefined;
    if (naive) {
      console.log(`nbconvert: ${naiveN} submission(s) in ${naive.seconds.toFixed(1)} s`);
      rows.push(["nbconvert --execute (tslab), serial", naiveN, naive.seconds, naive.failures.length ? `${naive.failures.length} failed` : "all ran"]);
    }
    console.log("\npipeline                              subs   seconds   subs/min   runs");
    for (const [name, count, sec, note] of rows) {
      console.log(`${name.padEnd(38)}${String(count).padStart(4)}${sec.toFixed(1).padStart(10)}${perMinute(count, sec).toFixed(2).padStart(11)}   ${note}`);
    }
    if (!naive) return;
    for (const f of naive.failures) console.log(`  nbconvert failure: ${f}`);
    if (naive.failures.length) {
      // a failed notebook stops early, so its time would flatter nbconvert and shrink the ratio
      console.log("\nno ratio: nbconvert did not run every notebook (see the failures above)");
      process.exitCode = 1;
      return;
    }
    const graded = rows.slice(0, graderRows).map((r) => perMinute(n, r[2]));
    console.log(`\nratio (best grader / naive): ${(Math.max(...graded) / perMinute(naiveN, naive.seconds)).toFixed(1)}x (target >= 3x)`);
    const two = workerCounts.indexOf(2);
    if (two >= 0) console.log(`ratio (2 workers / naive): ${(graded[two] / perMinute(naiveN, naive.seconds)).toFixed(1)}x`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
