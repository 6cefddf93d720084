/**
 * The similarity analysis of a graded class: for every notebook of the assignment, each
 * student's current submission's own code per question (from the gradebook's stored solution
 * cells), compared pairwise and with the master's solution.
 */
import type Database from "better-sqlite3";
import * as path from "path";
import { readNotebook } from "../../core/notebook";
import type { NotebookSpec } from "../../core/spec";
import { byRank, comparePairs, participant, type CompareOptions, type PairScore, type Participant } from "./compare";
import { solutionCells, writtenByQuestion, type SolutionCell } from "./regions";
import { SubmissionRecovery } from "./recover";
import { currentSolutionCells } from "./store";
import { K, W } from "./winnow";

export interface SimilarityResult {
  pairs: PairScore[];
  /** Questions compared, with how many students wrote something for each. */
  questions: { notebook: string; question: string; students: number }[];
  /** Pairs whose score was computed (the rest share no fingerprint: similarity 0). */
  scored: number;
  /** Students whose current submission of a notebook has no stored cells (graded before capture existed). */
  notCaptured: { student: string; notebook: string; reason: string }[];
}

/** Joins what one author wrote, per question, over all the solution cells of a notebook. */
function writtenPerQuestion(cells: SolutionCell[], source: (cell: SolutionCell) => string | undefined): Map<string, string> {
  const lines = new Map<string, string[]>();
  for (const c of cells) {
    const src = source(c);
    if (src === undefined) continue;
    for (const [q, ls] of writtenByQuestion(c, src)) lines.set(q, [...(lines.get(q) ?? []), ...ls]);
  }
  return new Map([...lines].map(([q, ls]) => [q, ls.join("\n")]));
}

/** Runs the comparison over every notebook of `specs` (masters read from `mastersDir`). */
export async function analyzeSimilarity(db: Database.Database, specs: NotebookSpec[], mastersDir: string, o: CompareOptions = {}): Promise<SimilarityResult> {
  const k = o.k ?? K;
  const w = o.w ?? W;
  const result: SimilarityResult = { pairs: [], questions: [], scored: 0, notCaptured: [] };
  const recovery = new SubmissionRecovery(db, specs.map((s) => s.notebook));
  try {
    for (const spec of specs) await compareNotebook(db, spec, mastersDir, recovery, result, o, k, w);
  } finally {
    recovery.dispose();
  }
  result.pairs.sort(byRank);
  return result;
}

/** Compares the students of one notebook, question by question, into `result`. */
async function compareNotebook(db: Database.Database, spec: NotebookSpec, mastersDir: string, recovery: SubmissionRecovery, result: SimilarityResult,
  o: CompareOptions, k: number, w: number): Promise<void> {
  const master = readNotebook(path.join(mastersDir, spec.notebook));
  const cells = solutionCells(master, spec);
  const masterText = writtenPerQuestion(cells, (c) => c.master);
  const perQuestion = new Map<string, Participant[]>();
  const masterPath = path.join(mastersDir, spec.notebook);
  let current = currentSolutionCells(db, spec.notebook);
  // graded before cells were stored: capture them from the original submission files, once
  const missing = current.filter((s) => s.cells === null);
  const why = new Map<string, string | null>();
  for (const s of missing) why.set(s.student, await recovery.recover(s.submissionId, spec.notebook, masterPath));
  if (missing.length > 0) current = currentSolutionCells(db, spec.notebook);
  for (const s of current) {
    if (s.cells === null) {
      result.notCaptured.push({ student: s.student, notebook: spec.notebook, reason: why.get(s.student) ?? "not captured" });
      continue;
    }
    const stored = s.cells;
    for (const [q, text] of writtenPerQuestion(cells, (c) => stored.get(c.id))) {
      const p = participant(s.student, q, text, k, w);
      if (!p) continue;
      const list = perQuestion.get(q) ?? [];
      list.push(p);
      perQuestion.set(q, list);
    }
  }
  const questions = [...new Set([...spec.questions.map((q) => q.id), ...cells.flatMap((c) => c.regions.map((r) => r.question))])];
  for (const q of questions) {
    const students = perQuestion.get(q) ?? [];
    const m = masterText.get(q);
    const { pairs, scored } = comparePairs(students, m === undefined ? null : participant("(master)", q, m, k, w), o);
    for (const p of pairs) result.pairs.push(p);
    result.scored += scored;
    if (cells.some((c) => c.regions.some((r) => r.question === q))) result.questions.push({ notebook: spec.notebook, question: q, students: students.length });
  }
}
