/**
 * Building hostile variants of the fixture notebook and reading their results: shared by the
 * protocol attacks (integration tier) and the search of the child's own process (system tier).
 */
import type { NotebookResult } from "../../grader/judge/grade";
import { toStudentNotebook } from "../../grader/release/release-transform";
import { encodePlain } from "../../src/check";
import type { NotebookJson } from "../../grader/core/notebook";
import type { Reference } from "../../grader/judge/expected";
import { codeCell, fixtureMaster, setSource } from "./fixture";

export function scores(r: NotebookResult): Record<string, number> {
  return Object.fromEntries(r.questions.map((q) => [q.id, q.score]));
}

/** The released student version of the fixture: every exercise throws "not implemented". */
export function stub(): NotebookJson {
  return toStudentNotebook(fixtureMaster());
}

export function withCells(nb: NotebookJson, ...cells: [string, string][]): NotebookJson {
  for (const [id, source] of cells) nb.cells.push(codeCell(id, source));
  return nb;
}

/** Every exercise function replaced by `body` (which sees its arguments as `args`). */
export function exercises(nb: NotebookJson, body: string): NotebookJson {
  setSource(nb, "square-impl", `function square(x: number[]): number[] {\n  const args: any[] = [x];\n  ${body}\n}`);
  setSource(nb, "dot-impl", `function dot(a: number[][], b: number[][]): number[][] {\n  const args: any[] = [a, b];\n  ${body}\n}`);
  setSource(nb, "lse-impl", `function logSumExp(x: Float64Array): number {\n  const args: any[] = [x];\n  ${body}\n}`);
  return nb;
}

/** The master's expected value of every probe (hidden ones too), encoded, by question id: what a leak would give. */
export function answers(ref: Reference): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const q of ref.questions) {
    if (q.compare.kind === "output") continue;
    out[q.id] = q.probes.map((p) => (p.expected.ok ? encodePlain(p.expected.value) : null));
  }
  return out;
}

/** Everything of a result a student can see: all of it but the instructor's notes. */
export function studentVisible(r: NotebookResult): string {
  return JSON.stringify({ ...r, instructorNotes: undefined });
}
