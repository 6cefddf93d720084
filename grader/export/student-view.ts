/**
 * What a student may see of a graded question, a run's log and its cells: the one place where
 * results leave the grader for students. Every exporter (feedback pages, Gradescope's
 * results.json, the LMS CSV's comment columns, `npm run check`) builds its text from these views
 * and from nothing else of a question.
 *
 * A view is built field by field from the record, never by copying it and deleting fields: of a
 * hidden probe it keeps only that it failed (a count per question). Its expression, inputs,
 * expected value, the student's value, its label and its message never enter a view, and neither
 * does a stored question message that could name them. A probe counts as public only when it
 * says `hidden: false`; anything else is treated as hidden.
 */
// the judge's type, not the gradebook's: the student kit's `check` builds its views here, and must
// not reach the gradebook (and with it better-sqlite3) even through a type
import type { QuestionResult } from "../judge/judge";

/** The parts of a question result a view reads (a judge QuestionResult, or a gradebook QuestionRecord whose status is any text). */
export type QuestionLike = Omit<QuestionResult, "status" | "probes"> & { status: string; probes: ProbeLike[] };

/** The parts of a probe result a view may read. */
export interface ProbeLike {
  hidden: boolean;
  passed: boolean;
  expr: string;
  label?: string;
  message?: string;
  inputs?: unknown;
  expected?: unknown;
  got?: unknown;
}

/** A failed public probe as a student sees it. */
export interface PublicFailureView {
  /** The probe's label, else its expression. */
  check: string;
  message?: string;
  inputs?: unknown;
  expected?: unknown;
  got?: unknown;
}

/** A question as a student sees it. */
export interface StudentQuestionView {
  id: string;
  title: string;
  points: number;
  score: number;
  status: string;
  /** One line on why it lost points (absent when it passed); never names a hidden probe. */
  summary?: string;
  publicFailures: PublicFailureView[];
  /** How many hidden probes of this question failed: all that is shown of them. */
  hiddenFailed: number;
  /** The question's hint, when it lost points. */
  hint?: string;
}

const STUB = /^threw (Error: )?not implemented/;

/** True only for a probe that says it is public. */
function isPublic(p: ProbeLike): boolean {
  return p.hidden === false;
}

/**
 * A run's reason as a student may read it. The runner's causes (time limits, memory, a crash,
 * an unreadable file) name no probe; an error of the kit itself (the master's reference or a
 * spec failed: "master 01_x.ipynb: probe 3 of q (expr) threw ...") can name a hidden probe, so
 * only its kind is shown.
 */
export function studentReason(reason: string | undefined): string | undefined {
  if (reason === undefined) return undefined;
  return /^(master|spec) /.test(reason) || /(^|: )(master|spec) \S+: /.test(reason)
    ? "the grader's reference for this notebook could not be computed (a problem of the course kit, not of your notebook: tell your instructor)"
    : reason;
}

/** The summary line, composed from the probes' verdicts and public parts only. */
function summaryOf(q: QuestionLike): string | undefined {
  if (q.status === "passed") return undefined;
  // "missing" names only the required names that are not defined.
  if (q.status === "missing") return q.message;
  // A run without verdicts (crash, timeout, unreadable file): the stored message is the cause,
  // given to every probe alike, and comes from the runner, never from a probe's value.
  if (q.probes.length === 0 || q.probes.every((p) => !p.passed && p.message === q.message)) return studentReason(q.message);
  const total = q.probes.length;
  const passed = q.probes.filter((p) => p.passed).length;
  const failed = q.probes.filter((p) => !p.passed);
  const firstPublic = failed.find(isPublic);
  if (passed === 0 && failed.every((p) => STUB.test(p.message ?? ""))) return "not implemented yet";
  const head = `${passed}/${total} checks passed`;
  if (firstPublic) return `${head}; first failure, ${firstPublic.label ?? firstPublic.expr}: ${firstPublic.message ?? "failed"}`;
  return `${head}; a hidden check of this question failed`;
}

/** The student's view of one question result. */
export function studentQuestionView(q: QuestionLike): StudentQuestionView {
  const passed = q.status === "passed";
  const view: StudentQuestionView = {
    id: q.id,
    title: q.title,
    points: q.points,
    score: q.score,
    status: q.status,
    publicFailures: [],
    hiddenFailed: 0,
  };
  const summary = summaryOf(q);
  if (summary !== undefined) view.summary = summary;
  for (const p of q.probes) {
    if (p.passed) continue;
    if (!isPublic(p)) {
      view.hiddenFailed++;
      continue;
    }
    const f: PublicFailureView = { check: p.label ?? p.expr };
    if (p.message !== undefined) f.message = studentReason(p.message);
    if (p.inputs !== undefined) f.inputs = p.inputs;
    if (p.expected !== undefined) f.expected = p.expected;
    if (p.got !== undefined) f.got = p.got;
    view.publicFailures.push(f);
  }
  if (!passed) view.hint = q.hint;
  return view;
}

/** "N hidden check(s) failed." or "". */
export function hiddenLine(view: StudentQuestionView): string {
  return view.hiddenFailed ? `${view.hiddenFailed} hidden check${view.hiddenFailed > 1 ? "s" : ""} failed.` : "";
}

/** One line for a CSV comment column: the summary, the hidden failures and the hint ("" when passed). */
export function questionComment(view: StudentQuestionView): string {
  if (view.status === "passed") return "";
  return [view.summary, hiddenLine(view), view.hint ? `Hint: ${view.hint}` : ""].filter((s) => s).join(" ");
}

/**
 * The part of a run's log a student may see: the cells' own output and the grader's notes. The
 * output the process wrote outside the cells (where the probes ran, on hidden inputs) is cut.
 */
export function studentLog(log: string): string {
  const at = log.search(/(^|\n)── process output/);
  return at < 0 ? log : log.slice(0, at);
}

/** A cell of a run, as stored. */
export interface CellLike {
  id: string;
  ok: boolean;
  error?: string;
}

/** The first line of a cell's error, cut to a readable length. */
function firstLine(text: string, max = 300): string {
  const line = text.split("\n").find((l) => l.trim()) ?? text;
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * What the student is told of each cell that failed: "cell <id> raised <error>; in Jupyter, Run
 * All stops here". The grader runs the later cells anyway (as nbgrader does); Jupyter does not.
 * Cells the grader could not run at all (after a crash) are named as not run.
 */
export function failedCellNotes(cells: CellLike[]): string[] {
  return cells
    .filter((c) => !c.ok)
    .map((c) => {
      const error = firstLine(c.error ?? "it failed");
      if (/^not run: /.test(error)) return `cell ${c.id} was ${error}`;
      if (/did not finish/.test(error)) return `cell ${c.id}: ${error}; in Jupyter, Run All stops here until you interrupt the kernel`;
      return `cell ${c.id} raised ${error}; in Jupyter, Run All stops here`;
    });
}
