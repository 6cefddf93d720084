/**
 * Which notebook specs an instructor command grades: the kit's own (grader/specs/, through the
 * grader core's loadSpecs) or those of another folder of spec modules (`--specs DIR`, used for
 * a separate assignment and by the tests' small fixture assignment).
 */
import * as fs from "fs";
import * as path from "path";
import type { NotebookSpec } from "../core/spec";

/** The spec modules of a folder (each exports `spec: NotebookSpec`), sorted by file name. */
export function loadSpecsFrom(dir: string): NotebookSpec[] {
  if (!fs.existsSync(dir)) throw new Error(`specs folder not found: ${dir}`);
  // the grader core loads and validates them (unique question ids, well-formed probes)
  const specs = core().loadSpecs(path.resolve(dir));
  if (specs.length === 0) throw new Error(`no spec modules (NN_topic.ts) in ${dir}`);
  return specs;
}

/** The grader core, loaded lazily: the student kit has none for grading. */
function core(): { loadSpecs: (dir?: string) => NotebookSpec[] } {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require("./grade") as { loadSpecs: (dir?: string) => NotebookSpec[] };
}

/** The specs to grade: from `specsDir` when given, else the kit's (grader/specs/). */
export function loadAssignment(specsDir?: string): NotebookSpec[] {
  if (specsDir) return loadSpecsFrom(specsDir);
  const specs = core().loadSpecs();
  if (specs.length === 0) throw new Error("no spec modules in grader/specs");
  return specs;
}

/** The points a notebook is worth. */
export function maxScore(spec: NotebookSpec): number {
  return spec.questions.reduce((n, q) => n + q.points, 0);
}
