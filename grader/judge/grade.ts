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
import { DEFAULT_LIMITS, runNotebook, runNotebooks, type NotebookRun, type RunLimits, type RunProfile, type RunResult } from "../run/run";
import type { Conversion } from "../run/child/protocol";
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

/** A notebook read and planned, ready to run: what `finish` needs besides the run. */
interface Prepared {
  base: { notebook: string; maxScore: number; masterHash: string };
  questions: Reference["questions"];
  plan: ReturnType<typeof planCells>;
  limits: RunLimits;
  conversions: Record<string, Conversion>;
  profile: boolean;
}

/** Reads and plans a submitted notebook against its reference; an unreadable one is its result already. */
async function prepare(spec: NotebookSpec, notebookPath: string, opts: GradeOptions, started: number): Promise<{ done: NotebookResult } | { ready: Prepared }> {
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
    return { done: {
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
    } };
  }
  const plan = planCells(reference.cells, submission);
  const root = opts.root ?? KIT_ROOT;
  const limits = limitsFor(spec, opts);
  const known = opts.reuseConversions === false ? {} : reference.conversions;
  const warm = opts.reuseConversions !== false && (opts.warmTypecheck ?? process.env.NNKIT_WARM_TYPECHECK === "1");
  const checked = warm ? await precheckCells(root, plan.cells, known, limits.cellTimeoutMs) : {};
  return { ready: { base, questions, plan, limits, conversions: { ...checked, ...known }, profile: opts.profile ?? process.env.NNKIT_GRADE_PROFILE === "1" } };
}

/** What the runner is given for a prepared notebook (questions judged from printed output are not probed). */
function runArgs(p: Prepared): NotebookRun {
  return { planned: p.plan.cells, questions: p.questions.filter((q) => q.compare.kind !== "output"), limits: p.limits, options: { conversions: p.conversions, profile: p.profile } };
}

/** Judges a prepared notebook's run. */
function finish(p: Prepared, run: RunResult, seconds: number): NotebookResult {
  const judged = p.questions.map((q) => judgeQuestion(q, run));
  const notes = [...p.plan.notes, ...run.notes];
  return {
    ...p.base,
    status: run.status === "ok" ? "graded" : run.status,
    reason: run.reason,
    score: roundScore(judged.reduce((s, q) => s + q.score, 0)),
    questions: judged,
    log: [...notes.map((n) => `note: ${n}`), run.log].join("\n"),
    seconds,
    cells: run.cells.map((c) => (c.ok ? { id: c.id, ok: true } : { id: c.id, ok: false, error: c.error })),
    notes: notes.length > 0 ? notes : undefined,
    instructorNotes: run.instructorNotes.length > 0 ? run.instructorNotes : undefined,
    ...(run.profile ? { profile: run.profile } : {}),
  };
}

/**
 * Grades one notebook: runs it sandboxed, evaluates the spec's probes (public only with
 * `includeHidden: false`) and scores each question against the master's results.
 */
export async function gradeNotebook(spec: NotebookSpec, notebookPath: string, opts: GradeOptions = {}): Promise<NotebookResult> {
  const started = Date.now();
  const prepared = await prepare(spec, notebookPath, opts, started);
  if ("done" in prepared) return prepared.done;
  const p = prepared.ready;
  const a = runArgs(p);
  const run = await runNotebook(opts.root ?? KIT_ROOT, a.planned, a.questions, a.limits, a.options);
  return finish(p, run, (Date.now() - started) / 1000);
}

/** A notebook of a submission: its spec, the student's file, and its master when not the kit's. */
export interface SubmissionItem {
  spec: NotebookSpec;
  path: string;
  masterPath?: string;
}

/** How a submission's notebooks are given sandboxed children (see `gradeSubmission`). */
export type ChildPer = "submission" | "notebook";

/** NNKIT_CHILD_PER=notebook|submission, or the default: one child per submission. */
export function childPerFromEnv(env: NodeJS.ProcessEnv = process.env): ChildPer {
  const v = env.NNKIT_CHILD_PER;
  if (v === undefined || v === "") return "submission";
  if (v !== "submission" && v !== "notebook") throw new Error(`NNKIT_CHILD_PER must be "submission" or "notebook", got "${v}"`);
  return v;
}

/**
 * Grades a submission's notebooks (one result each, in order). With `childPer: "submission"`
 * (the default, or NNKIT_CHILD_PER) they run in one sandboxed child, one after another, each in
 * a fresh tslab scope with its own limits (grader/run/run.ts, `runNotebooks`): the child's start
 * and tfjs's load are paid once instead of once per notebook, and the scores are the same. A
 * notebook with a question judged on printed output runs in a child of its own, since what a cell
 * prints can depend on the process before it (setupBackend prints its line once per process, and
 * tfjs numbers the layers it names, dense_Dense1, ..., across notebooks).
 * With `childPer: "notebook"` each notebook is graded by `gradeNotebook`, as before.
 */
export async function gradeSubmission(items: SubmissionItem[], opts: GradeOptions & { childPer?: ChildPer } = {}): Promise<NotebookResult[]> {
  const childPer = opts.childPer ?? childPerFromEnv();
  const optsFor = (item: SubmissionItem): GradeOptions => (item.masterPath ? { ...opts, masterPath: item.masterPath } : opts);
  if (childPer === "notebook") {
    const out: NotebookResult[] = [];
    for (const item of items) out.push(await gradeNotebook(item.spec, item.path, optsFor(item)));
    return out;
  }
  const results: NotebookResult[] = new Array(items.length);
  const shared: { index: number; prepared: Prepared; prepMs: number }[] = [];
  for (let i = 0; i < items.length; i++) {
    const started = Date.now();
    const prepared = await prepare(items[i].spec, items[i].path, optsFor(items[i]), started);
    if ("done" in prepared) results[i] = prepared.done;
    else if (prepared.ready.questions.some((q) => q.compare.kind === "output")) {
      const a = runArgs(prepared.ready);
      const run = await runNotebook(opts.root ?? KIT_ROOT, a.planned, a.questions, a.limits, a.options);
      results[i] = finish(prepared.ready, run, (Date.now() - started) / 1000);
    } else shared.push({ index: i, prepared: prepared.ready, prepMs: Date.now() - started });
  }
  const runs = await runNotebooks(opts.root ?? KIT_ROOT, shared.map((s) => runArgs(s.prepared)));
  shared.forEach((s, k) => {
    results[s.index] = finish(s.prepared, runs[k], (s.prepMs + runs[k].wallMs) / 1000);
  });
  return results;
}
