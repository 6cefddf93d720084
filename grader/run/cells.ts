/**
 * Which cells run when a submission is graded, and in what order. Cells are matched with the
 * master's by nbformat cell id where the submission has them; tags always come from the
 * master. Notebooks saved without ids (nbformat 4.4: older Jupyter, Colab, some editors) or
 * with changed ids are matched by content: identical source first, then what the exercise
 * keeps of the released cell (its signature, the given lines around the solution region, the
 * names it declares, its tags), then position between matched cells. Cells the student
 * added run in place; a master cell missing from the submission runs in its student form,
 * unless the submission declares what it declares (running the stub there would replace
 * the student's work). Every match that needed care is noted, ambiguous ones by name.
 */
import { cellSource, cellTags, type NotebookJson } from "../core/notebook";
import type { PublicCell } from "../../src/check";

export interface PlannedCell {
  /** The master cell's id; for a cell the student added, its own id (or "extra-N" without one). */
  id: string;
  source: string;
  tags: string[];
  /** Where the source comes from. */
  origin: "submission" | "released";
}

export interface CellPlan {
  cells: PlannedCell[];
  /** Human-readable notes about the matching (ids missing, cells restored, ambiguous matches, ...). */
  notes: string[];
}

/** Lines release writes in place of a solution: not part of what identifies a cell. */
const STUB_LINE = /^(\/\/ YOUR CODE HERE|throw new Error\("not implemented: .*"\);)$/;
/** A declaration at the start of a line: function, class, interface, type, const, let, var (also exported, async). */
const DECL = /^(?:export\s+)?(?:declare\s+)?(?:async\s+)?(?:function\*?|class|interface|type|enum|const|let|var)\s+([A-Za-z_$][\w$]*)/;
/** Below this content score, a cell is not taken for a master cell by content. */
const MIN_SCORE = 0.5;
/** Two candidates closer than this are an ambiguous match (noted). */
const AMBIGUOUS = 0.1;

const trimmedLines = (source: string): string[] => source.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);

/** The top-level names a cell's source declares (by line; a heuristic that needs no parser). */
export function declaredNames(source: string): Set<string> {
  const names = new Set<string>();
  for (const raw of source.split("\n")) {
    // only lines at the left margin: a local `const x` inside a function is not the cell's
    if (/^\s/.test(raw)) continue;
    const m = DECL.exec(raw);
    if (m) names.add(m[1]);
  }
  return names;
}

interface Profile {
  anchors: string[];
  names: Set<string>;
  tags: string[];
}

function masterProfile(c: PublicCell): Profile {
  return { anchors: trimmedLines(c.source).filter((l) => !STUB_LINE.test(l)), names: declaredNames(c.source), tags: c.tags };
}

/**
 * How much a submitted cell looks like a master cell, 0..1: the share of the released
 * cell's given lines it keeps and of the names it declares, with its tags as a tie-breaker.
 */
export function contentScore(master: PublicCell, source: string, tags: string[]): number {
  const p = masterProfile(master);
  const lines = new Set(trimmedLines(source));
  const names = declaredNames(source);
  const lineShare = p.anchors.length ? p.anchors.filter((l) => lines.has(l)).length / p.anchors.length : 0;
  const nameShare = p.names.size ? [...p.names].filter((n) => names.has(n)).length / p.names.size : lineShare;
  const tagBonus = p.tags.length > 0 && p.tags.every((t) => tags.includes(t)) ? 0.05 : 0;
  return Math.min(1, 0.5 * lineShare + 0.5 * nameShare + tagBonus);
}

interface SubCell {
  index: number;
  id?: string;
  source: string;
  tags: string[];
}

/**
 * Plans the run of `submission` against the master's code cells (`master`: id, tags and the
 * student version of the source). Skip-in-grader cells are left out.
 */
export function planCells(master: PublicCell[], submission: NotebookJson): CellPlan {
  const notes: string[] = [];
  const subCode: SubCell[] = submission.cells
    .map((c, index) => ({ c, index }))
    .filter(({ c }) => c.cell_type === "code")
    .map(({ c, index }) => ({ index, id: typeof c.id === "string" ? c.id : undefined, source: cellSource(c), tags: cellTags(c) }));
  const masterIndex = new Map(master.map((c, i) => [c.id, i]));
  const match: (number | undefined)[] = subCode.map(() => undefined);
  const taken = new Set<number>();
  const take = (i: number, m: number): void => {
    match[i] = m;
    taken.add(m);
  };
  subCode.forEach((c, i) => {
    const m = c.id !== undefined ? masterIndex.get(c.id) : undefined;
    if (m !== undefined && !taken.has(m)) take(i, m);
  });
  const unmatched = (): number[] => subCode.map((_, i) => i).filter((i) => match[i] === undefined);
  let byFallback = 0;
  // Identical source (an untouched cell, or an untouched stub) identifies a cell without its id.
  for (const i of unmatched()) {
    const m = master.findIndex((c, k) => !taken.has(k) && c.source.trim() === subCode[i].source.trim());
    if (m >= 0) {
      take(i, m);
      byFallback++;
    }
  }
  // By content: the best pairs first, so a cell goes to the master cell it resembles most.
  const pairs: { i: number; m: number; score: number }[] = [];
  for (const i of unmatched()) {
    master.forEach((mc, m) => {
      if (taken.has(m)) return;
      const score = contentScore(mc, subCode[i].source, subCode[i].tags);
      if (score >= MIN_SCORE) pairs.push({ i, m, score });
    });
  }
  pairs.sort((a, b) => b.score - a.score || Math.abs(a.i - a.m) - Math.abs(b.i - b.m));
  const cellName = (i: number): string => `code cell ${i + 1} of the submission${subCode[i].id ? ` (id ${subCode[i].id})` : ""}`;
  for (const p of pairs) {
    if (match[p.i] !== undefined || taken.has(p.m)) continue;
    // a rival: another free master cell this cell resembles as much, or another free cell that resembles this master cell as much
    const rival = pairs.find(
      (q) => q !== p && q.score > p.score - AMBIGUOUS && ((q.i === p.i && !taken.has(q.m)) || (q.m === p.m && match[q.i] === undefined)),
    );
    take(p.i, p.m);
    byFallback++;
    if (rival) {
      const other = rival.i === p.i ? `master cell ${master[rival.m].id}` : cellName(rival.i);
      notes.push(`ambiguous match: ${cellName(p.i)} was taken for master cell ${master[p.m].id} (similarity ${p.score.toFixed(2)}), but it is as close to ${other} (${rival.score.toFixed(2)})`);
    }
  }
  // Between two matched neighbours, as many unmatched cells on both sides pair up in order.
  const rest = unmatched();
  let k = 0;
  let byPosition = 0;
  while (k < rest.length) {
    let end = k;
    while (end + 1 < rest.length && rest[end + 1] === rest[end] + 1) end++;
    const first = rest[k];
    const last = rest[end];
    const before = first > 0 ? match[first - 1] ?? -1 : -1;
    const after = last + 1 < subCode.length ? match[last + 1] ?? master.length : master.length;
    const gap: number[] = [];
    for (let m = before + 1; m < after; m++) if (!taken.has(m)) gap.push(m);
    if (gap.length === end - k + 1 && gap.every((m, j) => j === 0 || m > gap[j - 1])) {
      for (let j = 0; j <= end - k; j++) {
        take(rest[k + j], gap[j]);
        byFallback++;
        byPosition++;
        notes.push(`${cellName(rest[k + j])} resembles no master cell: it was taken for master cell ${master[gap[j]].id} by its position`);
      }
    }
    k = end + 1;
  }
  if (byFallback > 0) notes.unshift(`${byFallback} cell(s) had a missing or changed cell id and were matched by their source${byPosition > 0 ? " or position" : ""}${byFallback > byPosition ? " or content" : ""}`);

  // What the submission declares anywhere: a master cell declaring the same is not restored over it.
  const declared = new Set<string>();
  for (const c of subCode) declaredNames(c.source).forEach((n) => declared.add(n));
  const cells: PlannedCell[] = [];
  const emitted = new Set<number>();
  const restoreUpTo = (limit: number): void => {
    for (let m = 0; m < limit; m++) {
      if (taken.has(m) || emitted.has(m)) continue;
      emitted.add(m);
      const c = master[m];
      if (c.tags.includes("skip-in-grader")) continue;
      const clash = [...declaredNames(c.source)].filter((n) => declared.has(n));
      if (clash.length > 0) {
        notes.push(`cell ${c.id} is missing from the submission, but the submission declares ${clash.join(", ")} elsewhere: its student version was not run over them`);
        continue;
      }
      cells.push({ id: c.id, source: c.source, tags: c.tags, origin: "released" });
      notes.push(`cell ${c.id} is missing from the submission: its original (student) version was run instead`);
    }
  };
  let extra = 0;
  subCode.forEach((c, i) => {
    const m = match[i];
    if (m === undefined) {
      extra++;
      const own = c.id !== undefined && !masterIndex.has(c.id) && !cells.some((p) => p.id === c.id);
      cells.push({ id: own ? (c.id as string) : `extra-${extra}`, source: c.source, tags: [], origin: "submission" });
      return;
    }
    restoreUpTo(m);
    emitted.add(m);
    const mc = master[m];
    if (!mc.tags.includes("skip-in-grader")) cells.push({ id: mc.id, source: c.source, tags: mc.tags, origin: "submission" });
  });
  restoreUpTo(master.length);
  if (extra > 0) notes.push(`${extra} cell(s) added by the student were run in place`);
  return { cells, notes };
}

/** The master's code cells as the grader needs them: id, tags and their student version. */
export function masterCells(master: NotebookJson, released: NotebookJson): PublicCell[] {
  const out: PublicCell[] = [];
  master.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    if (typeof cell.id !== "string" || cell.id === "") throw new Error(`master cell ${i + 1} has no id (nbformat 4.5 cell ids are required in masters)`);
    out.push({ id: cell.id, tags: cellTags(cell), source: cellSource(released.cells[i]) });
  });
  return out;
}
