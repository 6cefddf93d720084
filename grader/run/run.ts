/**
 * Runs one planned notebook in the sandbox and collects what it reports: each cell's status
 * and output, which required names exist, and each probe's outcome (as plain data).
 *
 * The parent drives the child one request at a time (grader/run/child/protocol.ts): set up, run
 * cell i, report the types of these names, run probe k of question q. Each request is built here
 * field by field (no expected value, comparator, tolerance, hint, label, title, points or hidden
 * flag can cross, whatever the caller's objects hold) and carries a fresh random nonce; exactly
 * one reply per request is accepted, in order, of the request's kind and with its nonce. Anything
 * else on the channel is ignored and counted for the instructor, never scored.
 *
 * A cell or probe that hangs or kills the child (endless loop, memory bomb, process.exit) is
 * skipped in a fresh child, so the other questions are still graded; the causes are kept.
 */
import { randomBytes } from "crypto";
import { runnerProgram } from "./child-bundle";
import { spawnSandboxed } from "./sandbox";
import { decodeReplyOutcome, type EncodedInput, type ProbeOutcome } from "../core/plain";
import type { PlannedCell } from "./cells";
import { PROBE_WALL_FACTOR, type Conversion, type Request } from "./child/protocol";

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

/** What the runner needs of a probe: its compiled expression and its encoded inputs. */
export interface RunProbe {
  index: number;
  js: string;
  inputs: Record<string, EncodedInput>;
}

/** What the runner needs of a question. Callers may pass richer objects (a reference question): only these fields are read. */
export interface RunQuestion {
  id: string;
  requires: string[];
  probes: RunProbe[];
}

export interface RunOptions {
  /** Known conversions of public cells to reuse (the master's, by conversion key). */
  conversions?: Record<string, Conversion>;
  /** Collect the child's clean conversions: only for a trusted notebook (the master). */
  recordConversions?: boolean;
  /** Extra readable paths and environment of the child (see SandboxOptions). */
  allowRead?: string[];
  env?: Record<string, string>;
  /** Most bytes of one cell's output kept (default 1 MB). */
  outputCapBytes?: number;
  /** Fresh children to try after one hung or crashed, skipping what did (default 2). */
  retries?: number;
  /** Ask the child for its CPU time per step (the grading profile); never changes a result. */
  profile?: boolean;
}

/**
 * Where a run's CPU time went, in ms, as the child reported it (over every attempt). The child's
 * own word: good for a profile, never used for a score.
 */
export interface RunProfile {
  /** Starting the child: node, restoring the snapshot, the setup request. */
  startMs: number;
  /** Type-checking the cells that were not reused from the master. */
  checkMs: number;
  /** Running the cells, type-checking excluded. */
  runMs: number;
  /** Running the probes and encoding their values. */
  probeMs: number;
  /** Children started (one, plus one per retry). */
  children: number;
  /** Per cell: its id, type-checking and running ms. */
  cells: { id: string; checkMs: number; runMs: number }[];
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
  /** The cells' own output (capped) and statuses: the only output of the run a student sees. */
  log: string;
  /** How the run went (retries, snapshot use), for the log. */
  notes: string[];
  /**
   * For the instructor only, never shown to students: lines on the result channel that answered
   * no request (tampering), and how much was printed outside the cells (during probes, or straight
   * to the process's stdout and stderr), which may hold hidden inputs.
   */
  instructorNotes: string[];
  /** The conversions the child reported, when they were asked for. */
  conversions: CellConversion[];
  /** With `options.profile`: where the child's CPU time went. */
  profile?: RunProfile;
}

const GRACE_MS = 3000;
const LOG_CELL_CHARS = 8000;
const OUTPUT_CAP_BYTES = 1024 * 1024;
const RESULT_CAP_CHARS = 32 * 1024 * 1024;

/** One step of a run, as the parent plans it (the child only ever sees the request built from it). */
type Step =
  | { kind: "setup" }
  | { kind: "cell"; index: number }
  | { kind: "names"; names: string[] }
  | { kind: "probe"; question: string; probe: RunProbe };

/** The reply kind that answers each step. */
const REPLY_KIND = { setup: "ready", cell: "cell", names: "names", probe: "probe" } as const;

interface Attempt {
  cellsDone: Map<number, CellRun>;
  types: Record<string, string>;
  outcomes: Map<string, Map<number, ProbeOutcome>>;
  currentCell?: number;
  currentQuestion?: string;
  conversions: CellConversion[];
  done: boolean;
  failure?: { kind: "timeout" | "crash"; cause: string };
  /** Lines on the result channel that answered no request in flight, or were malformed. */
  ignoredLines: number;
  /** Characters printed while probes ran (reported by the child; never kept). */
  probePrinted: number;
  /** Bytes the child wrote straight to its stdout and stderr (never kept for students). */
  rawOutputBytes: number;
  profile: RunProfile;
}

function emptyProfile(): RunProfile {
  return { startMs: 0, checkMs: 0, runMs: 0, probeMs: 0, children: 0, cells: [] };
}

/** A reported CPU figure in ms, or 0 when there is none (or it is not a sane number). */
function cpuOf(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : 0;
}

/** A conversion copied field by field (only clean ones are ever reused). */
function copyConversion(c: Conversion): Conversion | undefined {
  if (!c || typeof c !== "object" || !Array.isArray(c.diagnostics) || c.diagnostics.length > 0) return undefined;
  const out: Conversion = { diagnostics: [] };
  if (typeof c.output === "string") out.output = c.output;
  if (typeof c.declOutput === "string") out.declOutput = c.declOutput;
  if (typeof c.hasToplevelAwait === "boolean") out.hasToplevelAwait = c.hasToplevelAwait;
  if (typeof c.lastExpressionVar === "string") out.lastExpressionVar = c.lastExpressionVar;
  return out;
}

/** The JSON text of a probe's inputs: each input's form and encoded value, nothing else. */
function inputsText(inputs: Record<string, EncodedInput>): string {
  const out: Record<string, EncodedInput> = {};
  for (const name of Object.keys(inputs)) out[name] = { as: inputs[name].as, value: inputs[name].value };
  return JSON.stringify(out);
}

/** The request for a step, built field by field. */
function requestFor(step: Step, nonce: string, planned: PlannedCell[], limits: RunLimits, options: RunOptions): Request {
  switch (step.kind) {
    case "setup": {
      const conversions: Record<string, Conversion> = {};
      for (const [key, c] of Object.entries(options.conversions ?? {})) {
        const copy = copyConversion(c);
        if (copy) conversions[key] = copy;
      }
      return {
        t: "setup",
        nonce,
        cellTimeoutMs: limits.cellTimeoutMs,
        probeTimeoutMs: limits.probeTimeoutMs,
        outputCapBytes: options.outputCapBytes ?? OUTPUT_CAP_BYTES,
        resultCapChars: RESULT_CAP_CHARS,
        conversions,
        recordConversions: !!options.recordConversions,
        profile: !!options.profile,
      };
    }
    case "cell":
      return { t: "cell", nonce, index: step.index, id: String(planned[step.index].id), source: String(planned[step.index].source) };
    case "names":
      return { t: "names", nonce, names: step.names.map(String) };
    case "probe":
      return { t: "probe", nonce, js: String(step.probe.js), inputs: inputsText(step.probe.inputs) };
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

/** Runs the steps in one sandboxed child, one request at a time; never rejects. */
async function attempt(root: string, planned: PlannedCell[], cells: number[], questions: RunQuestion[], limits: RunLimits, options: RunOptions, deadline: number): Promise<Attempt> {
  const program = await runnerProgram(root, limits.memoryMb);
  const state: Attempt = { cellsDone: new Map(), types: {}, outcomes: new Map(), conversions: [], done: false, ignoredLines: 0, probePrinted: 0, rawOutputBytes: 0, profile: emptyProfile() };
  state.profile.children = 1;
  const names = [...new Set(questions.flatMap((q) => q.requires))];
  const steps: Step[] = [{ kind: "setup" }, ...cells.map((index): Step => ({ kind: "cell", index })), { kind: "names", names }];
  let pending: { step: Step; nonce: string } | undefined;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  let cpuWatch: ReturnType<typeof setTimeout> | undefined;
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
  /**
   * The probe time limit is CPU time (PROBE_WALL_FACTOR): the child is interrupted once its CPU
   * time since the probe began reaches the limit, and it then reports the probe as timed out; it
   * is killed when it goes on computing for GRACE_MS more (a loop outside any script the interrupt
   * stops). A probe that waits rather than computes, or a child starved by a loaded machine, is
   * stopped by the child at the wall-clock cap, and killed by `arm` when it does not answer by then.
   */
  const watchProbeCpu = (cause: string): void => {
    const limit = limits.probeTimeoutMs;
    const startCpu = sandbox.cpuMs();
    const startWall = Date.now();
    let interrupted = false;
    const check = (): void => {
      const cpu = sandbox.cpuMs();
      // Without /proc, the clock stands in for the CPU time.
      const used = cpu !== undefined && startCpu !== undefined ? cpu - startCpu : Date.now() - startWall;
      if (used >= limit + GRACE_MS) {
        timedOut = cause;
        sandbox.kill(cause);
        return;
      }
      if (used >= limit && !interrupted) {
        interrupted = true;
        sandbox.interrupt();
      }
      cpuWatch = setTimeout(check, Math.max(50, (interrupted ? limit + GRACE_MS : limit) - used));
    };
    cpuWatch = setTimeout(check, limit);
  };
  /** Sends the next request, with a nonce drawn now: it exists nowhere before this write. */
  const advance = (): void => {
    if (cpuWatch) clearTimeout(cpuWatch);
    cpuWatch = undefined;
    const step = steps.shift();
    if (!step) {
      pending = undefined;
      state.done = true;
      state.currentQuestion = undefined;
      // Everything has been answered. A child that exits by itself spends most of a second
      // tearing down the compiler's heap; nothing it could still do counts, so it is killed.
      sandbox.kill("it finished");
      return;
    }
    const nonce = randomBytes(16).toString("hex");
    pending = { step, nonce };
    state.currentCell = step.kind === "cell" ? step.index : undefined;
    state.currentQuestion = step.kind === "probe" ? step.question : undefined;
    if (step.kind === "setup") arm(limits.cellTimeoutMs + GRACE_MS, "the grader's runner did not start");
    else if (step.kind === "cell") arm(limits.cellTimeoutMs + GRACE_MS, `cell ${planned[step.index].id} did not finish within ${limits.cellTimeoutMs} ms`);
    else if (step.kind === "names") arm(limits.probeTimeoutMs + GRACE_MS, "the notebook's names could not be read in time");
    // A probe runs, then its result is encoded, together under the probe time limit.
    else arm(PROBE_WALL_FACTOR * limits.probeTimeoutMs + GRACE_MS, `the probes of ${step.question} did not finish in time`);
    sandbox.write(JSON.stringify(requestFor(step, nonce, planned, limits, options)) + "\n");
    if (step.kind === "probe") watchProbeCpu(`the probes of ${step.question} did not finish in time`);
  };
  const accept = (step: Step, m: Record<string, unknown>): void => {
    switch (step.kind) {
      case "setup":
        if (options.profile) state.profile.startMs += cpuOf(m.cpu);
        break;
      case "cell":
        if (options.profile) {
          const cpu = isRecord(m.cpu) ? m.cpu : {};
          const check = cpuOf(cpu.check);
          const run = Math.max(0, cpuOf(cpu.total) - check);
          state.profile.checkMs += check;
          state.profile.runMs += run;
          state.profile.cells.push({ id: planned[step.index].id, checkMs: check, runMs: run });
        }
        state.cellsDone.set(step.index, {
          id: planned[step.index].id,
          ok: m.ok === true,
          error: m.ok === true ? undefined : String(m.error ?? "the cell failed").slice(0, 4000),
          stdout: typeof m.stdout === "string" ? m.stdout : "",
          stderr: typeof m.stderr === "string" ? m.stderr : "",
          dropped: typeof m.dropped === "number" && m.dropped > 0 ? m.dropped : 0,
        });
        if (options.recordConversions && Array.isArray(m.conversions)) {
          for (const c of m.conversions as unknown[]) {
            if (!isRecord(c) || typeof c.key !== "string") continue;
            const conversion = copyConversion(c.conversion as Conversion);
            if (conversion) state.conversions.push({ cell: step.index, key: c.key, conversion });
          }
        }
        break;
      case "names": {
        const types = isRecord(m.types) ? m.types : {};
        for (const name of step.names) state.types[name] = Object.hasOwn(types, name) && typeof types[name] === "string" ? (types[name] as string) : "undefined";
        // Probes run only for questions whose names all exist (the rest are "missing").
        for (const q of questions) {
          if (q.requires.some((n) => state.types[n] === "undefined")) continue;
          for (const probe of q.probes) steps.push({ kind: "probe", question: q.id, probe });
        }
        break;
      }
      case "probe": {
        let outcome: ProbeOutcome;
        try {
          outcome = decodeReplyOutcome(m.outcome);
        } catch {
          outcome = { ok: false, error: "the result could not be read (malformed data)" };
        }
        const got = state.outcomes.get(step.question) ?? new Map<number, ProbeOutcome>();
        got.set(step.probe.index, outcome);
        state.outcomes.set(step.question, got);
        if (typeof m.printed === "number" && m.printed > 0) state.probePrinted += m.printed;
        if (options.profile) state.profile.probeMs += cpuOf(m.cpu);
        break;
      }
    }
  };
  const onMessage = (raw: unknown): void => {
    // Exactly one reply per request: of its kind, with its nonce, while it is in flight.
    if (!pending || !isRecord(raw) || raw.t !== REPLY_KIND[pending.step.kind] || raw.nonce !== pending.nonce) {
      state.ignoredLines++;
      return;
    }
    const { step } = pending;
    pending = undefined;
    accept(step, raw);
    advance();
  };
  const sandbox = spawnSandboxed({
    root,
    program: program.snapshotBlob ? { snapshotBlob: program.snapshotBlob } : { code: program.code },
    memoryMb: limits.memoryMb,
    allowRead: options.allowRead,
    env: options.env,
    keepStdinOpen: true,
    onMessage,
  });
  advance();
  const exit = await sandbox.done;
  if (watchdog) clearTimeout(watchdog);
  if (cpuWatch) clearTimeout(cpuWatch);
  state.rawOutputBytes = Buffer.byteLength(exit.stdout) + Buffer.byteLength(exit.stderr);
  state.ignoredLines += exit.badMessages;
  if (!state.done) {
    if (timedOut) state.failure = { kind: "timeout", cause: timedOut };
    else if (exit.outOfMemory) state.failure = { kind: "crash", cause: `it ran out of memory (${exit.killedFor ?? `heap limit ${limits.memoryMb} MB`})` };
    else state.failure = { kind: "crash", cause: `the process ended unexpectedly (${exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`})` };
  }
  return state;
}

/** The questions as the runner reads them: id, required names and each probe's index, code and inputs. */
function runQuestions(questions: RunQuestion[]): RunQuestion[] {
  return questions.map((q) => ({
    id: q.id,
    requires: [...q.requires],
    probes: q.probes.map((p) => ({ index: p.index, js: p.js, inputs: p.inputs })),
  }));
}

/**
 * Runs the planned cells and the questions' probes in the sandbox, with retries that skip
 * whatever hung or crashed the child (at most 3 runs, all within the notebook's time limit).
 */
export async function runNotebook(root: string, planned: PlannedCell[], questions: RunQuestion[], limits: RunLimits, options: RunOptions = {}): Promise<RunResult> {
  const deadline = Date.now() + limits.notebookTimeoutMs;
  const asked = runQuestions(questions);
  const skippedCells = new Map<number, string>();
  const failedQuestions = new Map<string, string>();
  const notes: string[] = [];
  const instructorNotes: string[] = [];
  let status: RunResult["status"] = "ok";
  let reason: string | undefined;
  let last: Attempt | undefined;
  let ignored = 0;
  let probePrinted = 0;
  let rawBytes = 0;
  const profile = emptyProfile();
  const rounds = 1 + (options.retries ?? 2);
  for (let round = 0; round < rounds; round++) {
    const cells = planned.map((_, index) => index).filter((index) => !skippedCells.has(index));
    last = await attempt(root, planned, cells, asked.filter((q) => !failedQuestions.has(q.id)), limits, options, deadline);
    ignored += last.ignoredLines;
    probePrinted += last.probePrinted;
    rawBytes += last.rawOutputBytes;
    for (const k of ["startMs", "checkMs", "runMs", "probeMs", "children"] as const) profile[k] += last.profile[k];
    profile.cells.push(...last.profile.cells);
    if (!last.failure) break;
    status = last.failure.kind === "timeout" || (status as string) === "timeout" ? "timeout" : "crash";
    reason = reason ? `${reason}; ${last.failure.cause}` : last.failure.cause;
    const outOfTime = Date.now() >= deadline - 100;
    if (round === rounds - 1 || outOfTime) break;
    if (last.currentCell !== undefined) {
      skippedCells.set(last.currentCell, last.failure.cause);
      notes.push(`cell ${planned[last.currentCell].id} was skipped on a rerun: ${last.failure.cause}`);
    } else if (last.currentQuestion !== undefined) {
      failedQuestions.set(last.currentQuestion, last.failure.cause);
      notes.push(`the probes of ${last.currentQuestion} were dropped on a rerun: ${last.failure.cause}`);
    } else break;
  }
  const final = last as Attempt;
  if (final.failure && !final.done) {
    // The last run did not finish: whatever did not report counts as failed.
    for (const q of asked) if (!failedQuestions.has(q.id) && !final.outcomes.has(q.id)) failedQuestions.set(q.id, final.failure.cause);
  }
  if (ignored > 0) instructorNotes.push(`tampering: ${ignored} line(s) on the result channel answered no request in flight and were ignored`);
  if (probePrinted > 0) instructorNotes.push(`the notebook printed ${probePrinted} character(s) while its probes ran (not kept)`);
  if (rawBytes > 0) instructorNotes.push(`${rawBytes} byte(s) were written straight to the child's stdout/stderr (not kept)`);
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
  // Only each cell's own output: what a probe printed, or anything written around the runner's
  // capture, can hold a hidden probe's inputs and is never part of the log.
  const log: string[] = [];
  for (const c of cells) {
    log.push(`── cell ${c.id}: ${c.ok ? "ok" : `FAILED: ${c.error}`}`);
    const cut = Math.max(0, c.stdout.length - LOG_CELL_CHARS) + c.dropped;
    if (c.stdout.trim()) log.push(c.stdout.slice(0, LOG_CELL_CHARS).trimEnd());
    if (cut > 0) log.push(`[... ${cut} more characters of output not kept]`);
    if (!c.ok && c.stderr.trim() && c.stderr.trim() !== c.error) log.push(c.stderr.slice(0, LOG_CELL_CHARS).trimEnd());
  }
  return { cells, types: final.types, outcomes: final.outcomes, questionFailures: failedQuestions, status, reason, log: log.join("\n"), notes, instructorNotes, conversions: final.conversions,
    ...(options.profile ? { profile } : {}),
  };
}
