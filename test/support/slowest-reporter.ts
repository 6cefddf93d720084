/**
 * Mocha's spec reporter, followed at the end of the run by the ten slowest tests and the five
 * slowest hooks (a `before` that executes a notebook is often where the time goes), each with
 * its file, so that a slow suite says where its minutes went.
 */
import * as path from "path";
import Mocha from "mocha";

const { EVENT_HOOK_END, EVENT_RUN_END, EVENT_TEST_PASS, EVENT_TEST_FAIL } = Mocha.Runner.constants;
const ROOT = path.resolve(__dirname, "../..");

interface Timed {
  title: string;
  file: string;
  ms: number;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1).padStart(7)} s`;
}

function table(heading: string, rows: Timed[]): string[] {
  if (rows.length === 0) return [];
  return [`  ${heading}`, ...rows.map((r) => `  ${seconds(r.ms)}  ${r.title}  (${r.file})`), ""];
}

class SlowestReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    const tests: Timed[] = [];
    const hooks: Timed[] = [];
    const record = (into: Timed[], r: Mocha.Runnable): void => {
      if (typeof r.duration !== "number") return;
      into.push({ title: r.fullTitle(), file: r.file ? path.relative(ROOT, r.file) : "?", ms: r.duration });
    };
    runner.on(EVENT_TEST_PASS, (t: Mocha.Test) => record(tests, t));
    runner.on(EVENT_TEST_FAIL, (t: Mocha.Runnable) => record(t instanceof Mocha.Hook ? hooks : tests, t));
    runner.on(EVENT_HOOK_END, (h: Mocha.Hook) => record(hooks, h));
    // Registered after the spec reporter's own handler, so this prints after its summary.
    runner.once(EVENT_RUN_END, () => {
      const slowest = (xs: Timed[], n: number): Timed[] => [...xs].sort((a, b) => b.ms - a.ms).slice(0, n);
      const lines = [...table("The ten slowest tests:", slowest(tests, 10)), ...table("The five slowest hooks:", slowest(hooks, 5))];
      if (lines.length > 0) process.stdout.write(`${lines.join("\n")}\n`);
    });
  }
}

export = SlowestReporter;
