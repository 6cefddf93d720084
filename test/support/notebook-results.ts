/**
 * Helpers the notebook tests share: reading an executed notebook's plot outputs and a
 * graded result's probes, and making a "plausible student mistake" copy of a master.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import type { NotebookResult, QuestionResult } from "../../grader/judge/grade";
import type { CellOutput } from "./kernel";

type SourceCell = { id?: string; source: string | string[] };

/** A MIME value as one string (nbformat may store text as a list of lines). */
export function mimeText(value: unknown): string {
  return Array.isArray(value) ? value.join("") : typeof value === "string" ? value : "";
}

/** The outputs of a cell that render as an nnkit plot. */
export function plotOutputs(outputs: CellOutput[] | undefined): CellOutput[] {
  return (outputs ?? []).filter(
    (o) => o.output_type === "display_data" && mimeText(o.data?.["text/html"]).includes('class="nnkit-plot"'),
  );
}

/** One question of a graded result; throws when the result has no such question. */
export function question(result: NotebookResult, id: string): QuestionResult {
  const q = result.questions.find((x) => x.id === id);
  if (!q) throw new Error(`no question ${id} in the result`);
  return q;
}

/** What the public probes of a question returned, in order. */
export function publicGot(result: NotebookResult, id: string): unknown[] {
  return question(result, id)
    .probes.filter((p) => !p.hidden)
    .map((p) => p.got);
}

/** The score of every question, by id. */
export function scores(result: NotebookResult): Record<string, number> {
  return Object.fromEntries(result.questions.map((q) => [q.id, q.score]));
}

/** Asserts two nested number arrays are equal up to `tol` (absolute), element by element. */
export function expectClose(got: unknown, want: number | number[] | number[][], tol = 1e-8): void {
  if (typeof want === "number") {
    expect(got).to.be.a("number");
    expect(got as number).to.be.closeTo(want, tol);
    return;
  }
  expect(got).to.be.an("array").with.length(want.length);
  want.forEach((w, i) => expectClose((got as unknown[])[i], w, tol));
}

function sourceText(cell: SourceCell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

/** Writes `nb` into `dir` under the master's file name and returns the path. */
function writeCopy(master: string, dir: string, nb: { cells: SourceCell[] }): string {
  const file = path.join(dir, path.basename(master));
  fs.writeFileSync(file, JSON.stringify(nb));
  return file;
}

/** A copy of `master` in `dir` with one named solution region's body replaced. */
export function withSolution(master: string, dir: string, name: string, body: string): string {
  const nb = JSON.parse(fs.readFileSync(master, "utf8")) as { cells: SourceCell[] };
  const pattern = new RegExp(`(// BEGIN SOLUTION ${name}\\n)[\\s\\S]*?(\\n\\s*// END SOLUTION)`);
  const cell = nb.cells.find((c) => pattern.test(sourceText(c)));
  if (!cell) throw new Error(`no solution region ${name} in ${path.basename(master)}`);
  cell.source = sourceText(cell).replace(pattern, (_m, begin: string, end: string) => `${begin}${body}${end}`);
  return writeCopy(master, dir, nb);
}

/** A copy of `master` in `dir` with one cell's text `from` replaced by `to`. */
export function mutatedMaster(master: string, dir: string, cellId: string, from: string, to: string): string {
  const nb = JSON.parse(fs.readFileSync(master, "utf8")) as { cells: SourceCell[] };
  const cell = nb.cells.find((c) => c.id === cellId);
  if (!cell) throw new Error(`no cell ${cellId}`);
  const source = sourceText(cell);
  if (!source.includes(from)) throw new Error(`cell ${cellId} does not contain ${from}`);
  cell.source = source.replace(from, to);
  return writeCopy(master, dir, nb);
}
