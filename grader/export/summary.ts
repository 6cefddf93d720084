/**
 * One student's standing from the gradebook: the current run of each notebook, manual points,
 * the late penalty and the final score. Every export (CSV, feedback pages, report) reads it
 * from here, so they cannot disagree with each other or with the gradebook.
 */
import { currentBonus, type StoredBonus } from "../gradebook/gradebook-bonus";
import { Gradebook, RosterRow, RunRow } from "../gradebook/gradebook";
import { applyPenalty } from "../submit/late";
import { questionComment, studentQuestionView } from "./student-view";

export interface NotebookStanding {
  notebook: string;
  status: string;
  reason: string | null;
  score: number;
  max: number;
  runId: number | null;
}

export interface StudentSummary {
  student: string;
  notebooks: NotebookStanding[];
  /** question id -> score and points of the current runs */
  questions: Record<string, { score: number; points: number }>;
  /** question id -> what the student is told of it (from its student view; "" when it passed) */
  comments: Record<string, string>;
  /** question id -> manual points and comment */
  manual: Record<string, { points: number; comment: string }>;
  auto: number;
  manualTotal: number;
  max: number;
  /** The submission time lateness is computed from (see grader/submit/submission-times.ts). */
  submittedAt: string | null;
  /** Where it came from: "times-file" (the instructor's --times) or "first-seen" (when grade first saw it). */
  timeSource: string | null;
  /** The time the student's manifest claims: shown, never used. */
  claimedAt: string | null;
  lateMinutes: number;
  lateDays: number;
  penalty: number;
  /** (auto + manual) after the late penalty */
  final: number;
  /** "graded" when every notebook ran, else e.g. "timeout: 02_mlp.ipynb"; "missing" for a roster student without a submission */
  status: string;
  /** The bonus competition's stored result (`grader bonus`), if measured. */
  bonus?: StoredBonus;
  /** Whether the student is on the roster; null when the gradebook has no roster. */
  onRoster: boolean | null;
  /** Name and email from the roster ("" when not on it). */
  name: string;
  email: string;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** The student's summary; `notebooks` gives each notebook's max score (for the ones without a run). */
export function summarize(gb: Gradebook, student: string, notebooks: { notebook: string; max: number }[],
  roster: Map<string, RosterRow> | null = rosterOf(gb)): StudentSummary {
  const runs = new Map<string, RunRow>(gb.currentRuns(student).map((r) => [r.notebook, r]));
  const standings: NotebookStanding[] = notebooks.map(({ notebook, max }) => {
    const r = runs.get(notebook);
    return r
      ? { notebook, status: r.status, reason: r.reason, score: r.score, max: r.max_score || max, runId: r.id }
      : { notebook, status: "not graded", reason: null, score: 0, max, runId: null };
  });
  const questions: StudentSummary["questions"] = {};
  const comments: StudentSummary["comments"] = {};
  for (const s of standings) {
    if (s.runId === null) continue;
    for (const q of gb.questions(s.runId)) {
      questions[q.id] = { score: q.score, points: q.points };
      comments[q.id] = questionComment(studentQuestionView(q));
    }
  }
  const manual: StudentSummary["manual"] = {};
  for (const m of gb.manual(student)) manual[m.question_id] = { points: m.points, comment: m.comment };
  const sub = gb.currentSubmission(student);
  const auto = round2(standings.reduce((n, s) => n + s.score, 0));
  const manualTotal = round2(Object.values(manual).reduce((n, m) => n + m.points, 0));
  const penalty = sub?.penalty ?? 0;
  const bad = standings.filter((s) => s.status !== "graded");
  return {
    student,
    notebooks: standings,
    questions,
    comments,
    manual,
    auto,
    manualTotal,
    max: round2(standings.reduce((n, s) => n + s.max, 0)),
    submittedAt: sub?.submitted_at ?? null,
    timeSource: sub?.time_source ?? null,
    claimedAt: (sub as { claimed_at?: string | null } | undefined)?.claimed_at ?? null,
    lateMinutes: sub?.late_minutes ?? 0,
    lateDays: sub?.late_days ?? 0,
    penalty,
    final: applyPenalty(auto + manualTotal, penalty),
    status: !sub && runs.size === 0 ? "missing" : bad.length === 0 ? "graded" : bad.map((s) => `${s.status}: ${s.notebook}`).join("; "),
    bonus: currentBonus(gb.db, student),
    onRoster: roster ? roster.has(student) : null,
    name: roster?.get(student)?.name ?? "",
    email: roster?.get(student)?.email ?? "",
  };
}

/** The gradebook's roster by id, or null when it has none. */
function rosterOf(gb: Gradebook): Map<string, RosterRow> | null {
  const rows = gb.roster();
  return rows.length ? new Map(rows.map((r) => [r.id, r])) : null;
}

/** Summaries of every student in the gradebook and on its roster (non-submitters too), sorted by id. */
export function summarizeAll(gb: Gradebook, notebooks: { notebook: string; max: number }[]): StudentSummary[] {
  const roster = rosterOf(gb);
  const ids = [...new Set([...gb.students(), ...(roster?.keys() ?? [])])].sort((a, b) => a.localeCompare(b) || (a < b ? -1 : a > b ? 1 : 0));
  return ids.map((s) => summarize(gb, s, notebooks, roster));
}
