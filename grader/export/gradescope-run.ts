/**
 * `grader gradescope-run`: what the exported run_autograder calls on Gradescope. Grades the one
 * submission in /autograder/submission (the zip from `npm run submit`, or the notebooks) and
 * writes Gradescope's results.json. Hidden from `--help`: instructors never type it.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadAssignment } from "../judge/assignment";
import { discoverSubmissions } from "../submit/discover";
import { intakeSubmission } from "../submit/intake";
import { GradescopeConfig, gradescopeResults } from "./gradescope";
import type { RunInput } from "../gradebook/gradebook";
import { failedRun, runFromCore } from "../gradebook/run-result";
import type { NotebookSpec } from "../core/spec";
import { KIT_ROOT } from "../core/version";

type GradeFn = (spec: NotebookSpec, notebookPath: string, opts?: { notebookTimeoutMs?: number; masterPath?: string }) => Promise<unknown>;

/** Grades one Gradescope submission folder and writes results.json; returns the results. */
export async function runGradescope(submission: string, resultsFile: string, config: GradescopeConfig, root = KIT_ROOT): Promise<ReturnType<typeof gradescopeResults>> {
  const t0 = Date.now();
  const specs = loadAssignment(config.specs && path.resolve(root, config.specs));
  const notebooks = specs.map((s) => s.notebook);
  // Gradescope's folder holds one student's files: seen as a one-student LMS download
  const holder = fs.mkdtempSync(path.join(os.tmpdir(), "gradescope-"));
  try {
    fs.cpSync(path.resolve(submission), path.join(holder, "student"), { recursive: true });
    const found = discoverSubmissions(holder, notebooks).submissions[0];
    const runs: { notebook: string; run: RunInput }[] = [];
    let unpacked: Record<string, string | null> | null = null;
    let problem = found?.problem;
    let problemStatus: RunInput["status"] = found?.problemStatus ?? "corrupt";
    let rejected: Record<string, string> = {};
    if (found && !problem) {
      // read in the intake worker with its limits (zip size, depth, cells), never in this process's memory
      const r = await intakeSubmission(found, path.join(holder, "work"), notebooks);
      if (r.ok) {
        unpacked = r.notebooks;
        rejected = r.rejected;
      } else {
        problem = `${r.status} submission: ${r.reason}`;
        problemStatus = r.status;
      }
    }
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const core = require("../judge/grade") as { gradeNotebook: GradeFn };
    for (const spec of specs) {
      const nbPath = unpacked?.[spec.notebook];
      let run: RunInput;
      if (problem) run = failedRun(spec, problemStatus, problem);
      else if (rejected[spec.notebook]) run = failedRun(spec, "invalid", rejected[spec.notebook]);
      else if (!nbPath) run = failedRun(spec, "missing", `missing notebook: ${spec.notebook} is not in the submission`);
      else {
        try {
          const masterPath = config.masters ? path.resolve(root, config.masters, spec.notebook) : undefined;
          run = runFromCore(spec, await core.gradeNotebook(spec, nbPath, { notebookTimeoutMs: config.notebookTimeoutMs, masterPath }));
        } catch (e) {
          run = failedRun(spec, "crash", (e as Error).message);
        }
      }
      runs.push({ notebook: spec.notebook, run });
    }
    const results = gradescopeResults(runs, (Date.now() - t0) / 1000);
    fs.mkdirSync(path.dirname(path.resolve(resultsFile)), { recursive: true });
    fs.writeFileSync(resultsFile, JSON.stringify(results, null, 2) + "\n");
    return results;
  } finally {
    fs.rmSync(holder, { recursive: true, force: true });
  }
}
