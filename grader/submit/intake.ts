/**
 * Taking in one submission for grading: unpacking and checking it happen in a worker thread
 * with a capped heap and a time limit (grader/submit/intake-worker.ts), away from the batch's own
 * memory. Whatever the submission holds (a zip bomb, a 250 MB notebook in a 250 kB zip, a
 * manifest nested 100,000 deep, 100,000 cells), the answer is a result with a reason.
 */
import * as path from "path";
import { Worker } from "worker_threads";
import type { DiscoveredSubmission } from "./discover";
import { INTAKE_LIMITS, type IntakeExpect, type IntakeLimits, type IntakeResult } from "./intake-read";

export { INTAKE_LIMITS, type IntakeExpect, type IntakeLimits, type IntakeResult } from "./intake-read";

export interface IntakeOptions {
  /** Check the manifest's assignment and kit version against these (zips only). */
  expect?: IntakeExpect;
  /** Limits (default INTAKE_LIMITS); any field may be overridden. */
  limits?: Partial<IntakeLimits>;
}

/** The code that starts the worker: the TypeScript source through tsx, or the compiled file. */
function workerSource(): string {
  const file = path.join(__dirname, `intake-worker${path.extname(__filename)}`);
  const tsx = path.extname(__filename) === ".ts" ? `require(${JSON.stringify(require.resolve("tsx/cjs"))});` : "";
  return `${tsx}require(${JSON.stringify(file)});`;
}

/** The reader thread, kept between submissions (starting one costs about 0.3 s); null once it died. */
let reader: { worker: Worker; memoryMb: number } | null = null;
let nextId = 1;
/** Submissions are read one at a time: each waits for the one before. */
let queue: Promise<unknown> = Promise.resolve();

function startReader(memoryMb: number): Worker {
  if (reader && reader.memoryMb === memoryMb) return reader.worker;
  if (reader) void reader.worker.terminate();
  const worker = new Worker(workerSource(), {
    eval: true,
    // the heap cap is the point; a deep manifest is refused before parsing, and a small stack keeps any recursion cheap
    resourceLimits: { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
    // its output is not passed on (nothing it prints is the grader's); these streams are never read,
    // which also keeps them from holding the command open (a flowing stream would)
    stdout: true,
    stderr: true,
  });
  worker.unref(); // an idle reader never keeps the command alive
  reader = { worker, memoryMb };
  return worker;
}

/** Reads one job in the reader thread; the first of answer, error, exit or timeout wins. */
function readInWorker(job: unknown, limits: IntakeLimits): Promise<IntakeResult> {
  return new Promise((resolve) => {
    const worker = startReader(limits.memoryMb);
    const id = nextId++;
    let done = false;
    const finish = (r: IntakeResult, kill: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onExit);
      worker.unref();
      if (kill) {
        if (reader?.worker === worker) reader = null;
        void worker.terminate();
      }
      resolve(r);
    };
    const onMessage = (m: { id: number; result: IntakeResult }): void => {
      if (m.id === id) finish(m.result, false);
    };
    const onError = (e: Error & { code?: string }): void => finish(e.code === "ERR_WORKER_OUT_OF_MEMORY"
      ? { ok: false, status: "invalid", reason: `reading the submission needed more than ${limits.memoryMb} MB of memory (limit)` }
      : { ok: false, status: "corrupt", reason: `cannot read the submission: ${e.message}` }, true);
    const onExit = (code: number): void => finish({ ok: false, status: "corrupt", reason: `the submission's reader stopped (exit code ${code}) without an answer` }, true);
    const timer = setTimeout(() => finish({ ok: false, status: "invalid", reason: `reading the submission took longer than ${limits.timeoutMs / 1000} s (limit)` }, true), limits.timeoutMs);
    worker.on("message", onMessage);
    worker.on("error", onError);
    worker.on("exit", onExit);
    worker.ref();
    worker.postMessage({ id, job });
  });
}

/**
 * Unpacks and checks one submission into `workDir` in a worker thread with limits; resolves
 * with where each notebook is, or with the status ("corrupt" or "invalid") and the reason.
 * Never rejects for anything the submission holds.
 */
export async function intakeSubmission(s: DiscoveredSubmission, workDir: string, notebooks: string[], o: IntakeOptions = {}): Promise<IntakeResult> {
  const limits: IntakeLimits = { ...INTAKE_LIMITS, ...o.limits };
  const job = { kind: s.kind, files: [...s.files], workDir: path.resolve(workDir), notebooks: [...notebooks], expect: o.expect ?? null, limits };
  const run = queue.then(() => readInWorker(job, limits));
  queue = run.catch(() => undefined);
  const r = await run;
  if (r.ok && s.notes?.length) return { ...r, warnings: [...s.notes, ...r.warnings] };
  return r;
}
