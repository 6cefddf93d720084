/**
 * `grader check [notebooks...]` (npm run check): grades notebooks with the public probes
 * only, in the same sandbox as the real grader, and prints a table per notebook.
 *
 * Exit code (see grader/cli/main.ts): 0 when every public probe passed, 3 when a question lost
 * points or a notebook could not be run (invalid, crashed, timed out), 1 on an error of the kit.
 */
import * as fs from "fs";
import * as path from "path";
import { specFromChecks } from "../judge/expected";
import { gradeNotebook, type NotebookResult } from "../judge/grade";
import { KIT_ROOT } from "../core/version";
import { failedCellNotes, hiddenLine, studentQuestionView, studentReason } from "./student-view";
import { loadSpecs, specForNotebook } from "../judge/spec-loader";
import type { NotebookSpec } from "../core/spec";
import type { ChecksFile } from "../../src/check";

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
  return opts.checksDir ?? path.join(opts.root ?? KIT_ROOT, "checks");
}

function pad(text: string, width: number): string {
  return text.length >= width ? text.slice(0, width) : text + " ".repeat(width - text.length);
}

/** A per-question table of one result, as printed by `npm run check`. */
export function formatResult(r: NotebookResult): string {
  const lines = [`${r.notebook}: ${r.score}/${r.maxScore} on the public checks${r.status === "graded" ? "" : ` (${r.status}: ${studentReason(r.reason)})`}`];
  const width = Math.max(8, ...r.questions.map((q) => q.id.length));
  // What a student reads goes through the student view, like every other export.
  for (const q of r.questions.map(studentQuestionView)) {
    const mark = q.status === "passed" ? "✓" : "✗";
    lines.push(`  ${mark} ${pad(q.id, width)} ${pad(`${q.score}/${q.points}`, 9)} ${pad(q.status, 8)} ${q.summary ?? ""}`.trimEnd());
    const hidden = hiddenLine(q);
    if (hidden) lines.push(`      ${hidden}`);
    if (q.hint) lines.push(`      hint: ${q.hint}`);
  }
  // Every cell that raised is named: the check ran the cells after it, Jupyter's Run All would not.
  for (const note of failedCellNotes(r.cells)) lines.push(`  ${note}`);
  for (const n of r.notes ?? []) lines.push(`  note: ${n}`);
  return lines.join("\n");
}

/** What `check --json` prints of a result: the same student view as every other export, and the failed cells' notes. */
export function studentResult(r: NotebookResult): Record<string, unknown> {
  return {
    notebook: r.notebook,
    status: r.status,
    ...(r.reason !== undefined ? { reason: studentReason(r.reason) } : {}),
    score: r.score,
    maxScore: r.maxScore,
    questions: r.questions.map(studentQuestionView),
    failedCells: failedCellNotes(r.cells),
  };
}

/** Runs the public checks on the given notebooks (default: every notebook of notebooks/ with a spec); returns the exit code. */
export async function runCheck(files: string[], opts: CheckOptions = {}): Promise<number> {
  const out = opts.out ?? ((t: string) => process.stdout.write(t + "\n"));
  const root = opts.root ?? KIT_ROOT;
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
  if (opts.json) out(JSON.stringify(results.map(studentResult), null, 1));
  const perfect = results.every((r) => r.status === "graded" && r.questions.every((q) => q.status === "passed"));
  return perfect ? 0 : 3;
}
