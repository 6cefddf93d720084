/**
 * Which cells run when a submission is graded, and in what order. Cells are matched with the
 * master's by nbformat cell id; tags always come from the master. When ids were deleted or
 * changed, cells are matched by identical source, then by position between matched cells,
 * and the notes say so. A master cell missing from the submission runs in its student form.
 */
import { cellSource, cellTags, type NotebookJson } from "./notebook";
import type { PublicCell } from "../src/check";

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
  /** Human-readable notes about the matching (ids missing, cells restored, ...). */
  notes: string[];
}

/**
 * Plans the run of `submission` against the master's code cells (`master`: id, tags and the
 * student version of the source). Skip-in-grader cells are left out.
 */
export function planCells(master: PublicCell[], submission: NotebookJson): CellPlan {
  const notes: string[] = [];
  const subCode = submission.cells.filter((c) => c.cell_type === "code").map((c) => ({ id: typeof c.id === "string" ? c.id : undefined, source: cellSource(c) }));
  const masterIndex = new Map(master.map((c, i) => [c.id, i]));
  const match: (number | undefined)[] = subCode.map(() => undefined);
  const taken = new Set<number>();
  subCode.forEach((c, i) => {
    const m = c.id !== undefined ? masterIndex.get(c.id) : undefined;
    if (m !== undefined && !taken.has(m)) {
      match[i] = m;
      taken.add(m);
    }
  });
  const unmatched = (): number[] => subCode.map((_, i) => i).filter((i) => match[i] === undefined);
  let byFallback = 0;
  // Identical source (an untouched cell, or an untouched stub) identifies a cell without its id.
  for (const i of unmatched()) {
    const m = master.findIndex((c, k) => !taken.has(k) && c.source.trim() === subCode[i].source.trim());
    if (m >= 0) {
      match[i] = m;
      taken.add(m);
      byFallback++;
    }
  }
  // Between two matched neighbours, as many unmatched cells on both sides pair up in order.
  const rest = unmatched();
  let k = 0;
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
        match[rest[k + j]] = gap[j];
        taken.add(gap[j]);
        byFallback++;
      }
    }
    k = end + 1;
  }
  if (byFallback > 0) notes.push(`${byFallback} cell(s) had a missing or changed cell id and were matched by their source or position`);

  const cells: PlannedCell[] = [];
  const emitted = new Set<number>();
  const restoreUpTo = (limit: number): void => {
    for (let m = 0; m < limit; m++) {
      if (taken.has(m) || emitted.has(m)) continue;
      emitted.add(m);
      const c = master[m];
      if (!c.tags.includes("skip-in-grader")) {
        cells.push({ id: c.id, source: c.source, tags: c.tags, origin: "released" });
        notes.push(`cell ${c.id} is missing from the submission: its original (student) version was run instead`);
      }
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
