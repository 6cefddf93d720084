/**
 * `grader gradescope-prepare`: what the exported setup.sh runs once, when Gradescope builds the
 * autograder image: builds the runner program and every master's expected values into
 * .cache/, so that no submission pays for them (the first run used to take 87 s). Hidden from
 * `--help`: instructors never type it.
 */
import * as path from "path";
import { loadAssignment } from "../judge/assignment";
import type { GradescopeConfig } from "./gradescope";
import { KIT_ROOT } from "../core/version";

/** Builds the caches for every notebook of the exported assignment; returns one line per notebook. */
export async function prepareGradescope(config: GradescopeConfig, root = KIT_ROOT, log: (line: string) => void = () => undefined): Promise<string[]> {
  const specs = loadAssignment(config.specs && path.resolve(root, config.specs));
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const core = require("../judge/grade") as typeof import("../judge/grade");
  const lines: string[] = [];
  for (const spec of specs) {
    const started = Date.now();
    const masterPath = config.masters ? path.resolve(root, config.masters, spec.notebook) : undefined;
    // the same options gradescope-run grades with, so the cache keys are the ones it looks up
    const ref = await core.referenceFor(spec, { notebookTimeoutMs: config.notebookTimeoutMs, masterPath, root });
    const line = `${spec.notebook}: runner and expected values cached (${ref.questions.length} questions, ${((Date.now() - started) / 1000).toFixed(1)} s)`;
    log(line);
    lines.push(line);
  }
  return lines;
}
