/**
 * `grader check [notebooks...]` (npm run check): grades notebooks with the public probes
 * only, in the same sandbox as the real grader, and prints a table per notebook.
 *
 * Exit code (see grader/cli.ts): 0 when every public probe passed, 3 when a question lost
 * points or a notebook could not be run (invalid, crashed, timed out), 1 on an error of the kit.
 */
import { Command } from "commander";
import * as fs from "fs";
import * as path from "path";
import { specFromChecks } from "../expected";
import { gradeNotebook, kitRoot, type NotebookResult } from "../grade";
import { loadSpecs, specForNotebook } from "../spec-loader";
import type { NotebookSpec } from "../spec";
import type { ChecksFile } from "../../src/check";
import { ISOLATION_ENV } from "../isolation";

export interface CheckOptions {
  root?: string;
  checksDir?: string;
  /** Specs to use; default: grader/specs when present, else the ones the checks files describe. */
  specs?: NotebookSpec[];
  json?: boolean;
  out?: (text: string) => void;
}

/**
 * The specs the kit knows: grader/specs when shipped (the instructor's repo), else the public
 * questions rebuilt from checks/*.json (the student kit, which has neither specs nor masters:
 * there the notebooks under notebooks/ are the student's own, so expected values must come
 * from the checks files, never from "the master").
 */
function availableSpecs(opts: CheckOptions): { specs: NotebookSpec[]; fromChecks: boolean } {
  if (opts.specs) return { specs: opts.specs, fromChecks: false };
  const specs = loadSpecs();
  if (specs.length > 0) return { specs, fromChecks: false };
  const dir = checksFolder(opts);
  if (!fs.existsSync(dir)) return { specs: [], fromChecks: true };
  const fromChecks = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => specFromChecks(JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as ChecksFile));
  return { specs: fromChecks, fromChecks: true };
}

function checksFolder(opts: CheckOptions): string {
  return opts.checksDir ?? path.join(opts.root ?? kitRoot(), "checks");
}

function pad(text: string, width: number): string {
  return text.length >= width ? text.slice(0, width) : text + " ".repeat(width - text.length);
}

/** A per-question table of one result, as printed by `npm run check`. */
export function formatResult(r: NotebookResult): string {
  const lines = [`${r.notebook}: ${r.score}/${r.maxScore} on the public checks${r.status === "graded" ? "" : ` (${r.status}: ${r.reason})`}`];
  const width = Math.max(8, ...r.questions.map((q) => q.id.length));
  for (const q of r.questions) {
    const mark = q.status === "passed" ? "✓" : "✗";
    lines.push(`  ${mark} ${pad(q.id, width)} ${pad(`${q.score}/${q.points}`, 9)} ${pad(q.status, 8)} ${q.message ?? ""}`.trimEnd());
    if (q.status !== "passed") lines.push(`      hint: ${q.hint}`);
  }
  const failedCells = r.cells.filter((c) => !c.ok);
  for (const c of failedCells) lines.push(`  cell ${c.id} failed: ${(c.error ?? "").split("\n")[0]}`);
  for (const n of r.notes ?? []) lines.push(`  note: ${n}`);
  return lines.join("\n");
}

/** Runs the public checks on the given notebooks (default: every notebook of notebooks/ with a spec); returns the exit code. */
export async function runCheck(files: string[], opts: CheckOptions = {}): Promise<number> {
  const out = opts.out ?? ((t: string) => process.stdout.write(t + "\n"));
  const root = opts.root ?? kitRoot();
  const { specs, fromChecks } = availableSpecs(opts);
  const targets = files.length > 0 ? files.map((f) => path.resolve(f)) : specs.map((s) => path.join(root, "notebooks", s.notebook)).filter((f) => fs.existsSync(f));
  if (targets.length === 0) throw new Error("no notebooks to check (give a path, e.g. npm run check -- notebooks/01_activations.ipynb)");
  const results: NotebookResult[] = [];
  for (const file of targets) {
    const spec = specForNotebook(specs, file);
    if (!spec) throw new Error(`${path.basename(file)} is not one of the assignment's notebooks (${specs.map((s) => s.notebook).join(", ")})`);
    // With a checks folder given, or in the student kit, expected values come from the checks files.
    const useChecks = fromChecks || opts.checksDir !== undefined;
    const result = await gradeNotebook(spec, file, {
      includeHidden: false,
      root,
      checksDir: useChecks ? checksFolder(opts) : undefined,
      expectedFrom: useChecks ? "checks" : undefined,
    });
    results.push(result);
    if (!opts.json) out(formatResult(result));
  }
  if (opts.json) out(JSON.stringify(results, null, 1));
  const perfect = results.every((r) => r.status === "graded" && r.questions.every((q) => q.status === "passed"));
  return perfect ? 0 : 3;
}

/** Registers `check [notebooks...]` on the grader CLI. */
export function registerCheckCommand(program: Command): void {
  program
    .command("check")
    .description("run the public checks on your notebooks, sandboxed like the real grader (exit 0: all passed, 3: some failed)")
    .argument("[notebooks...]", "notebooks to check (default: all of notebooks/)")
    .option("--json", "print the results as JSON")
    .action(async (notebooks: string[], options: { json?: boolean }) => {
      // A student's own machine may lack bubblewrap or user namespaces: check then runs with
      // Node's permission model only and says so once (grader/isolation.ts), unless told otherwise.
      if (!process.env[ISOLATION_ENV]) process.env[ISOLATION_ENV] = "fallback";
      process.exitCode = await runCheck(notebooks, { json: options.json });
    });
}
