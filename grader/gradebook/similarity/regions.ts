/**
 * What a student wrote, question by question. A master cell with solution regions is
 * released as given code plus a stub per region; a student's version of that cell, compared
 * line by line with the released one, leaves exactly the lines the student added or changed.
 * Each such line belongs to the nearest stub, and each stub's region to a question: the one
 * whose `requires` names the region (`// BEGIN SOLUTION sigmoid`) or the function the region
 * sits in; failing both, the cell's own group `cell:<id>`.
 */
import { cellSource, type NotebookJson } from "../../core/notebook";
import { toStudentNotebook } from "../../release/release-transform";
import type { NotebookSpec } from "../../core/spec";
import { BEGIN_SOLUTION as BEGIN, END_SOLUTION as END } from "../../core/solution-markers";

const STUB = /^[ \t]*\/\/ YOUR CODE HERE[ \t]*$/;
/** The longest cell compared line by line (a pasted data dump must not cost minutes). */
const MAX_LINES = 4000;

export interface RegionInfo {
  /** The question the region belongs to (a question id, or `cell:<cell id>`). */
  question: string;
  /** Index of the stub's `// YOUR CODE HERE` line in the released source. */
  stubLine: number;
}

export interface SolutionCell {
  id: string;
  /** The student version of the cell (given code and stubs). */
  released: string;
  /** The master's own source (with its solution). */
  master: string;
  regions: RegionInfo[];
}

/** Names a line declares as a function or variable (for finding the function a region is in). */
function declaredName(line: string): string | undefined {
  const m = /\bfunction\s*\*?\s*([A-Za-z_$][\w$]*)/.exec(line) ?? /\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*[=:]/.exec(line) ??
    /^\s*(?:(?:public|private|protected|static|async)\s+)*([A-Za-z_$][\w$]*)\s*\(/.exec(line);
  return m?.[1];
}

/** Which question each solution region of each master cell belongs to. */
export function solutionCells(master: NotebookJson, spec: NotebookSpec): SolutionCell[] {
  const released = toStudentNotebook(master);
  const byName = new Map<string, string>();
  for (const q of spec.questions) for (const name of q.requires) if (!byName.has(name)) byName.set(name, q.id);
  const out: SolutionCell[] = [];
  master.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code" || typeof cell.id !== "string") return;
    const src = cellSource(cell);
    const lines = src.split("\n");
    const names: { name: string; enclosing: string[] }[] = [];
    lines.forEach((line, n) => {
      const b = BEGIN.exec(line);
      if (!b) return;
      const enclosing: string[] = [];
      for (let up = n - 1; up >= 0; up--) {
        const d = declaredName(lines[up]);
        if (d) enclosing.push(d);
      }
      names.push({ name: b[2], enclosing });
    });
    if (names.length === 0) return;
    const rel = cellSource(released.cells[i]);
    const stubLines = rel.split("\n").map((l, n) => (STUB.test(l) ? n : -1)).filter((n) => n >= 0);
    const regions = names.map((r, k) => {
      const question = byName.get(r.name) ?? r.enclosing.map((e) => byName.get(e)).find((q) => q !== undefined) ?? `cell:${cell.id}`;
      return { question, stubLine: stubLines[k] ?? 0 };
    });
    out.push({ id: cell.id, released: rel, master: src, regions });
  });
  return out;
}

/** Longest common subsequence of two line lists: for each line of `b`, whether it is kept from `a`. */
function keptLines(a: string[], b: string[]): { kept: boolean[]; anchor: number[] } {
  const n = a.length;
  const m = b.length;
  const table: Uint16Array[] = [];
  for (let i = 0; i <= n; i++) table.push(new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i][j] = a[i] === b[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  const kept = new Array<boolean>(m).fill(false);
  // anchor[j]: the released line a kept line j is, or the last kept one before it (-1: none)
  const anchor = new Array<number>(m).fill(-1);
  let i = 0;
  let j = 0;
  let last = -1;
  while (j < m) {
    if (i < n && a[i] === b[j]) {
      kept[j] = true;
      last = i;
      anchor[j] = i;
      i++;
      j++;
    } else if (i < n && table[i + 1][j] >= table[i][j + 1]) {
      i++;
    } else {
      anchor[j] = last;
      j++;
    }
  }
  return { kept, anchor };
}

/**
 * The lines a student's version of a solution cell adds to the released cell, grouped by
 * question (in order; blank lines dropped). Given code and untouched stubs are not in it.
 */
export function writtenByQuestion(cell: SolutionCell, studentSource: string): Map<string, string[]> {
  // a line of punctuation only (`}`, `});`) is no evidence of given code: it never matches,
  // else a student's own closing brace could be taken for the function's and dropped
  const key = (line: string, tag: string): string => (/[\w$]/.test(line) ? line.trim() : `\u0000${tag}`);
  const rel = cell.released.split("\n").map((l, i) => key(l, `r${i}`));
  const mine = studentSource.split("\n").slice(0, MAX_LINES);
  const { kept, anchor } = keptLines(rel, mine.map((l, j) => key(l, `s${j}`)));
  const out = new Map<string, string[]>();
  mine.forEach((line, j) => {
    if (kept[j] || line.trim() === "" || BEGIN.test(line) || END.test(line)) return;
    // the insertion point lies just after released line anchor[j]: the nearest stub owns it
    const at = anchor[j] + 0.5;
    let best = cell.regions[0];
    for (const r of cell.regions) if (Math.abs(r.stubLine - at) < Math.abs(best.stubLine - at)) best = r;
    const list = out.get(best.question) ?? [];
    list.push(line);
    out.set(best.question, list);
  });
  return out;
}
