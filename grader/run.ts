/**
 * Runs one planned notebook in the sandbox and collects what it reports: each cell's status
 * and output, which required names exist, and each probe's outcome (as plain data).
 * A cell or probe that hangs or kills the child (endless loop, memory bomb, process.exit) is
 * skipped in a fresh child, so the other questions are still graded; the causes are kept.
 */
import { runnerProgram } from "./child-bundle";
import { spawnSandboxed } from "./sandbox";
import { decodeOutcome, type ProbeOutcome } from "./plain";
import type { PlannedCell } from "./cells";
import type { ChildMessage, Conversion, Job, JobQuestion } from "./child/protocol";

export interface RunLimits {
  cellTimeoutMs: number;
  notebookTimeoutMs: number;
  probeTimeoutMs: number;
  memoryMb: number;
}

/** A clean conversion the child reported, with the planned cell it belongs to. */
export interface CellConversion {
  cell: number;
  key: string;
  conversion: Conversion;
}

export interface RunOptions {
  /** Known conversions of public cells to reuse (see Job.conversions). */
  conversions?: Record<string, Conversion>;
  /** Collect the child's clean conversions: only for a trusted notebook (the master). */
  recordConversions?: boolean;
}

export const DEFAULT_LIMITS: RunLimits = { cellTimeoutMs: 30_000, notebookTimeoutMs: 180_000, probeTimeoutMs: 10_000, memoryMb: 2048 };

export interface CellRun {
  id: string;
  ok: boolean;
  error?: string;
  stdout: string;
  stderr: string;
  /** Characters of output beyond the capture cap, counted but not kept. */
  dropped: number;
}

export interface RunResult {
  cells: CellRun[];
  /** typeof of each required name after the cells ran ("undefined" when missing). */
  types: Record<string, string>;
  /** question id -> probe index -> outcome. */
  outcomes: Map<string, Map<number, ProbeOutcome>>;
  /** Questions whose probes could not finish (the child hung or died in them), with the cause. */
  questionFailures: Map<string, string>;
  status: "ok" | "timeout" | "crash";
  reason?: string;
  log: string;
  /** How the run went (retries, snapshot use), for the log. */
  notes: string[];
  /** The conversions the child reported, when they were asked for. */
  conversions: CellConversion[];
}

const GRACE_MS = 3000;
const LOG_CELL_CHARS = 8000;

function isMessage(m: unknown): m is ChildMessage {
  return !!m && typeof m === "object" && typeof (m as { t?: unknown }).t === "string";
}

interface Attempt {
  cellsDone: Map<number, CellRun>;
  types: Record<string, string>;
  outcomes: Map<string, Map<number, ProbeOutcome>>;
  currentCell?: number;
  currentQuestion?: string;
  conversions: CellConversion[];
  done: boolean;
  failure?: { kind: "timeout" | "crash"; cause: string };
  raw: string;
}

/** Runs `cells` then `questions` in one sandboxed child; never rejects. */
async function attempt(root: string, job: Job, planned: PlannedCell[], limits: RunLimits, deadline: number): Promise<Attempt> {
  const program = await runnerProgram(root, limits.memoryMb);
  const state: Attempt = { cellsDone: new Map(), types: {}, outcomes: new Map(), conversions: [], done: false, raw: "" };
  const expectedProbes = new Map(job.questions.map((q) => [q.id, new Set(q.probes.map((p) => p.index))]));
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  let timedOut: string | undefined;
  const arm = (ms: number, why: string): void => {
    if (watchdog) clearTimeout(watchdog);
    const left = deadline - Date.now();
    const wait = Math.max(0, Math.min(ms, left));
    const cause = ms <= left ? why : `the notebook did not finish within ${limits.notebookTimeoutMs} ms`;
    watchdog = setTimeout(() => {
      timedOut = cause;
      sandbox.kill(cause);
    }, wait);
  };
  const onMessage = (raw: unknown): void => {
    if (!isMessage(raw)) return;
    const m = raw;
    switch (m.t) {
      case "cell-start":
        if (typeof m.index === "number" && planned[m.index]) {
          state.currentCell = m.index;
          arm(limits.cellTimeoutMs + GRACE_MS, `cell ${planned[m.index].id} did not finish within ${limits.cellTimeoutMs} ms`);
        }
        break;
      case "cell-end":
        if (m.index === state.currentCell && typeof m.ok === "boolean") {
          state.cellsDone.set(m.index, {
            id: planned[m.index].id,
            ok: m.ok,
            error: m.ok ? undefined : String(m.error ?? "the cell failed").slice(0, 4000),
            stdout: String(m.stdout ?? ""),
            stderr: String(m.stderr ?? ""),
            dropped: typeof m.dropped === "number" && m.dropped > 0 ? m.dropped : 0,
          });
          state.currentCell = undefined;
        }
        break;
      case "names":
        if (state.currentCell === undefined && m.types && typeof m.types === "object") for (const [k, v] of Object.entries(m.types)) state.types[k] = String(v);
        break;
      case "question-start": {
        const q = job.questions.find((x) => x.id === m.id);
        if (q) {
          state.currentQuestion = q.id;
          arm((limits.probeTimeoutMs + 500) * Math.max(1, q.probes.length) + GRACE_MS, `the probes of ${q.id} did not finish in time`);
        }
        break;
      }
      case "probe": {
        // Only the question being probed may report: a line forged by a cell is ignored.
        const wanted = expectedProbes.get(m.question);
        if (m.question !== state.currentQuestion || !wanted || !wanted.has(m.index)) break;
        const got = state.outcomes.get(m.question) ?? new Map<number, ProbeOutcome>();
        if (got.has(m.index)) break;
        let outcome: ProbeOutcome;
        try {
          outcome = decodeOutcome(m.outcome);
        } catch {
          outcome = { ok: false, error: "the result could not be read (malformed data)" };
        }
        got.set(m.index, outcome);
        state.outcomes.set(m.question, got);
        break;
      }
      case "conversion":
        if (job.recordConversions && state.currentCell !== undefined && typeof m.key === "string" && m.conversion && typeof m.conversion === "object") {
          state.conversions.push({ cell: state.currentCell, key: m.key, conversion: m.conversion });
        }
        break;
      case "done":
        state.done = true;
        state.currentQuestion = undefined;
        // Everything has been reported. A child that exits by itself spends most of a second
        // tearing down the compiler's heap; nothing it could still do counts, so it is killed.
        sandbox.kill("it finished");
        break;
    }
  };
  const sandbox = spawnSandboxed({
    root,
    program: program.snapshotBlob ? { snapshotBlob: program.snapshotBlob } : { code: program.code },
    memoryMb: limits.memoryMb,
    stdin: JSON.stringify(job),
    onMessage,
  });
  arm(limits.cellTimeoutMs + GRACE_MS, "the grader's runner did not start");
  const exit = await sandbox.done;
  if (watchdog) clearTimeout(watchdog);
  state.raw = [exit.stdout, exit.stderr].filter((t) => t.trim()).join("\n");
  if (!state.done) {
    if (timedOut) state.failure = { kind: "timeout", cause: timedOut };
    else if (exit.outOfMemory) state.failure = { kind: "crash", cause: `it ran out of memory (${exit.killedFor ?? `heap limit ${limits.memoryMb} MB`})` };
    else state.failure = { kind: "crash", cause: `the process ended unexpectedly (${exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`})` };
  }
  if (exit.badMessages > 0) state.raw += `\n[${exit.badMessages} malformed or oversized result message(s) ignored]`;
  return state;
}

/**
 * Runs the planned cells and the questions' probes in the sandbox, with retries that skip
 * whatever hung or crashed the child (at most 3 runs, all within the notebook's time limit).
 */
export async function runNotebook(root: string, planned: PlannedCell[], questions: JobQuestion[], limits: RunLimits, options: RunOptions = {}): Promise<RunResult> {
  const deadline = Date.now() + limits.notebookTimeoutMs;
  const skippedCells = new Map<number, string>();
  const failedQuestions = new Map<string, string>();
  const notes: string[] = [];
  let status: RunResult["status"] = "ok";
  let reason: string | undefined;
  let last: Attempt | undefined;
  for (let round = 0; round < 3; round++) {
    const job: Job = {
      cells: planned.map((c, index) => ({ index, id: c.id, source: c.source })).filter((c) => !skippedCells.has(c.index)),
      questions: questions.filter((q) => !failedQuestions.has(q.id)),
      cellTimeoutMs: limits.cellTimeoutMs,
      probeTimeoutMs: limits.probeTimeoutMs,
      outputCapBytes: 1024 * 1024,
      resultCapChars: 32 * 1024 * 1024,
      conversions: options.conversions ?? {},
      recordConversions: !!options.recordConversions,
    };
    last = await attempt(root, job, planned, limits, deadline);
    if (!last.failure) break;
    status = last.failure.kind === "timeout" || (status as string) === "timeout" ? "timeout" : "crash";
    reason = reason ? `${reason}; ${last.failure.cause}` : last.failure.cause;
    const outOfTime = Date.now() >= deadline - 100;
    if (last.currentCell !== undefined && !outOfTime) {
      skippedCells.set(last.currentCell, last.failure.cause);
      notes.push(`cell ${planned[last.currentCell].id} was skipped on a rerun: ${last.failure.cause}`);
    } else if (last.currentQuestion !== undefined && !outOfTime) {
      failedQuestions.set(last.currentQuestion, last.failure.cause);
      notes.push(`the probes of ${last.currentQuestion} were dropped on a rerun: ${last.failure.cause}`);
    } else break;
  }
  const final = last as Attempt;
  if (final.failure && !final.done) {
    // The last run did not finish: whatever did not report counts as failed.
    for (const q of questions) if (!failedQuestions.has(q.id) && !final.outcomes.has(q.id)) failedQuestions.set(q.id, final.failure.cause);
  }
  const cells: CellRun[] = [];
  planned.forEach((c, i) => {
    const skipped = skippedCells.get(i);
    if (skipped) cells.push({ id: c.id, ok: false, error: skipped, stdout: "", stderr: "", dropped: 0 });
    else {
      const done = final.cellsDone.get(i);
      if (done) cells.push(done);
      else if (final.failure) cells.push({ id: c.id, ok: false, error: `not run: ${final.failure.cause}`, stdout: "", stderr: "", dropped: 0 });
    }
  });
  const log: string[] = [];
  for (const c of cells) {
    log.push(`── cell ${c.id}: ${c.ok ? "ok" : `FAILED: ${c.error}`}`);
    const cut = Math.max(0, c.stdout.length - LOG_CELL_CHARS) + c.dropped;
    if (c.stdout.trim()) log.push(c.stdout.slice(0, LOG_CELL_CHARS).trimEnd());
    if (cut > 0) log.push(`[... ${cut} more characters of output not kept]`);
    if (!c.ok && c.stderr.trim() && c.stderr.trim() !== c.error) log.push(c.stderr.slice(0, LOG_CELL_CHARS).trimEnd());
  }
  if (final.raw.trim()) log.push(`── process output\n${final.raw.slice(0, 64 * 1024)}`);
  return { cells, types: final.types, outcomes: final.outcomes, questionFailures: failedQuestions, status, reason, log: log.join("\n"), notes, conversions: final.conversions };
}
