/**
 * `npm run bench -- ts-runner`: which TypeScript runner the kit's commands start under. The
 * grader's start-up (`grader --help`) and grading one master notebook through the real command
 * (`grader grade` on a folder holding notebooks/01_*.ipynb, one worker, a fresh gradebook each
 * time), under ts-node (SWC, transpile-only: type-checking is tsc's job in `npm test`) and under
 * tsx. The runs alternate (A B, B A, ...) so both see the same load from the rest of the machine;
 * one warm-up run each is not counted (runner snapshot, expected values, tsx's cache). Prints the
 * median of each, the ratio, and whether ts-node stays within the 10% the project allows it.
 *
 * The grading is the real `grader grade` with that one master as the whole assignment (its spec
 * module and master copied to a scratch --specs and --masters), so the master check before the
 * batch covers it alone; cell and notebook limits are generous, since the figure is the time.
 * `npm run bench -- ts-runner startup` (or `grading`) measures one of the two.
 *
 * Environment: BENCH_STARTUP_RUNS (default 9) and BENCH_GRADE_RUNS (default 5) runs per runner;
 * BENCH_NOTEBOOK (default the first 01_*.ipynb in notebooks/).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { KIT_ROOT } from "../grader/core/version";

/** How a runner is put in front of `node <file>.ts`. */
export interface TsRunner {
  name: string;
  nodeArgs: string[];
  env: Record<string, string>;
}

export const RUNNERS: TsRunner[] = [
  { name: "ts-node (SWC, transpile-only)", nodeArgs: ["-r", "ts-node/register"], env: { TS_NODE_TRANSPILE_ONLY: "1", TS_NODE_SWC: "1" } },
  { name: "tsx", nodeArgs: ["-r", "tsx/cjs"], env: {} },
];

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: number[]): number {
  if (xs.length === 0) throw new Error("median of nothing");
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * The order of the runs: `runs` rounds over the runners, every other round reversed, so neither
 * runner always goes first (right after the other has filled the disk cache or the load eased).
 */
export function alternatingOrder<T>(items: T[], runs: number): T[] {
  const out: T[] = [];
  for (let i = 0; i < runs; i++) out.push(...(i % 2 === 0 ? items : [...items].reverse()));
  return out;
}

/** Runs `node <runner> grader/cli/main.ts <args>` in the kit; resolves to its wall-clock seconds. Rejects on a non-zero exit. */
function timeCli(runner: TsRunner, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [...runner.nodeArgs, path.join(KIT_ROOT, "grader", "cli", "main.ts"), ...args], {
      cwd: KIT_ROOT,
      env: { ...process.env, ...runner.env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (c: Buffer) => {
      if (err.length < 4000) err += c.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code === 0) resolve(seconds);
      else reject(new Error(`${runner.name}: grader ${args.join(" ")} exited with ${code}: ${err.slice(-1500)}`));
    });
  });
}

interface Figure {
  what: string;
  medians: Map<string, number>;
  runs: number;
}

/** Times `args` under every runner: one warm-up each, then `runs` alternating rounds. */
async function measure(what: string, runs: number, argsFor: (runner: TsRunner, i: number) => string[]): Promise<Figure> {
  console.log(`${what}: warming up, then ${runs} runs per runner, alternating`);
  for (const r of RUNNERS) await timeCli(r, argsFor(r, -1));
  const times = new Map<string, number[]>(RUNNERS.map((r) => [r.name, []]));
  let i = 0;
  for (const r of alternatingOrder(RUNNERS, runs)) {
    const s = await timeCli(r, argsFor(r, i++));
    times.get(r.name)?.push(s);
    console.log(`  ${r.name.padEnd(30)} ${s.toFixed(2)} s`);
  }
  return { what, runs, medians: new Map([...times].map(([k, v]) => [k, median(v)])) };
}

function envRuns(name: string, fallback: number): number {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a whole number >= 1`);
  return v;
}

export async function main(args: string[] = []): Promise<void> {
  const parts = args.length ? args : ["startup", "grading"];
  const unknown = parts.filter((p) => p !== "startup" && p !== "grading");
  if (unknown.length) throw new Error(`unknown part ${unknown.join(", ")}: use startup, grading or nothing (both)`);
  const notebook = process.env.BENCH_NOTEBOOK ?? fs.readdirSync(path.join(KIT_ROOT, "notebooks")).filter((f) => /^01_.*\.ipynb$/.test(f)).sort()[0];
  if (!notebook) throw new Error("no notebooks/01_*.ipynb to grade: set BENCH_NOTEBOOK");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-ts-runner-"));
  try {
    const subs = path.join(tmp, "subs");
    fs.mkdirSync(path.join(subs, "student-001"), { recursive: true });
    fs.copyFileSync(path.join(KIT_ROOT, "notebooks", notebook), path.join(subs, "student-001", notebook));
    const specs = path.join(tmp, "specs");
    const masters = path.join(tmp, "masters");
    fs.mkdirSync(specs);
    fs.mkdirSync(masters);
    const spec = `${notebook.replace(/\.ipynb$/, "")}.ts`;
    if (!fs.existsSync(path.join(KIT_ROOT, "grader", "specs", spec))) throw new Error(`no spec module grader/specs/${spec} for ${notebook}`);
    fs.copyFileSync(path.join(KIT_ROOT, "grader", "specs", spec), path.join(specs, spec));
    fs.copyFileSync(path.join(KIT_ROOT, "notebooks", notebook), path.join(masters, notebook));
    const course = path.join(KIT_ROOT, "course.json");
    const courseArgs = fs.existsSync(course) ? ["--course", course] : [];
    console.log(`load average at start: ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} on ${os.cpus().length} cores`);
    const figures: Figure[] = [];
    if (parts.includes("startup")) figures.push(await measure("start-up (grader --help)", envRuns("BENCH_STARTUP_RUNS", 9), () => ["--help"]));
    if (parts.includes("grading")) {
      // a fresh gradebook per run: an existing one would skip the already graded submission
      figures.push(await measure(`grading ${notebook} (grader grade, 1 worker)`, envRuns("BENCH_GRADE_RUNS", 5), (r, i) => [
        "grade", subs, "--workers", "1", "--specs", specs, "--masters", masters, "--cell-timeout", "600", "--notebook-timeout", "1800",
        ...courseArgs, "--gradebook", path.join(tmp, `gb-${r.nodeArgs[1].replace(/\W/g, "")}-${i}.sqlite`),
      ]));
    }
    const [tsNode, tsx] = RUNNERS.map((r) => r.name);
    console.log(`\nload average at end: ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
    console.log(`${"".padEnd(46)}${tsNode.padStart(32)}${tsx.padStart(10)}  ratio`);
    let within = true;
    for (const f of figures) {
      const a = f.medians.get(tsNode) ?? NaN;
      const b = f.medians.get(tsx) ?? NaN;
      within = within && a <= b * 1.1;
      console.log(`${`${f.what}, median of ${f.runs}`.padEnd(46)}${`${a.toFixed(2)} s`.padStart(32)}${`${b.toFixed(2)} s`.padStart(10)}  ${(a / b).toFixed(2)}x`);
    }
    console.log(within ? `ts-node stays within 10% of tsx on ${parts.join(" and ")}: use ts-node` : `ts-node costs more than 10% over tsx on ${parts.join(" or ")}: keep tsx`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
