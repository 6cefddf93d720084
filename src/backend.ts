// Picks the tfjs backend for the kit: tfjs-node when it is installed, else the
// WebAssembly backend (threaded SIMD build, with the training kernels it
// lacks), else cpu. Everything that must happen before the wasm backend's one
// and only initialisation happens here, so notebooks call this first.
import * as tf from "@tensorflow/tfjs";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { registerWasmTrainingKernels } from "./wasm-kernels";

/** The backends the kit knows how to choose between. */
export type BackendName = "tensorflow" | "wasm" | "cpu";

/** What `setupBackend()` chose: the backend, its thread count and why. */
export interface BackendChoice {
  name: BackendName;
  threads: number;
  reason: string;
}

/** Options of `setupBackend()`; environment variables fill what is left out. */
export interface BackendOptions {
  /** Force a backend (else env NNKIT_BACKEND, else the fastest that works). */
  backend?: BackendName;
  /** Threads for the wasm backend (else env NNKIT_THREADS, else all cores). */
  threads?: number;
  /** Do not print the one-line summary. */
  quiet?: boolean;
}

const BACKENDS: readonly BackendName[] = ["tensorflow", "wasm", "cpu"];

let choice: Promise<BackendChoice> | null = null;

/** Reads NNKIT_BACKEND / an explicit option, rejecting unknown names clearly. */
export function requestedBackend(opts: BackendOptions = {}, env: NodeJS.ProcessEnv = process.env): BackendName | null {
  const raw = opts.backend ?? env.NNKIT_BACKEND;
  if (raw === undefined || raw === "") return null;
  if (!(BACKENDS as readonly string[]).includes(raw)) {
    throw new Error(`unknown tfjs backend "${raw}" (from NNKIT_BACKEND or the backend option): use one of ${BACKENDS.join(", ")}`);
  }
  return raw as BackendName;
}

/** Reads NNKIT_THREADS / an explicit option; defaults to the number of CPUs. */
export function requestedThreads(opts: BackendOptions = {}, env: NodeJS.ProcessEnv = process.env): number {
  const raw = opts.threads ?? env.NNKIT_THREADS;
  if (raw === undefined || raw === "") return Math.max(1, os.cpus().length);
  const n = typeof raw === "number" ? raw : Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`NNKIT_THREADS / threads must be a whole number >= 1, got "${raw}"`);
  }
  return n;
}

/**
 * tfjs-backend-cpu prints "Hi, looks like you are running TensorFlow.js in
 * Node.js..." on its first write; the kit says itself which backend it uses.
 * An accessor on the prototype swallows the constructor's `firstUse = true`.
 */
function silenceNodeBanner(): void {
  const proto = MathBackendCPU.prototype as unknown as Record<string, unknown>;
  if (Object.getOwnPropertyDescriptor(proto, "firstUse") !== undefined) return;
  Object.defineProperty(proto, "firstUse", { get: () => false, set: () => undefined, configurable: true });
}

function tfjsNodeProblem(): string | null {
  try {
    require.resolve("@tensorflow/tfjs-node");
  } catch {
    return "tfjs-node is not installed";
  }
  try {
    require("@tensorflow/tfjs-node");
    return null;
  } catch (e) {
    return `tfjs-node is installed but does not load (${(e as Error).message.split("\n")[0]})`;
  }
}

/** Why worker threads cannot be used here (e.g. in the grader's sandbox), or null when they can. */
export function threadsProblem(): string | null {
  const permission = (process as unknown as { permission?: { has(scope: string): boolean } }).permission;
  if (permission !== undefined && !permission.has("worker")) return "worker threads are not permitted";
  if (typeof SharedArrayBuffer === "undefined") return "SharedArrayBuffer is unavailable";
  return null;
}

/**
 * Node cannot start a worker from the blob: URL that tfjs-backend-wasm gives
 * emscripten for its pthreads, so the same worker code goes to a file. Inside
 * the worker, the main script (posted as a Blob) is likewise mapped to the
 * package's own copy of it.
 */
function writePthreadWorker(): string {
  const wasmDir = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"));
  const mainScript = path.join(wasmDir, "wasm-out", "tfjs-backend-wasm-threaded-simd.js");
  const workerModule = path.join(wasmDir, "wasm-out", "tfjs-backend-wasm-threaded-simd.worker.js");
  const { wasmWorkerContents } = require(workerModule) as { wasmWorkerContents: string };
  const prelude = `{const p=${JSON.stringify(mainScript)};URL.createObjectURL=()=>p;URL.revokeObjectURL=()=>{};}\n`;
  // Same escaping as tfjs does before it makes its Blob.
  const source = prelude + wasmWorkerContents.replace(/\n/g, "\\n");
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  // A folder of our own rather than the temporary folder itself: tslab's compiler watches the
  // folders above a notebook, and a file appearing or vanishing directly in one of them (our
  // rename below, when the notebook sits under the temporary folder as the tests' do) makes it
  // rebuild, or kill the kernel with "Unexpected pending rebuildTimer".
  const dir = path.join(os.tmpdir(), `nnkit-${uid}`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const owner = fs.statSync(dir);
  // Another user could have made the folder first in a shared /tmp and placed code in it.
  if (typeof process.getuid === "function" && (owner.uid !== uid || (owner.mode & 0o022) !== 0)) {
    throw new Error(`${dir} belongs to another user or is writable by others`);
  }
  // Named by its content: kits installed in different folders (the worker names the package's
  // path) then never rewrite each other's file while a kernel uses it.
  const digest = crypto.createHash("sha256").update(source).digest("hex").slice(0, 16);
  const file = path.join(dir, `wasm-pthread-${digest}.js`);
  if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== source) {
    const partial = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(partial, source, { mode: 0o600 });
    fs.renameSync(partial, file);
  }
  return file;
}

interface PThreadPool {
  unusedWorkers: { unref(): void }[];
  runningWorkers: { unref(): void }[];
}

/** Lets Node exit while emscripten's pre-spawned pthread workers idle. */
function unrefPthreads(): void {
  const backend = tf.findBackend("wasm") as unknown as { wasm?: { PThread?: PThreadPool } } | null;
  const pool = backend?.wasm?.PThread;
  if (pool === undefined) return;
  for (const w of [...pool.unusedWorkers, ...pool.runningWorkers]) w.unref();
}

async function startWasm(threads: number): Promise<{ threads: number; note: string }> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  let note = "";
  if (tf.findBackend("wasm") === null) {
    let restore = (): void => undefined;
    if (threads > 1) {
      const problem = threadsProblem();
      let workerFile: string | null = null;
      if (problem === null) {
        try {
          workerFile = writePthreadWorker();
        } catch (e) {
          note = `; 1 thread: cannot write the pthread worker (${(e as Error).message})`;
        }
      } else {
        note = `; 1 thread: ${problem}`;
      }
      if (workerFile !== null) {
        const file = workerFile;
        tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
        const createObjectURL = URL.createObjectURL;
        // The namespace import is read-only; the wasm build reads the module object.
        const osModule = require("os") as { cpus: () => os.CpuInfo[] };
        const cpus = osModule.cpus;
        URL.createObjectURL = (obj: Blob) =>
          obj instanceof Blob && obj.type === "application/javascript" ? file : createObjectURL(obj);
        // The wasm build caps its thread pool at half the logical CPUs.
        const patchedCpus = (): os.CpuInfo[] => {
          const real = cpus();
          return Array.from({ length: Math.max(real.length, 2 * threads) }, (_, i) => real[i % real.length]);
        };
        osModule.cpus = patchedCpus;
        restore = () => {
          URL.createObjectURL = createObjectURL;
          osModule.cpus = cpus;
        };
        wasm.setThreadsCount(threads);
      }
    }
    if (threads <= 1) {
      tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
      wasm.setThreadsCount(1);
    }
    try {
      if (!(await tf.setBackend("wasm"))) throw new Error("the wasm backend failed to initialise");
    } finally {
      restore();
    }
  } else {
    await tf.setBackend("wasm");
    note = "; already initialised, thread count unchanged";
  }
  unrefPthreads();
  registerWasmTrainingKernels();
  return { threads: wasm.getThreadsCount(), note };
}

async function choose(opts: BackendOptions): Promise<BackendChoice> {
  silenceNodeBanner();
  const forced = requestedBackend(opts);
  const threads = requestedThreads(opts);
  const forcedBy = opts.backend !== undefined ? "requested" : "forced by NNKIT_BACKEND";
  if (forced === "cpu") {
    await tf.setBackend("cpu");
    return { name: "cpu", threads: 1, reason: forcedBy };
  }
  if (forced === "tensorflow") {
    const problem = tfjsNodeProblem();
    if (problem !== null) throw new Error(`backend "tensorflow" was ${forcedBy}, but ${problem}: npm install @tensorflow/tfjs-node`);
    await tf.setBackend("tensorflow");
    return { name: "tensorflow", threads: os.cpus().length, reason: forcedBy };
  }
  let why: string = forcedBy;
  if (forced === null) {
    const problem = tfjsNodeProblem();
    if (problem === null && (await tf.setBackend("tensorflow"))) {
      return { name: "tensorflow", threads: os.cpus().length, reason: "tfjs-node is installed" };
    }
    why = problem ?? "tfjs-node did not initialise";
  }
  try {
    const started = await startWasm(threads);
    return { name: "wasm", threads: started.threads, reason: why + started.note };
  } catch (e) {
    if (forced === "wasm") throw e;
    await tf.setBackend("cpu");
    return { name: "cpu", threads: 1, reason: `${why}; wasm failed: ${(e as Error).message}` };
  }
}

/** The one-line summary that `setupBackend()` prints. */
export function describeBackend(c: BackendChoice): string {
  const threads = c.name === "cpu" ? "" : ` (${c.threads} thread${c.threads === 1 ? "" : "s"})`;
  return `tfjs backend: ${c.name}${threads}: ${c.reason}`;
}

/**
 * Chooses the fastest tfjs backend that works here and makes it current:
 * "tensorflow" (tfjs-node) when installed, else "wasm" (WebAssembly, both
 * cores, with the kernels it needs to train CNNs), else "cpu". Prints one line
 * saying which and why. Call it once, first, with `await setupBackend();`;
 * later calls return the same choice. Env NNKIT_BACKEND=tensorflow|wasm|cpu
 * forces a backend, NNKIT_THREADS=n sets the wasm threads.
 */
export function setupBackend(opts: BackendOptions = {}): Promise<BackendChoice> {
  if (choice === null) {
    choice = choose(opts).then((c) => {
      if (!opts.quiet) console.log(describeBackend(c));
      return c;
    });
    choice.catch(() => {
      choice = null;
    });
  }
  return choice;
}
