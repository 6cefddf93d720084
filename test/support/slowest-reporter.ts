/**
 * Mocha's spec reporter, followed at the end of the run by the ten slowest tests and the five
 * slowest hooks (a `before` that executes a notebook is often where the time goes), each with
 * its file, so that a slow suite says where its minutes went.
 *
 * With NNKIT_TEST_TIMES=<file.json>, the run also writes every test's and hook's duration with its
 * file, and a per-file table: wall time, and the CPU time of mocha's process plus the children it
 * reaped while that file ran (kernels, graders, CLIs), so a run says which files cost the machine most.
 * Under `mocha --parallel` (NNKIT_TEST_JOBS) the events of a file arrive together when it ends, so
 * a file's time is then the sum of its tests' and hooks' durations, its CPU is not measured, and the
 * run's CPU adds up each worker's as last seen (/usr/bin/time misses the workers mocha does not reap).
 */
import * as fs from "fs";
import * as path from "path";
import Mocha from "mocha";
import { RUN_DIR_ENV, computedKeys } from "./shared-once";

const { EVENT_SUITE_END, EVENT_HOOK_BEGIN, EVENT_HOOK_END, EVENT_RUN_END, EVENT_TEST_BEGIN, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING } =
  Mocha.Runner.constants;
const ROOT = path.resolve(__dirname, "../..");

interface Timed {
  title: string;
  file: string;
  ms: number;
}

/** One file's share of the run (its tests and hooks may be run in several stretches). */
interface FileTimes {
  file: string;
  wallMs: number;
  /** CPU of mocha's own process while this file ran. */
  selfCpuMs: number;
  /** CPU of the child processes that ended (and were reaped) while this file ran. */
  childCpuMs: number;
  tests: number;
  failed: number;
  testMs: number;
  hookMs: number;
}

/** CPU so far, in ms: this process's, and its reaped children's (Linux /proc; zeros elsewhere). */
function cpuNow(): { self: number; children: number } {
  try {
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    // The fields after the command's closing parenthesis; utime is field 14 of the whole line.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
    const tick = 10; // ms per clock tick (USER_HZ is 100 on Linux)
    return { self: (f[11] + f[12]) * tick, children: (f[13] + f[14]) * tick };
  } catch {
    const u = process.cpuUsage();
    return { self: (u.user + u.system) / 1000, children: 0 };
  }
}

/**
 * CPU so far, in ms, of each live child of this process (mocha --parallel's workers) with the
 * children each has reaped: the workers end after the last event, so they are sampled as events come.
 */
function childrenCpuNow(): Map<number, number> {
  const out = new Map<number, number>();
  let pids: string[];
  try {
    pids = fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
      if (f[1] !== process.pid) continue; // field 4, the parent
      out.set(Number(pid), (f[11] + f[12] + f[13] + f[14]) * 10);
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1).padStart(7)} s`;
}

function table(heading: string, rows: Timed[]): string[] {
  if (rows.length === 0) return [];
  return [`  ${heading}`, ...rows.map((r) => `  ${seconds(r.ms)}  ${r.title}  (${r.file})`), ""];
}

/** A hook, also as mocha --parallel hands it over from a worker (a plain object, no prototype). */
function isHook(r: Mocha.Runnable): boolean {
  return r instanceof Mocha.Hook || (r as { type?: string }).type === "hook";
}

function fileOf(r: Mocha.Runnable): string {
  return r.file ? path.relative(ROOT, r.file) : "(root)";
}

class SlowestReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    const tests: Timed[] = [];
    const hooks: Timed[] = [];
    const record = (into: Timed[], r: Mocha.Runnable): void => {
      if (typeof r.duration !== "number") return;
      into.push({ title: r.fullTitle(), file: fileOf(r), ms: r.duration });
    };
    runner.on(EVENT_TEST_PASS, (t: Mocha.Test) => record(tests, t));
    runner.on(EVENT_TEST_FAIL, (t: Mocha.Runnable) => record(isHook(t) ? hooks : tests, t));
    runner.on(EVENT_HOOK_END, (h: Mocha.Hook) => record(hooks, h));

    const timesFile = process.env.NNKIT_TEST_TIMES;
    const files = new Map<string, FileTimes>();
    const started = Date.now();
    const cpuAtStart = cpuNow();
    const parallel = options?.parallel === true;
    // Under --parallel: the last CPU seen of each worker (its tests' kernels and graders included).
    const workerCpu = new Map<number, number>();
    const sampleWorkers = (): void => {
      for (const [pid, ms] of childrenCpuNow()) workerCpu.set(pid, Math.max(ms, workerCpu.get(pid) ?? 0));
    };
    if (timesFile) {
      // The file running now, and the clock and CPU when it started its current stretch.
      let current: { file: string; at: number; cpu: { self: number; children: number } } | undefined;
      const entry = (file: string): FileTimes => {
        let e = files.get(file);
        if (!e) {
          e = { file, wallMs: 0, selfCpuMs: 0, childCpuMs: 0, tests: 0, failed: 0, testMs: 0, hookMs: 0 };
          files.set(file, e);
        }
        return e;
      };
      const close = (): void => {
        if (!current) return;
        const e = entry(current.file);
        const cpu = cpuNow();
        e.wallMs += Date.now() - current.at;
        e.selfCpuMs += cpu.self - current.cpu.self;
        e.childCpuMs += cpu.children - current.cpu.children;
        current = undefined;
      };
      const enter = (r: Mocha.Runnable): void => {
        if (parallel) return;
        const file = fileOf(r);
        if (current?.file === file) return;
        close();
        current = { file, at: Date.now(), cpu: cpuNow() };
      };
      // A worker's file ends with its suites' ends, while the worker still runs.
      if (parallel) runner.on(EVENT_SUITE_END, sampleWorkers);
      runner.on(EVENT_TEST_BEGIN, enter);
      runner.on(EVENT_HOOK_BEGIN, enter);
      runner.on(EVENT_TEST_PENDING, enter);
      runner.on(EVENT_TEST_PASS, (t: Mocha.Test) => {
        const e = entry(fileOf(t));
        e.tests++;
        e.testMs += t.duration ?? 0;
      });
      runner.on(EVENT_TEST_FAIL, (t: Mocha.Runnable) => {
        const e = entry(fileOf(t));
        if (isHook(t)) e.hookMs += t.duration ?? 0;
        else {
          e.tests++;
          e.failed++;
          e.testMs += t.duration ?? 0;
        }
      });
      runner.on(EVENT_HOOK_END, (h: Mocha.Hook) => {
        entry(fileOf(h)).hookMs += h.duration ?? 0;
      });
      runner.once(EVENT_RUN_END, () => {
        close();
        if (parallel) for (const e of files.values()) e.wallMs = e.testMs + e.hookMs;
        const cpu = cpuNow();
        const report = {
          parallel,
          // Each worker's CPU as last seen (a lower bound: what it did after its last event is missed).
          workersCpuMs: parallel ? [...workerCpu.values()].reduce((a, b) => a + b, 0) : undefined,
          startedAt: new Date(started).toISOString(),
          wallMs: Date.now() - started,
          selfCpuMs: cpu.self - cpuAtStart.self,
          childCpuMs: cpu.children - cpuAtStart.children,
          files: [...files.values()].sort((a, b) => b.wallMs - a.wallMs),
          tests: [...tests].sort((a, b) => b.ms - a.ms),
          hooks: [...hooks].sort((a, b) => b.ms - a.ms),
          // Every result test/support/shared-once.ts computed (a master's kernel run, its grading, ...),
          // once per computation: a key listed twice was computed twice.
          // (A key's first two parts: what and which file; the rest, e.g. a spec's whole text, only tells versions apart.)
          sharedComputed: process.env[RUN_DIR_ENV] ? computedKeys(process.env[RUN_DIR_ENV]).map((k) => k.split("\0").slice(0, 2).join(" ")) : [],
        };
        fs.writeFileSync(path.resolve(timesFile), `${JSON.stringify(report, null, 1)}\n`);
      });
    }

    // Registered after the spec reporter's own handler, so this prints after its summary.
    runner.once(EVENT_RUN_END, () => {
      const slowest = (xs: Timed[], n: number): Timed[] => [...xs].sort((a, b) => b.ms - a.ms).slice(0, n);
      const lines = [...table("The ten slowest tests:", slowest(tests, 10)), ...table("The five slowest hooks:", slowest(hooks, 5))];
      if (timesFile) lines.push(`  Every test's and hook's time, and each file's wall and CPU time: ${timesFile}`, "");
      if (lines.length > 0) process.stdout.write(`${lines.join("\n")}\n`);
    });
  }
}

export = SlowestReporter;
