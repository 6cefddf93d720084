/**
 * The student's own solution cells, kept in the gradebook for the similarity report (the
 * unpacked submissions are a work folder that may be gone by then). `grade` calls
 * `captureSolutionCells` for every notebook it unpacks; only the student's versions of the
 * master's solution cells are stored (matched by cell id, else by source or position, as the
 * grader matches them), never cells the student did not have.
 *
 * Schema step "similarity-v1" (idempotent, additive): tables solution_cells and
 * solution_capture; a gradebook written before it gains them, empty, on first use.
 */
import type Database from "better-sqlite3";
import { masterCells, planCells } from "../../run/cells";
import { readNotebook, type NotebookJson } from "../../core/notebook";
import { toStudentNotebook } from "../../release/release-transform";
import { BEGIN_SOLUTION } from "../../core/solution-markers";
import { cellTextTable } from "../cell-text-table";

const SCHEMA = `
${cellTextTable("solution_cells", "source")}
-- one row per notebook of a submission whose cells were captured (even when none matched)
CREATE TABLE IF NOT EXISTS solution_capture (
  submission_id INTEGER NOT NULL REFERENCES submissions(id),
  notebook TEXT NOT NULL,
  captured_at TEXT NOT NULL,
  PRIMARY KEY (submission_id, notebook)
);`;

/** Adds the similarity tables when they are missing (safe to call any number of times). */
export function migrateSimilarity(db: Database.Database): void {
  db.exec(SCHEMA);
}

/** The master's solution cells: id -> true, for the cells that hold a solution region. */
function solutionCellIds(master: NotebookJson): Set<string> {
  return new Set(
    master.cells
      .filter((c) => c.cell_type === "code" && typeof c.id === "string" && (Array.isArray(c.source) ? c.source.join("") : String(c.source)).split("\n").some((line) => BEGIN_SOLUTION.test(line)))
      .map((c) => c.id as string),
  );
}

/**
 * Stores the student's versions of the master's solution cells for one notebook of a
 * submission (replacing what an earlier capture of the same submission stored). Never throws
 * for a bad student notebook: nothing is stored and the reason is returned.
 */
export function captureSolutionCells(db: Database.Database, submissionId: number, notebook: string, studentPath: string, masterPath: string): string | null {
  let cells: { id: string; source: string }[] = [];
  let problem: string | null = null;
  try {
    const master = readNotebook(masterPath);
    const wanted = solutionCellIds(master);
    const plan = planCells(masterCells(master, toStudentNotebook(master)).map((c) => ({ ...c, tags: [] })), readNotebook(studentPath));
    cells = plan.cells.filter((c) => c.origin === "submission" && wanted.has(c.id)).map((c) => ({ id: c.id, source: c.source }));
  } catch (e) {
    problem = (e as Error).message;
  }
  db.transaction(() => {
    db.prepare("DELETE FROM solution_cells WHERE submission_id = ? AND notebook = ?").run(submissionId, notebook);
    const ins = db.prepare("INSERT INTO solution_cells (submission_id, notebook, cell_id, source) VALUES (?, ?, ?, ?)");
    for (const c of cells) ins.run(submissionId, notebook, c.id, c.source);
    db.prepare("INSERT OR REPLACE INTO solution_capture (submission_id, notebook, captured_at) VALUES (?, ?, ?)")
      .run(submissionId, notebook, new Date().toISOString());
  })();
  return problem;
}

/** One student's stored solution cells of one notebook, from the submission of the current run. */
export interface StudentCells {
  student: string;
  notebook: string;
  submissionId: number;
  /** master cell id -> the student's source; null when this submission was never captured. */
  cells: Map<string, string> | null;
}

/** The stored cells of every student's current run of `notebook` (runs of missing or corrupt notebooks left out). */
export function currentSolutionCells(db: Database.Database, notebook: string): StudentCells[] {
  // a notebook missing from the submission, or a submission that could not be unpacked, has no code to compare
  const runs = db
    .prepare("SELECT student_id, submission_id FROM runs WHERE notebook = ? AND current = 1 AND status NOT IN ('missing', 'corrupt') ORDER BY student_id")
    .all(notebook) as { student_id: string; submission_id: number }[];
  const captured = db.prepare("SELECT 1 FROM solution_capture WHERE submission_id = ? AND notebook = ?");
  const cells = db.prepare("SELECT cell_id, source FROM solution_cells WHERE submission_id = ? AND notebook = ?");
  return runs.map((r) => ({
    student: r.student_id,
    notebook,
    submissionId: r.submission_id,
    cells: captured.get(r.submission_id, notebook) === undefined
      ? null
      : new Map((cells.all(r.submission_id, notebook) as { cell_id: string; source: string }[]).map((c) => [c.cell_id, c.source])),
  }));
}
