/**
 * The grader's entry point: grade one notebook of a submission against its spec.
 *
 *   const result = await gradeNotebook(spec, "submissions/ada/01_activations.ipynb");
 *
 * The submission runs in a sandboxed child (grader/run/sandbox.ts) with tslab's own semantics;
 * its probe results come back as plain data and are judged here against the master's results
 * (grader/judge/expected.ts). A bad file, a crash or a timeout is a result with a reason, never a throw;
 * only a broken master, spec or kit makes this reject.
 */
import * as fs from "fs";
import * as path from "path";
import { planCells } from "../run/cells";
import { masterReference, referenceFromChecks, type Reference } from "./expected";
import { judgeQuestion, roundScore, type QuestionResult } from "./judge";
import { readNotebook, NotebookError } from "../core/notebook";
import { precheckCells } from "../run/typecheck";
import { DEFAULT_LIMITS, runNotebook, type RunLimits, type RunProfile } from "../run/run";
import type { NotebookSpec } from "../core/spec";
import { KIT_ROOT } from "../core/version";
import type { ChecksFile } from "../../src/check";

export { loadSpecs, specForNotebook } from "./spec-loader";
export type { QuestionResult, ProbeResult } from "./judge";

export interface GradeOptions {
  /** Run hidden probes too (default true); false = public probes only, as the student's check. */
  includeHidden?: boolean;
  cellTimeoutMs?: number;
  notebookTimeoutMs?: number;
  /** CPU ms each probe may use (default DEFAULT_LIMITS.probeTimeoutMs); the master's reference always runs with the default. */
  probeTimeoutMs?: number;
  memoryMb?: number;
  /** The master notebook (default: notebooks/<spec.notebook> under the kit root). */
  masterPath?: string;
  /** The kit root (default: the folder above grader/). */
  root?: string;
  /** Where the runner and the expected values are cached (default: <root>/.cache). */
  cacheDir?: string;
  /** Where public checks are read from when there is no master (default: <root>/checks). */
  checksDir?: string;
  /** Take expected values from the master (default when it exists) or from the public checks (public probes only). */
  expectedFrom?: "master" | "checks";
  /**
   * Reuse the master's type-checked conversions of unchanged public cells (default true).
   * False type-checks every cell again; the scores are the same, only slower.
   */
  reuseConversions?: boolean;
  /**
   * Type-check the cells in the grader's warm checker (grader/run/typecheck.ts) and hand the clean
   * conversions to the child. It pays off in a process that grades many notebooks (the bulk
   * grader's workers turn it on); the default is off, or NNKIT_WARM_TYPECHECK=1. Off leaves every
   * cell the master has not converted to the child; the scores are the same.
   */
  warmTypecheck?: boolean;
  /**
   * Record where the run's CPU time went (NotebookResult.profile): default true when the
   * environment has NNKIT_GRADE_PROFILE=1. Scores are the same either way.
   */
  profile?: boolean;
}

export interface NotebookResult {
  notebook: string;
  status: "graded" | "timeout" | "crash" | "invalid";
  reason?: string;
  score: number;
  maxScore: number;
  questions: QuestionResult[];
  log: string;
  seconds: number;
  masterHash: string;
  cells: { id: string; ok: boolean; error?: string }[];
  /** How the submission's cells were matched with the master's, when that needed care. */
  notes?: string[];
  /**
   * For the instructor only (never in `log` or anything a student sees): lines on the result
   * channel that answered no request (tampering), output printed while probes ran.
   */
  instructorNotes?: string[];
  /** With the `profile` option: the child's CPU time by stage (see RunProfile). */
  profile?: RunProfile;
}

/** The resource limits of a notebook: options, then the spec, then the defaults. */
export function limitsFor(spec: NotebookSpec, opts: GradeOptions): RunLimits {
  return {
    cellTimeoutMs: opts.cellTimeoutMs ?? spec.cellTimeoutMs ?? DEFAULT_LIMITS.cellTimeoutMs,
    notebookTimeoutMs: opts.notebookTimeoutMs ?? spec.notebookTimeoutMs ?? DEFAULT_LIMITS.notebookTimeoutMs,
    probeTimeoutMs: opts.probeTimeoutMs ?? DEFAULT_LIMITS.probeTimeoutMs,
    memoryMb: opts.memoryMb ?? spec.memoryMb ?? DEFAULT_LIMITS.memoryMb,
  };
}

/** The reference for a spec: from its master when there is one, else (public probes only) from checks/. */
export async function referenceFor(spec: NotebookSpec, opts: GradeOptions = {}): Promise<Reference> {
  const root = opts.root ?? KIT_ROOT;
  const masterPath = opts.masterPath ?? path.join(root, "notebooks", spec.notebook);
  if (opts.expectedFrom !== "checks" && fs.existsSync(masterPath)) {
    // Expected values never depend on the submission's limits, but the master needs room to run.
    const limits = limitsFor(spec, { ...opts, cellTimeoutMs: undefined, notebookTimeoutMs: undefined, probeTimeoutMs: undefined });
    return masterReference(spec, masterPath, root, limits, opts.cacheDir);
  }
  const checksFile = path.join(opts.checksDir ?? path.join(root, "checks"), `${path.basename(spec.notebook, ".ipynb")}.json`);
  if (opts.includeHidden === false && opts.expectedFrom !== "master" && fs.existsSync(checksFile)) {
    return referenceFromChecks(JSON.parse(fs.readFileSync(checksFile, "utf8")) as ChecksFile);
  }
  throw new Error(`cannot grade ${spec.notebook}: neither its master (${masterPath}) nor, for public checks, ${checksFile} exists`);
}

/**
 * Grades one notebook: runs it sandboxed, evaluates the spec's probes (public only with
 * `includeHidden: false`) and scores each question against the master's results.
 */
export async function gradeNotebook(spec: NotebookSpec, notebookPath: string, opts: GradeOptions = {}): Promise<NotebookResult> {
  const started = Date.now();
  const includeHidden = opts.includeHidden ?? true;
  const reference = await referenceFor(spec, opts);
  const questions = reference.questions
    .filter((q) => spec.questions.some((s) => s.id === q.id))
    .map((q) => ({ ...q, probes: q.probes.filter((p) => includeHidden || !p.hidden) }));
  const maxScore = roundScore(questions.reduce((s, q) => s + q.points, 0));
  const base = { notebook: path.basename(notebookPath), maxScore, masterHash: reference.masterHash };
  let submission;
  try {
    submission = readNotebook(notebookPath);
  } catch (err) {
    if (!(err instanceof NotebookError)) throw err;
    const why = err.message;
    return {
      ...base,
      status: "invalid",
      reason: err.message,
      score: 0,
      log: err.message,
      seconds: (Date.now() - started) / 1000,
      cells: [],
      questions: questions.map((q) => ({
        id: q.id,
        title: q.title,
        points: q.points,
        score: 0,
        status: "error",
        message: `not graded: ${why}`,
        hint: q.hint,
        probes: q.probes.map((p) => ({ index: p.index, hidden: p.hidden, passed: false, expr: p.expr, label: p.label, message: "not graded" })),
      })),
    };
  }
  const plan = planCells(reference.cells, submission);
  const root = opts.root ?? KIT_ROOT;
  const limits = limitsFor(spec, opts);
  const known = opts.reuseConversions === false ? {} : reference.conversions;
  const warm = opts.reuseConversions !== false && (opts.warmTypecheck ?? process.env.NNKIT_WARM_TYPECHECK === "1");
  const checked = warm ? await precheckCells(root, plan.cells, known, limits.cellTimeoutMs) : {};
  const run = await runNotebook(root, plan.cells, questions.filter((q) => q.compare.kind !== "output"), limits, {
    conversions: { ...checked, ...known },
    profile: opts.profile ?? process.env.NNKIT_GRADE_PROFILE === "1",
  });
  const judged = questions.map((q) => judgeQuestion(q, run));
  const notes = [...plan.notes, ...run.notes];
  return {
    ...base,
    status: run.status === "ok" ? "graded" : run.status,
    reason: run.reason,
    score: roundScore(judged.reduce((s, q) => s + q.score, 0)),
    questions: judged,
    log: [...notes.map((n) => `note: ${n}`), run.log].join("\n"),
    seconds: (Date.now() - started) / 1000,
    cells: run.cells.map((c) => (c.ok ? { id: c.id, ok: true } : { id: c.id, ok: false, error: c.error })),
    notes: notes.length > 0 ? notes : undefined,
    instructorNotes: run.instructorNotes.length > 0 ? run.instructorNotes : undefined,
    ...(run.profile ? { profile: run.profile } : {}),
  };
}
