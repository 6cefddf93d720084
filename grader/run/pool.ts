/**
 * A pool of worker processes (one per core by default) that run jobs given as plain data,
 * with a watchdog per job. A worker that dies or overruns its time is killed with its whole
 * process group and replaced; its job ends as `crash` or `timeout`, never lost.
 */
import { ChildProcess, fork } from "child_process";
import * as fs from "fs";
import * as os from "os";

/** The outcome of one job: the worker's answer, or why there is none. */
export type Outcome<O> =
  | { ok: true; value: O }
  | { ok: false; reason: "timeout" | "crash"; message: string };

export interface PoolJob<I> {
  id: number;
  input: I;
  /** Watchdog limit for this job; the worker is killed after it. */
  timeoutMs: number;
}

export interface PoolOptions<I, O> {
  /** Module each worker runs (it answers `{id, input}` messages with `{id, ok, value | error}`). */
  workerModule: string;
  workers?: number;
  /** Extra node flags for workers (e.g. tsx's register hook). */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  /** Called in the parent for each finished job, in completion order; may be async. */
  onResult: (job: PoolJob<I>, outcome: Outcome<O>) => void | Promise<void>;
  onStart?: (job: PoolJob<I>) => void;
}

/** The message a worker sends back. */
export type WorkerReply<O> = { id: number; ok: true; value: O } | { id: number; ok: false; error: string };

/** The default number of workers: one per core. */
export function defaultWorkers(): number {
  return Math.max(1, os.availableParallelism ? os.availableParallelism() : os.cpus().length);
}

/** The ids of every live descendant of a process (Linux /proc; empty elsewhere). */
export function descendants(pid: number): number[] {
  let parents: Map<number, number[]>;
  try {
    parents = new Map();
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      } catch {
        continue; // exited while we looked
      }
      // the command name may hold spaces and parentheses: the ppid is the 2nd field after the last ")"
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    }
  } catch {
    return [];
  }
  const out: number[] = [];
  const stack = [...(parents.get(pid) ?? [])];
  while (stack.length) {
    const p = stack.pop() as number;
    out.push(p);
    stack.push(...(parents.get(p) ?? []));
  }
  return out;
}

/**
 * Kills a process, its process group and every descendant: the grader core puts each sandboxed
 * run in a group of its own, which killing the worker's group alone would leave running.
 */
export function killProcessTree(pid: number): void {
  for (const p of [...descendants(pid).reverse(), pid]) {
    for (const target of [-p, p]) {
      try {
        process.kill(target, "SIGKILL");
      } catch {
        // not a group leader, or already gone
      }
    }
  }
}

function killTree(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  killProcessTree(child.pid);
}

/** Runs all jobs and resolves when every one has an outcome (and its onResult has returned). */
export async function runPool<I, O>(jobs: PoolJob<I>[], opts: PoolOptions<I, O>): Promise<void> {
  const queue = [...jobs];
  const size = Math.max(1, Math.min(opts.workers ?? defaultWorkers(), queue.length));
  const live = new Set<ChildProcess>();
  const cleanup = (): void => live.forEach(killTree);
  process.once("exit", cleanup);
  // the results are handed to onResult one at a time, so a database writer never interleaves
  let chain: Promise<void> = Promise.resolve();
  const deliver = (job: PoolJob<I>, outcome: Outcome<O>): Promise<void> => {
    chain = chain.then(() => opts.onResult(job, outcome));
    return chain;
  };

  const spawnWorker = (): ChildProcess => {
    const child = fork(opts.workerModule, [], {
      execArgv: opts.execArgv ?? process.execArgv,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    // drain stderr so a chatty worker cannot block on a full pipe
    child.stderr?.on("data", () => undefined);
    live.add(child);
    child.on("exit", () => live.delete(child));
    return child;
  };

  const runOne = (child: ChildProcess, job: PoolJob<I>): Promise<{ outcome: Outcome<O>; workerOk: boolean }> =>
    new Promise((resolve) => {
      let settled = false;
      const finish = (outcome: Outcome<O>, workerOk: boolean): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve({ outcome, workerOk });
      };
      const onMessage = (msg: WorkerReply<O>): void => {
        if (msg.id !== job.id) return;
        finish(msg.ok ? { ok: true, value: msg.value } : { ok: false, reason: "crash", message: msg.error }, true);
      };
      const onExit = (code: number | null, signal: string | null): void =>
        finish({ ok: false, reason: "crash", message: `grading worker exited (code ${code}, signal ${signal})` }, false);
      const timer = setTimeout(() => {
        killTree(child);
        finish({ ok: false, reason: "timeout", message: `no result within ${Math.round(job.timeoutMs / 1000)} s (watchdog)` }, false);
      }, job.timeoutMs);
      child.on("message", onMessage);
      child.on("exit", onExit);
      opts.onStart?.(job);
      child.send({ id: job.id, input: job.input });
    });

  const lane = async (): Promise<void> => {
    let child: ChildProcess | null = null;
    for (let job = queue.shift(); job; job = queue.shift()) {
      if (!child) child = spawnWorker();
      const { outcome, workerOk } = await runOne(child, job);
      if (!workerOk) {
        killTree(child);
        child = null;
      }
      await deliver(job, outcome);
    }
    if (child) {
      child.disconnect();
      killTree(child);
    }
  };

  try {
    await Promise.all(Array.from({ length: size }, lane));
    await chain;
  } finally {
    cleanup();
    process.off("exit", cleanup);
  }
}
