/**
 * Runs one planned notebook in the sandbox (or a submission's notebooks in one child,
 * `runNotebooks`) and collects what it reports: each cell's status
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
  /** Wall ms of the run (in a shared child: of the notebook's own requests). */
  wallMs: number;
}

const GRACE_MS = 3000;
const LOG_CELL_CHARS = 8000;
const OUTPUT_CAP_BYTES = 1024 * 1024;
const RESULT_CAP_CHARS = 32 * 1024 * 1024;

/** One notebook of a child: what to run, under which limits, and how much wall time it has left. */
interface Part {
  planned: PlannedCell[];
  /** The planned cells to run (a rerun skips the one that hung or crashed the child). */
  cells: number[];
  questions: RunQuestion[];
  limits: RunLimits;
  options: RunOptions;
  /** Wall ms this notebook's own requests may take in this child (its notebook time limit). */
  budgetMs: number;
}

/** One step of a run, as the parent plans it (the child only ever sees the request built from it). */
type Step =
  | { kind: "setup"; part: number }
  | { kind: "cell"; part: number; index: number }
  | { kind: "names"; part: number; names: string[] }
  | { kind: "probe"; part: number; question: string; probe: RunProbe };

/** The reply kind that answers each step. */
const REPLY_KIND = { setup: "ready", cell: "cell", names: "names", probe: "probe" } as const;

/** What one notebook got done in one child. */
interface Attempt {
  cellsDone: Map<number, CellRun>;
  types: Record<string, string>;
  outcomes: Map<string, Map<number, ProbeOutcome>>;
  currentCell?: number;
  currentQuestion?: string;
  conversions: CellConversion[];
  /** Every request of the notebook was answered. */
  done: boolean;
  failure?: { kind: "timeout" | "crash"; cause: string };
  /** Lines on the result channel that answered no request in flight, or were malformed. */
  ignoredLines: number;
  /** Characters printed while probes ran (reported by the child; never kept). */
  probePrinted: number;
  /** Bytes the child wrote straight to its stdout and stderr (never kept for students). */
  rawOutputBytes: number;
  /** Wall ms of the notebook's own requests. */
  spentMs: number;
  profile: RunProfile;
}

function emptyProfile(): RunProfile {
  return { startMs: 0, checkMs: 0, runMs: 0, probeMs: 0, children: 0, cells: [] };
}

function emptyAttempt(): Attempt {
  return { cellsDone: new Map(), types: {}, outcomes: new Map(), conversions: [], done: false, ignoredLines: 0, probePrinted: 0, rawOutputBytes: 0, spentMs: 0, profile: emptyProfile() };
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
function requestFor(step: Step, nonce: string, part: Part): Request {
  const notebook = Number(step.part);
  switch (step.kind) {
    case "setup": {
      const conversions: Record<string, Conversion> = {};
      for (const [key, c] of Object.entries(part.options.conversions ?? {})) {
        const copy = copyConversion(c);
        if (copy) conversions[key] = copy;
      }
      return {
        t: "setup",
        nonce,
        cellTimeoutMs: part.limits.cellTimeoutMs,
        probeTimeoutMs: part.limits.probeTimeoutMs,
        outputCapBytes: part.options.outputCapBytes ?? OUTPUT_CAP_BYTES,
        resultCapChars: RESULT_CAP_CHARS,
        conversions,
        recordConversions: !!part.options.recordConversions,
        profile: !!part.options.profile,
      };
    }
    case "cell":
      return { t: "cell", nonce, notebook, index: step.index, id: String(part.planned[step.index].id), source: String(part.planned[step.index].source) };
    case "names":
      return { t: "names", nonce, notebook, names: step.names.map(String) };
    case "probe":
      return { t: "probe", nonce, notebook, js: String(step.probe.js), inputs: inputsText(step.probe.inputs) };
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

/** How long a step may take, and what is said when it does not finish in time. */
function stepLimit(step: Step, part: Part): { ms: number; why: string } {
  const { limits } = part;
  switch (step.kind) {
    case "setup":
      return { ms: limits.cellTimeoutMs + GRACE_MS, why: "the grader's runner did not start" };
    case "cell":
      return { ms: limits.cellTimeoutMs + GRACE_MS, why: `cell ${part.planned[step.index].id} did not finish within ${limits.cellTimeoutMs} ms` };
    case "names":
      return { ms: limits.probeTimeoutMs + GRACE_MS, why: "the notebook's names could not be read in time" };
    case "probe":
      // A probe runs, then its result is encoded, together under the probe time limit.
      return { ms: PROBE_WALL_FACTOR * limits.probeTimeoutMs + GRACE_MS, why: `the probes of ${step.question} did not finish in time` };
  }
}

/** What a child did with its notebooks: one attempt each, and which one it failed in (if it did). */
interface ChildRun {
  attempts: Attempt[];
  /** The notebook whose request was in flight when the child hung or died. */
  failed?: number;
}

/**
 * Runs notebooks in one sandboxed child, one request at a time; never rejects. Every notebook's
 * cells run first (each notebook begun with a setup request of its own), then, notebook by
 * notebook, the names and the probes: once a probe has run, the child holds its inputs (hidden
 * ones too), and no cell whose output a student sees runs after that. The child's settings (heap
 * cap, readable paths, environment) are the first notebook's.
 */
async function runChild(root: string, parts: Part[]): Promise<ChildRun> {
  const first = parts[0];
  const program = await runnerProgram(root, first.limits.memoryMb);
  const attempts = parts.map(emptyAttempt);
  attempts[0].profile.children = 1;
  const steps: Step[] = [];
  parts.forEach((p, part) => {
    steps.push({ kind: "setup", part });
    for (const index of p.cells) steps.push({ kind: "cell", part, index });
  });
  parts.forEach((p, part) => steps.push({ kind: "names", part, names: [...new Set(p.questions.flatMap((q) => q.requires))] }));
  /** Probes of each notebook not answered yet (known once its names are). */
  const probesLeft = parts.map(() => 0);
  let pending: { step: Step; nonce: string; sent: number } | undefined;
  /** The notebook of the last request sent. */
  let current = 0;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  let cpuWatch: ReturnType<typeof setTimeout> | undefined;
  let timedOut: string | undefined;
  let finished = false;
  const arm = (step: Step): void => {
    if (watchdog) clearTimeout(watchdog);
    const part = parts[step.part];
    const { ms, why } = stepLimit(step, part);
    const left = part.budgetMs - attempts[step.part].spentMs;
    const wait = Math.max(0, Math.min(ms, left));
    const cause = ms <= left ? why : `the notebook did not finish within ${part.limits.notebookTimeoutMs} ms`;
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
  const watchProbeCpu = (limit: number, cause: string): void => {
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
      finished = true;
      // Everything has been answered. A child that exits by itself spends most of a second
      // tearing down the compiler's heap; nothing it could still do counts, so it is killed.
      sandbox.kill("it finished");
      return;
    }
    const nonce = randomBytes(16).toString("hex");
    pending = { step, nonce, sent: Date.now() };
    current = step.part;
    const state = attempts[step.part];
    state.currentCell = step.kind === "cell" ? step.index : undefined;
    state.currentQuestion = step.kind === "probe" ? step.question : undefined;
    arm(step);
    sandbox.write(JSON.stringify(requestFor(step, nonce, parts[step.part])) + "\n");
    if (step.kind === "probe") watchProbeCpu(parts[step.part].limits.probeTimeoutMs, `the probes of ${step.question} did not finish in time`);
  };
  const accept = (step: Step, m: Record<string, unknown>): void => {
    const part = parts[step.part];
    const state = attempts[step.part];
    const { planned, options } = part;
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
        // Probes run only for questions whose names all exist (the rest are "missing"), right
        // after the names, before the next notebook's names.
        const probes: Step[] = [];
        for (const q of part.questions) {
          if (q.requires.some((n) => state.types[n] === "undefined")) continue;
          for (const probe of q.probes) probes.push({ kind: "probe", part: step.part, question: q.id, probe });
        }
        steps.unshift(...probes);
        probesLeft[step.part] = probes.length;
        if (probes.length === 0) state.done = true;
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
        if (--probesLeft[step.part] === 0) {
          state.done = true;
          state.currentQuestion = undefined;
        }
        break;
      }
    }
  };
  const onMessage = (raw: unknown): void => {
    // Exactly one reply per request: of its kind, with its nonce, while it is in flight.
    if (!pending || !isRecord(raw) || raw.t !== REPLY_KIND[pending.step.kind] || raw.nonce !== pending.nonce) {
      attempts[current].ignoredLines++;
      return;
    }
    const { step, sent } = pending;
    pending = undefined;
    attempts[step.part].spentMs += Date.now() - sent;
    accept(step, raw);
    advance();
  };
  const sandbox = spawnSandboxed({
    root,
    program: program.snapshotBlob ? { snapshotBlob: program.snapshotBlob } : { code: program.code },
    memoryMb: first.limits.memoryMb,
    allowRead: first.options.allowRead,
    env: first.options.env,
    keepStdinOpen: true,
    onMessage,
  });
  advance();
  const exit = await sandbox.done;
  if (watchdog) clearTimeout(watchdog);
  if (cpuWatch) clearTimeout(cpuWatch);
  if (pending) attempts[pending.step.part].spentMs += Date.now() - pending.sent;
  // Written around the runner's capture: whose it was cannot be told, so every notebook of the
  // child counts it (one notebook: exactly as before).
  const rawOutputBytes = Buffer.byteLength(exit.stdout) + Buffer.byteLength(exit.stderr);
  for (const a of attempts) a.rawOutputBytes = rawOutputBytes;
  attempts[current].ignoredLines += exit.badMessages;
  if (finished) return { attempts };
  let failure: Attempt["failure"];
  if (timedOut) failure = { kind: "timeout", cause: timedOut };
  else if (exit.outOfMemory) failure = { kind: "crash", cause: `it ran out of memory (${exit.killedFor ?? `heap limit ${first.limits.memoryMb} MB`})` };
  else failure = { kind: "crash", cause: `the process ended unexpectedly (${exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`})` };
  attempts[current].failure = failure;
  return { attempts, failed: current };
}

/** The questions as the runner reads them: id, required names and each probe's index, code and inputs. */
function runQuestions(questions: RunQuestion[]): RunQuestion[] {
  return questions.map((q) => ({
    id: q.id,
    requires: [...q.requires],
    probes: q.probes.map((p) => ({ index: p.index, js: p.js, inputs: p.inputs })),
  }));
}

/** A notebook's attempts summed up: what the result is built from. */
interface History {
  final: Attempt;
  skippedCells: Map<number, string>;
  failedQuestions: Map<string, string>;
  notes: string[];
  instructorNotes: string[];
  status: RunResult["status"];
  reason?: string;
  ignored: number;
  probePrinted: number;
  rawBytes: number;
  profile: RunProfile;
  wallMs: number;
}

/** The result of a notebook from its attempts. */
function resultOf(planned: PlannedCell[], asked: RunQuestion[], options: RunOptions, h: History): RunResult {
  const { final, skippedCells, failedQuestions } = h;
  if (final.failure && !final.done) {
    // The last run did not finish: whatever did not report counts as failed.
    for (const q of asked) if (!failedQuestions.has(q.id) && !final.outcomes.has(q.id)) failedQuestions.set(q.id, final.failure.cause);
  }
  const instructorNotes = [...h.instructorNotes];
  if (h.ignored > 0) instructorNotes.push(`tampering: ${h.ignored} line(s) on the result channel answered no request in flight and were ignored`);
  if (h.probePrinted > 0) instructorNotes.push(`the notebook printed ${h.probePrinted} character(s) while its probes ran (not kept)`);
  if (h.rawBytes > 0) instructorNotes.push(`${h.rawBytes} byte(s) were written straight to the child's stdout/stderr (not kept)`);
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
  return { cells, types: final.types, outcomes: final.outcomes, questionFailures: failedQuestions, status: h.status, reason: h.reason, log: log.join("\n"), notes: h.notes, instructorNotes, conversions: final.conversions,
    wallMs: h.wallMs,
    ...(options.profile ? { profile: h.profile } : {}),
  };
}

/**
 * Runs the planned cells and the questions' probes in the sandbox, with retries that skip
 * whatever hung or crashed the child (at most 3 runs, all within the notebook's time limit).
 */
export async function runNotebook(root: string, planned: PlannedCell[], questions: RunQuestion[], limits: RunLimits, options: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  const deadline = started + limits.notebookTimeoutMs;
  const asked = runQuestions(questions);
  const skippedCells = new Map<number, string>();
  const failedQuestions = new Map<string, string>();
  const notes: string[] = [];
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
    const part: Part = { planned, cells, questions: asked.filter((q) => !failedQuestions.has(q.id)), limits, options, budgetMs: Math.max(0, deadline - Date.now()) };
    last = (await runChild(root, [part])).attempts[0];
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
  return resultOf(planned, asked, options, {
    final: last as Attempt, skippedCells, failedQuestions, notes, instructorNotes: [], status, reason, ignored, probePrinted, rawBytes, profile, wallMs: Date.now() - started,
  });
}

/** One notebook of a submission for `runNotebooks`: the arguments of `runNotebook`. */
export interface NotebookRun {
  planned: PlannedCell[];
  questions: RunQuestion[];
  limits: RunLimits;
  options?: RunOptions;
}

/**
 * Runs a submission's notebooks in one sandboxed child instead of one child each: the child
 * starts, and tfjs and its wasm backend load, once per submission rather than once per notebook.
 * Each notebook begins with a tslab executor of its own (its top-level names start empty; the
 * module cache and the process's globals are shared) and keeps its own limits: cell, probe and
 * notebook time (the notebook's counts the time of its own requests), the heap cap and the
 * resident-memory watchdog of the child. Every cell of every notebook runs before the first
 * probe (see runChild).
 *
 * When the child hangs or dies, the notebooks whose probes had all answered keep their results;
 * the notebook it failed in is graded again from the start by `runNotebook`, in children of its
 * own, exactly as it would be alone; the others go on in a fresh shared child. Notebooks whose
 * child settings differ (heap cap, readable paths, environment) share no child. Returns one
 * result per notebook, in order.
 */
export async function runNotebooks(root: string, runs: NotebookRun[]): Promise<RunResult[]> {
  const results: RunResult[] = new Array(runs.length);
  const groups = new Map<string, number[]>();
  runs.forEach((r, i) => {
    const key = JSON.stringify([r.limits.memoryMb, r.options?.allowRead ?? [], Object.entries(r.options?.env ?? {})]);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const alone = async (i: number, instructorNote?: string): Promise<void> => {
    const r = runs[i];
    const result = await runNotebook(root, r.planned, r.questions, r.limits, r.options);
    if (instructorNote) result.instructorNotes.unshift(instructorNote);
    results[i] = result;
  };
  for (const group of groups.values()) {
    let todo = group;
    while (todo.length > 0) {
      if (todo.length === 1) {
        await alone(todo[0]);
        break;
      }
      const parts = todo.map((i): Part => {
        const r = runs[i];
        const options = r.options ?? {};
        return { planned: r.planned, cells: r.planned.map((_, index) => index), questions: runQuestions(r.questions), limits: r.limits, options, budgetMs: r.limits.notebookTimeoutMs };
      });
      const child = await runChild(root, parts);
      const rest: number[] = [];
      for (let k = 0; k < todo.length; k++) {
        const i = todo[k];
        const a = child.attempts[k];
        if (a.done && !a.failure) {
          results[i] = resultOf(parts[k].planned, parts[k].questions, parts[k].options, {
            final: a, skippedCells: new Map(), failedQuestions: new Map(), notes: [], instructorNotes: [], status: "ok",
            ignored: a.ignoredLines, probePrinted: a.probePrinted, rawBytes: a.rawOutputBytes, profile: a.profile, wallMs: a.spentMs,
          });
        } else if (child.failed === undefined || k === child.failed) {
          await alone(i, `graded again in a child of its own: the child it shared with the submission's other notebooks failed in it (${a.failure?.cause ?? "no cause reported"})`);
        } else rest.push(i);
      }
      todo = rest;
    }
  }
  return results;
}
