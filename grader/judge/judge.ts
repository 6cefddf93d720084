/**
 * Scores questions from plain data, in the trusted parent: the student's probe outcomes
 * against the reference's, with the question's comparator. Partial credit per probe.
 */
import { compareValues, displayValue } from "./compare";
import type { ProbeOutcome, PlainValue } from "../core/plain";
import { decodePlain } from "../core/plain";
import type { RefQuestion } from "./expected";
import type { RunResult } from "../run/run";
import type { Plain } from "../core/spec";

export interface ProbeResult {
  index: number;
  hidden: boolean;
  passed: boolean;
  expr: string;
  label?: string;
  /** Filled for public probes only. */
  inputs?: Plain;
  expected?: Plain;
  got?: Plain;
  message?: string;
}

export interface QuestionResult {
  id: string;
  title: string;
  points: number;
  score: number;
  status: "passed" | "partial" | "failed" | "missing" | "error";
  message?: string;
  hint: string;
  probes: ProbeResult[];
}

/** Rounds a score to 1e-6 so that sums of fractions print cleanly. */
export function roundScore(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function publicInputs(q: RefQuestion, index: number): Plain {
  const probe = q.probes.find((p) => p.index === index);
  const out: Record<string, PlainValue> = {};
  for (const [name, input] of Object.entries(probe?.inputs ?? {})) out[name] = decodePlain(input.value);
  return out;
}

/** Judges one question of a run. `q.probes` are the probes that were run (hidden ones only for the instructor). */
export function judgeQuestion(q: RefQuestion, run: RunResult): QuestionResult {
  const base = { id: q.id, title: q.title, points: q.points, hint: q.hint };
  const fail = (status: QuestionResult["status"], message: string): QuestionResult => ({
    ...base,
    score: 0,
    status,
    message,
    probes: q.probes.map((p) => ({ index: p.index, hidden: p.hidden, passed: false, expr: p.expr, label: p.label, message })),
  });
  const crashed = run.questionFailures.get(q.id);
  if (q.compare.kind !== "output") {
    const missing = q.requires.filter((n) => (run.types[n] ?? "undefined") === "undefined");
    if (missing.length > 0 && !crashed) {
      return fail("missing", `${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} not defined (did the cell that defines ${missing.length > 1 ? "them" : "it"} fail or get deleted?)`);
    }
  }
  if (crashed) return fail("error", `could not be graded: ${crashed}`);
  const probes: ProbeResult[] = q.probes.map((p) => {
    let got: ProbeOutcome;
    if (q.compare.kind === "output") {
      const cellId = q.compare.cell;
      const cell = run.cells.find((c) => c.id === cellId);
      got = !cell ? { ok: false, error: `cell ${cellId} is missing` } : !cell.ok ? { ok: false, error: `cell ${cellId} failed: ${cell.error}` } : { ok: true, value: cell.stdout };
    } else got = run.outcomes.get(q.id)?.get(p.index) ?? { ok: false, error: "no result" };
    // Every verdict is made here, from raw values; a probe may carry its own raw-value rule.
    const rule = p.compare ?? q.compare;
    const verdict = compareValues(p.expected, got, rule);
    const result: ProbeResult = { index: p.index, hidden: p.hidden, passed: verdict.passed, expr: p.expr, label: p.label, message: verdict.message };
    if (!p.hidden) {
      result.inputs = publicInputs(q, p.index);
      if (p.expected.ok) result.expected = displayValue(p.expected.value, rule);
      result.got = got.ok ? displayValue(got.value, rule) : { error: got.error };
    }
    return result;
  });
  const passed = probes.filter((p) => p.passed).length;
  const total = probes.length;
  const score = total === 0 ? 0 : roundScore((q.points * passed) / total);
  if (passed === total) return { ...base, score, status: "passed", probes };
  // The question's message names a public failure only: of a hidden probe it says that one
  // failed, never its expression, inputs, values or error (students read this message).
  const failures = probes.filter((p) => !p.passed);
  const firstPublic = failures.find((p) => !p.hidden);
  const errors = probes.filter((p) => !p.passed && p.message?.startsWith("threw "));
  if (passed === 0 && errors.length === total) {
    const shown = errors.find((p) => !p.hidden);
    const msg = (shown?.message ?? "").replace(/^threw /, "");
    const stub = errors.every((p) => /^threw (Error: )?not implemented/.test(p.message ?? ""));
    const message = stub
      ? `not implemented yet${shown ? ` (${msg})` : ""}`
      : shown ? `every probe threw, e.g. ${shown.label ?? shown.expr}: ${msg}` : "every probe threw (hidden probes)";
    return { ...base, score, status: "error", message, probes };
  }
  const first = firstPublic ? `${firstPublic.label ?? firstPublic.expr}: ${firstPublic.message}` : "a hidden probe";
  return { ...base, score, status: passed === 0 ? "failed" : "partial", message: `${passed}/${total} probes passed; first failure, ${first}`, probes };
}
