/**
 * Type-checking in the grader, kept warm across the cells, notebooks and submissions a grading
 * process grades: tslab's own converter (the code the kernel and the sandboxed child run) lives
 * in a worker thread of the grading process, and its clean conversions are handed to the child
 * as known conversions, so the child does not type-check those cells again.
 *
 * Why this is safe:
 * - The conversions are made here, by the grader's own copy of tslab: never taken from a child.
 *   The TypeScript compiler only reads and checks a cell's text; it never runs it.
 * - The compiler's file reads are confined to what the sandbox lets a notebook read (its
 *   libraries and data: defaultReadPaths), so a cell cannot type-check against, or learn the
 *   types of, a master, a spec or a cached expected value that the child could not read.
 * - A conversion is a function of the cell's text and the declarations before it (its key says
 *   both, as in the child), so one student's conversions may serve another student's identical
 *   cell: nothing of one run's state reaches another. Only clean conversions without side files
 *   are handed on; a cell with a type error is left to the child, which reports tslab's message.
 * - A cell that makes the compiler hang or blow up (type-level bombs) ends the thread after the
 *   cell time limit or its heap cap: that cell and the rest of the notebook are type-checked by
 *   the child as before, under its own limits.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Worker } from "worker_threads";
import type { PlannedCell } from "./cells";
import type { Conversion } from "./child/protocol";
import { defaultReadPaths } from "./sandbox";

/** The key under which the child looks a conversion up (grader/run/child/runner.ts computes the same). */
export function conversionKey(prevDecl: string, src: string): string {
  return createHash("sha256").update(`${prevDecl.length}:${prevDecl}\u0000${src}`).digest("hex");
}

/**
 * The libraries whose types the thread loads before it says it is ready (most of its start-up):
 * a child that type-checks a cell importing one of them loads the same types itself.
 */
const PRELOADED = ["@tensorflow/tfjs", "nnkit"];

/** An import (or require) of one of the PRELOADED libraries, built once. */
const PRELOADED_IMPORT = new RegExp(`(from|require\\(|import)\\s*["'](${PRELOADED.map((lib) => lib.replace(/[/.]/g, "\\$&")).join("|")})["']`);

/** True when a cell imports (or requires) one of the PRELOADED libraries. */
function usesPreloaded(source: string): boolean {
  return PRELOADED_IMPORT.test(source);
}

/** The thread's program (plain JavaScript: the thread needs no TypeScript loader). */
const THREAD = path.join(__dirname, "typecheck-thread.js");

type Reply = { id: number; kind: "ready" | "other" | "unclean" } | { id: number; kind: "clean"; conversion: Conversion };

/** What the checker made of one cell: a clean conversion, or a cell left to the child. */
type Result = { kind: "clean"; conversion: Conversion } | { kind: "unclean" | "other" };

/** One warm converter in a worker thread; answers one cell at a time. */
class CheckerThread {
  private readonly worker: Worker;
  private readonly ready: Promise<void>;
  private next = 1;
  private waiting = new Map<number, (r: Reply | undefined) => void>();
  dead = false;
  /** True once the thread has loaded the compiler and the libraries' types (about 4 s of CPU). */
  isReady = false;
  /** Milliseconds the thread spent converting (wall time: for the profile). */
  ms = 0;

  constructor(root: string, heapMb: number) {
    const allowed = defaultReadPaths(root).flatMap((p) => {
      try {
        return [fs.realpathSync(p)];
      } catch {
        return [];
      }
    });
    this.worker = new Worker(THREAD, { workerData: { root, allowed, preload: PRELOADED }, resourceLimits: { maxOldGenerationSizeMb: heapMb }, execArgv: [] });
    this.ready = new Promise((resolve, reject) => {
      this.waiting.set(0, (r) => (r ? resolve() : reject(new Error("the type-checking thread did not start"))));
    });
    this.ready.then(() => (this.isReady = true), () => undefined);
    this.worker.on("message", (r: Reply & { ms?: number }) => {
      if (typeof r.ms === "number") this.ms += r.ms;
      const done = this.waiting.get(r.id);
      this.waiting.delete(r.id);
      this.idleUnref();
      done?.(r);
    });
    const fail = (): void => {
      this.dead = true;
      for (const done of this.waiting.values()) done(undefined);
      this.waiting.clear();
    };
    this.worker.on("error", fail);
    this.worker.on("exit", fail);
    // Ref'd only while a conversion or a wait for the start (whenReady) is pending: idle, or
    // starting with nobody waiting, the thread must not keep a grading process (or a test run)
    // alive once its work is done. (This comes after the listeners, since adding a "message"
    // listener refs the thread's port again.)
    this.idleUnref();
  }

  /** Callers awaiting the start (whenReady): the thread is ref'd for them until it is ready. */
  private readyWaiters = 0;

  private idleUnref(): void {
    const conversions = this.waiting.size - (this.waiting.has(0) ? 1 : 0);
    if (conversions > 0 || (this.readyWaiters > 0 && !this.isReady && !this.dead)) this.worker.ref();
    else this.worker.unref();
  }

  /** Resolves once the thread is ready to convert (false if it died first). */
  whenReady(): Promise<boolean> {
    // Ref'd while awaited: a process whose only pending work is this wait (a one-off
    // `grader check`) would otherwise exit before the thread is ready, silently.
    this.readyWaiters++;
    this.idleUnref();
    const done = (): void => {
      this.readyWaiters--;
      this.idleUnref();
    };
    return this.ready.then(
      () => (done(), !this.dead),
      () => (done(), false),
    );
  }

  /** Converts one cell; undefined when the thread died or overran `timeoutMs` (it is then ended). */
  async convert(prevDecl: string, src: string, timeoutMs: number): Promise<Result | undefined> {
    // Waits through whenReady, which keeps the process alive meanwhile.
    if (!(await this.whenReady())) return undefined;
    const id = this.next++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        this.stop();
        resolve(undefined);
      }, timeoutMs);
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        if (!r) resolve(undefined);
        else if (r.kind === "clean") resolve({ kind: "clean", conversion: (r as { conversion: Conversion }).conversion });
        else resolve({ kind: r.kind === "other" ? "other" : "unclean" });
      });
      this.idleUnref();
      this.worker.postMessage({ id, prevDecl, src });
    });
  }

  stop(): void {
    this.dead = true;
    void this.worker.terminate();
  }
}

/** Most conversions kept per process (a class of 300 needs a few thousand). */
const CACHE_LIMIT = 20_000;

const threads = new Map<string, CheckerThread>();
const cache = new Map<string, Result>();

function threadFor(root: string): CheckerThread {
  let t = threads.get(root);
  if (!t || t.dead) {
    t = new CheckerThread(root, 1024);
    threads.set(root, t);
  }
  return t;
}

/** Milliseconds this process's checker threads spent converting cells (the profile's figure). */
export function checkerMs(): number {
  let ms = 0;
  for (const t of threads.values()) ms += t.ms;
  return ms;
}

/**
 * Starts this process's checker thread for `root` if it is not running, and resolves once it is
 * ready (true) or has died (false). Grading waits for it only for notebooks that import what it
 * preloads (see precheckCells); a test that wants every cell checked here awaits this first.
 */
export function checkerReady(root: string): Promise<boolean> {
  return threadFor(root).whenReady();
}

/**
 * Type-checks the planned cells in order, as the child would if every cell ran without error,
 * and returns the clean conversions by key (to pass to runNotebook with the master's). A cell
 * whose key is in `known` (the master's conversions) is not checked again. A cell that does not
 * type-check, or runs differently in the child, simply finds no conversion there: the child
 * type-checks it as before. Stops early (returning what it has) when the thread dies or a cell
 * takes longer than `cellTimeoutMs`.
 *
 * While the thread is still starting (its first seconds in a grading process), it is waited for
 * only when a cell imports one of the libraries it is loading (tfjs, nnkit): a child would spend
 * as long loading their types itself (waiting gave 4 course submissions in 26.3 s with 2 workers,
 * not waiting 34.6 s). A notebook without them is checked by the child at once (a grade run of
 * three small fixture submissions: 5.0 s, against 11.1 s waiting). The result is the same either
 * way (tslab's converter, the same keys); only who pays differs.
 */
export async function precheckCells(root: string, cells: PlannedCell[], known: Record<string, Conversion>, cellTimeoutMs: number): Promise<Record<string, Conversion>> {
  const out: Record<string, Conversion> = {};
  const thread = threadFor(root);
  if (!thread.isReady) {
    if (!cells.some((c) => usesPreloaded(String(c.source)))) return out;
    if (!(await thread.whenReady())) return out;
  }
  let prevDecl = "";
  for (const cell of cells) {
    const src = String(cell.source);
    const key = conversionKey(prevDecl, src);
    let result: Result | undefined = Object.hasOwn(known, key) ? { kind: "clean", conversion: known[key] } : cache.get(key);
    if (!result) {
      result = await thread.convert(prevDecl, src, cellTimeoutMs);
      if (!result) break;
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(key, result);
    }
    if (result.kind === "clean") {
      if (!Object.hasOwn(known, key)) out[key] = result.conversion;
      prevDecl = result.conversion.declOutput ?? "";
    }
    // A cell with a type error leaves the declarations as they were (as tslab's executor does).
  }
  return out;
}

/** Ends the checker threads of this process (tests; a grading process just exits). */
export function stopCheckers(): void {
  for (const t of threads.values()) t.stop();
  threads.clear();
  cache.clear();
}
