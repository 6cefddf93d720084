/**
 * Turns what grading one notebook produced (the grader core's NotebookResult, or why there is
 * none) into the run the gradebook and Gradescope store, with a question entry for every
 * question of the spec so a failed run still shows what it was worth.
 */
import { maxScore } from "../judge/assignment";
import type { QuestionRecord, RunInput, RunStatus } from "./gradebook";
import type { NotebookSpec } from "../core/spec";

/** The run stored when a notebook produced no grader result (watchdog, dead worker, unusable files). */
export function failedRun(spec: NotebookSpec, status: RunStatus, reason: string, log = reason): RunInput {
  const questions: QuestionRecord[] = spec.questions.map((q) => ({
    id: q.id, title: q.title, points: q.points, score: 0, status: "error", message: reason, hint: q.hint, probes: [],
  }));
  return { status, reason, score: 0, maxScore: maxScore(spec), questions, log, seconds: 0, masterHash: "" };
}

/** The grader core's NotebookResult, as far as the gradebook reads it: a run with the core's statuses. */
type CoreResult = Omit<RunInput, "status"> & { status: "graded" | "timeout" | "crash" | "invalid" };

function isCoreResult(v: unknown): v is CoreResult {
  const r = v as CoreResult;
  return typeof r === "object" && r !== null && typeof r.status === "string" && typeof r.score === "number" &&
    typeof r.maxScore === "number" && Array.isArray(r.questions);
}

/** The run for a value the grader core returned (anything else counts as a crash). */
export function runFromCore(spec: NotebookSpec, value: unknown): RunInput {
  if (!isCoreResult(value)) return failedRun(spec, "crash", "the grader core returned no result");
  return {
    status: value.status,
    reason: value.reason,
    score: value.score,
    maxScore: value.maxScore,
    questions: value.questions,
    log: value.log ?? "",
    seconds: value.seconds ?? 0,
    masterHash: value.masterHash ?? "",
    cells: value.cells,
  };
}
