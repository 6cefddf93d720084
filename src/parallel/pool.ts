// The main-thread side of data-parallel training: starts the gradient
// workers, shares the data with them once, and asks for gradient shares.
import { Worker } from "worker_threads";
import * as path from "path";
import type { FromWorker, GradReply, EvalReply, InitMessage, ToWorker, SharedData } from "./protocol";

/** A float32 buffer every worker can read without a copy. */
export function sharedFloats(length: number): { buffer: SharedArrayBuffer; view: Float32Array } {
  const buffer = new SharedArrayBuffer(length * 4);
  return { buffer, view: new Float32Array(buffer) };
}

/** The worker script next to this file (.js when built, .ts when run from source through tsx). */
function workerScript(): { file: string; execArgv: string[] } {
  const ts = __filename.endsWith(".ts");
  const file = path.join(__dirname, ts ? "worker.ts" : "worker.js");
  return { file, execArgv: ts ? ["-r", "tsx/cjs"] : [] };
}

class GradientWorker {
  private pending: { resolve: (m: FromWorker) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;

  constructor(private readonly worker: Worker) {
    worker.on("message", (m: FromWorker) => {
      const p = this.pending;
      this.pending = null;
      if (p === null) return;
      if (m.type === "error") p.reject(new Error(`training worker failed: ${m.message}`));
      else p.resolve(m);
    });
    const fail = (e: Error): void => {
      this.failure = e;
      const p = this.pending;
      this.pending = null;
      p?.reject(e);
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`training worker exited (code ${code})`)));
  }

  request(msg: ToWorker): Promise<FromWorker> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(msg);
    });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners("exit");
    await this.worker.terminate();
  }
}

/** A fixed set of gradient workers over one shared dataset. */
export class WorkerPool {
  private constructor(private readonly workers: GradientWorker[]) {}

  /** Starts `size` workers and sends each the model and the shared data. */
  static async start(size: number, init: Omit<InitMessage, "type">): Promise<WorkerPool> {
    const { file, execArgv } = workerScript();
    const workers = Array.from({ length: size }, () => new GradientWorker(new Worker(file, { execArgv })));
    const pool = new WorkerPool(workers);
    try {
      await Promise.all(workers.map((w) => w.request({ type: "init", ...init })));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Splits `indices` into one contiguous share per worker and returns the
   * summed gradients of sum(loss)/total, plus the loss and metric sums.
   */
  async gradients(weights: Float32Array[], indices: Int32Array, total: number): Promise<GradReply> {
    const replies = (await Promise.all(
      this.shares(indices).map(([w, share]) => w.request({ type: "grad", weights, indices: share, total })),
    )) as GradReply[];
    // Summed in worker order, so a run is reproducible whatever finishes first.
    const grads = replies[0].grads;
    for (let r = 1; r < replies.length; r++) {
      replies[r].grads.forEach((g, k) => {
        const acc = grads[k];
        for (let i = 0; i < acc.length; i++) acc[i] += g[i];
      });
    }
    return {
      type: "grads",
      grads,
      lossSum: replies.reduce((a, r) => a + r.lossSum, 0),
      metricSum: replies.reduce((a, r) => a + r.metricSum, 0),
    };
  }

  /** Loss and metric sums over `indices` in inference mode. */
  async evaluate(weights: Float32Array[], indices: Int32Array): Promise<{ lossSum: number; metricSum: number }> {
    const replies = (await Promise.all(
      this.shares(indices).map(([w, share]) => w.request({ type: "eval", weights, indices: share })),
    )) as EvalReply[];
    return {
      lossSum: replies.reduce((a, r) => a + r.lossSum, 0),
      metricSum: replies.reduce((a, r) => a + r.metricSum, 0),
    };
  }

  /** Contiguous shares of `indices`, one per worker; a worker with none is left out. */
  private shares(indices: Int32Array): [GradientWorker, Int32Array][] {
    const n = this.workers.length;
    const out: [GradientWorker, Int32Array][] = [];
    this.workers.forEach((w, i) => {
      const share = indices.subarray(Math.floor((i * indices.length) / n), Math.floor(((i + 1) * indices.length) / n));
      if (share.length > 0) out.push([w, share]);
    });
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}

export type { SharedData };
