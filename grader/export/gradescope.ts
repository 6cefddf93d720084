/**
 * Gradescope: the autograder zip (the kit with its masters and specs, `setup.sh` that installs
 * Node and the packages, `run_autograder` that grades /autograder/submission) and the
 * results.json Gradescope reads: one test per question with its score, max_score, status,
 * visibility and the public feedback, built from the student view (./student-view.ts): of a
 * hidden probe only that it failed; of the log only the cells' own output.
 */
import * as fs from "fs";
import * as path from "path";
import type { RunInput } from "../gradebook/gradebook";
import { writeZip, type ZipEntry } from "../core/zip-write";
import { shortJson } from "./feedback";
import { failedCellNotes, hiddenLine, studentLog, studentQuestionView, studentReason } from "./student-view";

/** One test of Gradescope's results.json. */
export interface GradescopeTest {
  name: string;
  number: string;
  score: number;
  max_score: number;
  status: "passed" | "failed";
  visibility: "visible" | "hidden" | "after_due_date" | "after_published";
  output: string;
  tags?: string[];
}

/** Gradescope's results.json. */
export interface GradescopeResults {
  score: number;
  execution_time: number;
  output: string;
  visibility: "visible" | "hidden" | "after_due_date" | "after_published";
  stdout_visibility: "visible" | "hidden";
  tests: GradescopeTest[];
}

/** The feedback text of one question, from its student view (public mismatches, hidden failure count, hint). */
function questionOutput(q: RunInput["questions"][number]): string {
  const view = studentQuestionView(q);
  if (view.status === "passed") return "All checks passed.";
  const lines: string[] = [];
  if (view.summary) lines.push(view.summary);
  for (const p of view.publicFailures) {
    lines.push(`${p.check}: expected ${shortJson(p.expected, 300)}, got ${shortJson(p.got, 300)}${p.message ? ` (${p.message})` : ""}`);
  }
  const hidden = hiddenLine(view);
  if (hidden) lines.push(hidden);
  if (view.hint) lines.push(`Hint: ${view.hint}`);
  return lines.join("\n");
}

/** results.json for one submission from its notebook runs (in the spec's order). */
export function gradescopeResults(runs: { notebook: string; run: RunInput }[], seconds: number): GradescopeResults {
  const tests: GradescopeTest[] = [];
  const notes: string[] = [];
  runs.forEach(({ notebook, run }, i) => {
    const stem = notebook.replace(/\.ipynb$/, "");
    const cellNotes = failedCellNotes(run.cells ?? []);
    const reason = studentReason(run.reason);
    // A kit error's log can hold what the master's run printed: only the reason is shown then.
    const log = reason === run.reason ? studentLog(run.log).slice(-4000) : "";
    if (run.status !== "graded") notes.push(`${notebook}: ${run.status}${reason ? ` (${reason})` : ""}\n${log}`);
    if (cellNotes.length) notes.push(`${notebook}:\n${cellNotes.join("\n")}`);
    run.questions.forEach((q, j) => {
      tests.push({
        name: `${stem}: ${q.title} (${q.id})`,
        number: `${i + 1}.${j + 1}`,
        score: q.score,
        max_score: q.points,
        status: q.score >= q.points ? "passed" : "failed",
        visibility: "visible",
        output: questionOutput(q),
        tags: [stem],
      });
    });
  });
  const score = Math.round(tests.reduce((n, t) => n + t.score, 0) * 100) / 100;
  return {
    score,
    execution_time: Math.round(seconds),
    output: notes.length ? notes.join("\n\n") : "Every notebook ran; see each question below.",
    visibility: "visible",
    stdout_visibility: "hidden",
    tests,
  };
}

/**
 * Gradescope's setup.sh: Node 20, the kit's packages, and then (offline) the runner program and
 * every master's expected values, once when the image is built, not in each submission's run.
 */
export const GRADESCOPE_SETUP = `#!/usr/bin/env bash
# Runs once when Gradescope builds the autograder image (Ubuntu, as root, with network).
set -euo pipefail
cd /autograder/source
if ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2>/dev/null; then
  apt-get update -qq
  apt-get install -y -qq ca-certificates curl gnupg
  curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
  apt-get install -y -qq nodejs
fi
# bubblewrap isolates each notebook run (grader/run/isolation.ts); prlimit comes with util-linux
command -v bwrap >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq bubblewrap; }
npm ci --no-audit --no-fund
# the runner and the expected values, built here once instead of in the first student's run
node -r tsx/cjs grader/cli/main.ts gradescope-prepare --config gradescope.json
`;

/** Gradescope's run_autograder: grades /autograder/submission into /autograder/results/results.json. */
export const GRADESCOPE_RUN = `#!/usr/bin/env bash
# Gradescope runs this for every submission. AUTOGRADER_ROOT (default /autograder) lets it run
# in a folder laid out the same way elsewhere (the kit's tests do that).
set -uo pipefail
ROOT="\${AUTOGRADER_ROOT:-/autograder}"
cd "$ROOT/source"
mkdir -p "$ROOT/results"
# Gradescope's container may forbid user namespaces; it is itself one submission's sandbox, so
# there grading falls back to Node's permission model (and says so) instead of failing.
export NNKIT_ISOLATION="\${NNKIT_ISOLATION:-fallback}"
exec node -r tsx/cjs grader/cli/main.ts gradescope-run \\
  --submission "$ROOT/submission" --results "$ROOT/results/results.json" --config gradescope.json
`;

/** Where the zipped kit finds its assignment (relative to /autograder/source). */
export interface GradescopeConfig {
  specs?: string;
  masters?: string;
  notebookTimeoutMs?: number;
}

/** Adds every file below `dir` (but those `skip` names) as `zipDir/<path below dir>`, streamed from disk. */
function addTree(entries: ZipEntry[], dir: string, zipDir: string, skip: (rel: string) => boolean, rel = ""): void {
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = path.posix.join(rel, e.name);
    if (skip(r)) continue;
    if (e.isDirectory()) addTree(entries, dir, zipDir, skip, r);
    else if (e.isFile()) entries.push({ name: path.posix.join(zipDir, r), file: path.join(dir, r) });
  }
}

/**
 * Writes the autograder zip: the kit (package files, src without dist, grader, masters),
 * optionally another assignment's specs and masters, setup.sh and run_autograder at the root.
 * Resolves to the names in the zip.
 */
export function buildGradescopeZip(o: { root: string; out: string; specsDir?: string; mastersDir?: string; notebookTimeoutMs?: number }): Promise<string[]> {
  const entries: ZipEntry[] = [];
  for (const f of ["package.json", "package-lock.json", "tsconfig.json", "course.json"]) {
    if (fs.existsSync(path.join(o.root, f))) entries.push({ name: f, file: path.join(o.root, f) });
  }
  addTree(entries, path.join(o.root, "src"), "src", (r) => r === "dist" || r === "node_modules");
  addTree(entries, path.join(o.root, "grader"), "grader", () => false);
  if (fs.existsSync(path.join(o.root, "notebooks"))) addTree(entries, path.join(o.root, "notebooks"), "notebooks", (r) => !r.endsWith(".ipynb"));
  const config: GradescopeConfig = { notebookTimeoutMs: o.notebookTimeoutMs };
  if (o.specsDir) {
    addTree(entries, o.specsDir, "assignment/specs", (r) => !r.endsWith(".ts"));
    config.specs = "assignment/specs";
  }
  if (o.mastersDir) {
    addTree(entries, o.mastersDir, "assignment/notebooks", (r) => !r.endsWith(".ipynb"));
    config.masters = "assignment/notebooks";
  }
  entries.push({ name: "gradescope.json", data: JSON.stringify(config, null, 2) + "\n" });
  // Gradescope runs these two as executables: keep the unix mode bits in the zip
  entries.push({ name: "setup.sh", data: GRADESCOPE_SETUP, mode: 0o755 });
  entries.push({ name: "run_autograder", data: GRADESCOPE_RUN, mode: 0o755 });
  return writeZip(o.out, entries);
}
