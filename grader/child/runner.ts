/**
 * The program that runs one notebook inside the sandbox: the cells in order with tslab's own
 * converter and executor (the code the Jupyter kernel runs), then the probes. Results go to
 * the parent as JSON lines on fd 3. Everything here is bundled by grader/child-bundle.ts and,
 * when possible, baked into a V8 startup snapshot with tslab's compiler already warm.
 *
 * Nothing here is trusted by the parent: a notebook can patch anything in this process. What
 * this file guards is only that an honest notebook's results arrive intact, so it keeps its
 * own references to the built-ins it needs before any notebook code runs.
 */
import * as fs from "fs";
import * as path from "path";
import * as util from "util";
import * as v8 from "v8";
// A plain require (not a namespace copy): tslab calls runInThisContext on this very object.
import vm = require("vm");
import { createSnapshotRequire } from "./loader";
import { encodePlain, materializeInput, toPlain } from "../../src/check";
import type { ChildMessage, Conversion, Job, JobProbe } from "./protocol";

interface Converter {
  convert(prevDecl: string, src: string): Conversion & { sideOutputs?: unknown[] };
  close(): void;
}
interface Executor {
  execute(src: string): Promise<boolean>;
  interrupt(): void;
  locals: Record<string, unknown>;
}
interface TslabModules {
  createConverter(opts: { isJS: boolean; isBrowser: boolean }): Converter;
  createExecutor(root: string, convs: { node: Converter; browser: Converter; close(): void }, console: { log(...a: unknown[]): void; error(...a: unknown[]): void }): Executor;
}

const MESSAGE_FD = 3;
const writeSync = fs.writeSync;
const stringify = JSON.stringify;
const parseJson = JSON.parse;
const format = util.format;
const runInThisContext = vm.runInThisContext;
/** Bound at the start of main (after a snapshot is restored), before any notebook code runs. */
let realExit: (code: number) => never = (code) => process.exit(code);
const startTimer = setTimeout;
const stopTimer = clearTimeout;
const bufferFrom = Buffer.from.bind(Buffer);

/** Writes a whole buffer to a pipe, retrying on partial writes and EAGAIN. */
function writeAll(fd: number, text: string): void {
  const buf = bufferFrom(text, "utf8");
  let offset = 0;
  while (offset < buf.length) {
    try {
      offset += writeSync(fd, buf, offset, buf.length - offset);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
    }
  }
}

function send(msg: ChildMessage): void {
  writeAll(MESSAGE_FD, stringify(msg) + "\n");
}

function loadTslab(root: string, building: boolean): TslabModules {
  const dist = path.join(root, "node_modules", "tslab", "dist");
  const req = building ? createSnapshotRequire(require, root) : (require("module") as { createRequire(p: string): (id: string) => unknown }).createRequire(path.join(root, "x.js"));
  // The grader never edits files while it runs, so TypeScript's file watchers are not needed;
  // they would also keep handles open, which a snapshot cannot hold.
  const ts = req(path.join(root, "node_modules", "@tslab", "typescript-for-tslab")) as { sys: Record<string, unknown> };
  ts.sys.watchFile = () => ({ close() {} });
  ts.sys.watchDirectory = () => ({ close() {} });
  const { createConverter } = req(path.join(dist, "converter.js")) as Pick<TslabModules, "createConverter">;
  const { createExecutor } = req(path.join(dist, "executor.js")) as Pick<TslabModules, "createExecutor">;
  return { createConverter, createExecutor };
}

/** Creates tslab's converter and type-checks the usual imports once, so their declarations are parsed. */
function warmUp(tslab: TslabModules): Converter {
  const conv = tslab.createConverter({ isJS: false, isBrowser: false });
  conv.convert("", 'import * as tf from "@tensorflow/tfjs";\nimport * as nnkit from "nnkit";\n');
  return conv;
}

/** The key of a conversion: what tslab's convert depends on besides the installed packages. */
function conversionKey(hash: (text: string) => string, prevDecl: string, src: string): string {
  return hash(`${prevDecl.length}:${prevDecl}\u0000${src}`);
}

/**
 * tslab's converter with known conversions: type-checking a cell builds a new program and
 * takes 40-300 ms, while most cells of a submission are the master's public cells after the
 * same declarations. Those reuse the master's clean conversion; any other cell is checked.
 */
function reusingConverter(conv: Converter, job: Job): Converter {
  const { createHash } = require("crypto") as typeof import("crypto");
  const hash = (text: string): string => createHash("sha256").update(text).digest("hex");
  const known = new Map<string, Conversion>(Object.entries(job.conversions ?? {}));
  return {
    convert(prevDecl, src) {
      const key = conversionKey(hash, prevDecl, src);
      const reused = known.get(key);
      if (reused) return reused;
      const made = conv.convert(prevDecl, src);
      // Side files (a cell importing a local .ts module) depend on files on disk: never reused.
      if (job.recordConversions && made.diagnostics.length === 0 && !made.sideOutputs) {
        const { output, declOutput, diagnostics, hasToplevelAwait, lastExpressionVar } = made;
        send({ t: "conversion", key, conversion: { output, declOutput, diagnostics, hasToplevelAwait, lastExpressionVar } });
      }
      return made;
    },
    close: () => conv.close(),
  };
}

interface Capture {
  stdout: string;
  stderr: string;
  errors: string[];
  dropped: number;
}

function errorText(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  return format(value);
}

async function main(tslab: TslabModules, conv: Converter, root: string): Promise<void> {
  realExit = process.exit.bind(process) as (code: number) => never;
  const job = parseJson(fs.readFileSync(0, "utf8")) as Job;
  let capture: Capture = { stdout: "", stderr: "", errors: [], dropped: 0 };
  const record = (stream: "stdout" | "stderr", text: string): void => {
    const room = job.outputCapBytes - capture.stdout.length - capture.stderr.length;
    if (text.length <= room) capture[stream] += text;
    else {
      if (room > 0) capture[stream] += text.slice(0, room);
      capture.dropped += text.length - Math.max(room, 0);
    }
  };
  const hook = (stream: "stdout" | "stderr") =>
    function write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
      record(stream, typeof chunk === "string" ? chunk : bufferFrom(chunk as Uint8Array).toString("utf8"));
      const done = typeof encoding === "function" ? encoding : callback;
      if (typeof done === "function") done();
      return true;
    };
  process.stdout.write = hook("stdout") as typeof process.stdout.write;
  process.stderr.write = hook("stderr") as typeof process.stderr.write;
  process.on("uncaughtException", (err) => record("stderr", `UncaughtException: ${errorText(err)}\n`));
  process.on("unhandledRejection", (reason) => record("stderr", `UnhandledPromiseRejection: ${errorText(reason)}\n`));
  process.exit = ((code?: number) => {
    throw new Error(`process.exit(${code ?? ""}) is not allowed in a graded notebook`);
  }) as typeof process.exit;

  const converter = reusingConverter(conv, job);
  const executor = tslab.createExecutor(
    root,
    { node: converter, browser: converter, close: () => converter.close() },
    {
      log: (...args: unknown[]) => record("stdout", format(...args) + "\n"),
      error: (...args: unknown[]) => {
        const text = args.length === 1 ? errorText(args[0]) : format(...args);
        capture.errors.push(text);
        record("stderr", text + "\n");
      },
    },
  );
  const scope = executor.locals;
  send({ t: "ready" });

  for (const cell of job.cells) {
    send({ t: "cell-start", index: cell.index });
    capture = { stdout: "", stderr: "", errors: [], dropped: 0 };
    let timedOut = false;
    // tslab runs a cell's code with vm.runInThisContext: a timeout there stops a synchronous
    // endless loop with an error, as if the cell had thrown.
    const limited = (code: string, opts?: vm.RunningScriptOptions | string) =>
      runInThisContext(code, { ...(typeof opts === "string" ? { filename: opts } : opts), timeout: job.cellTimeoutMs });
    (vm as { runInThisContext: typeof vm.runInThisContext }).runInThisContext = limited as typeof vm.runInThisContext;
    const timer = startTimer(() => {
      timedOut = true;
      executor.interrupt();
    }, job.cellTimeoutMs);
    let ok = false;
    try {
      ok = await executor.execute(cell.source);
    } catch (err) {
      capture.errors.push(errorText(err));
    } finally {
      stopTimer(timer);
      (vm as { runInThisContext: typeof vm.runInThisContext }).runInThisContext = runInThisContext;
    }
    let error: string | undefined;
    if (!ok) {
      error = timedOut ? `the cell did not finish within ${job.cellTimeoutMs} ms` : capture.errors.join("\n") || "the cell failed";
      if (/Script execution timed out/.test(error)) error = `the cell did not finish within ${job.cellTimeoutMs} ms (endless loop?)`;
    }
    send({ t: "cell-end", index: cell.index, ok, error, stdout: capture.stdout, stderr: capture.stderr, dropped: capture.dropped });
  }

  capture = { stdout: "", stderr: "", errors: [], dropped: 0 };
  const types: Record<string, string> = {};
  for (const q of job.questions) for (const name of q.requires) types[name] = name in scope ? typeof scope[name] : "undefined";
  send({ t: "names", types });

  for (const q of job.questions) {
    send({ t: "question-start", id: q.id });
    if (q.requires.some((name) => types[name] === "undefined")) continue;
    for (const probe of q.probes) {
      capture = { stdout: "", stderr: "", errors: [], dropped: 0 };
      const outcome = await runProbe(probe, scope, job);
      send({ t: "probe", question: q.id, index: probe.index, outcome });
    }
  }
  send({ t: "done" });
  realExit(0);
}

const PROBE_SLOT = "__nnkit_probe__";

/** Runs one probe under a time limit and returns its encoded outcome. */
async function runProbe(probe: JobProbe, scope: object, job: Job): Promise<unknown> {
  const global = globalThis as unknown as Record<string, unknown>;
  try {
    const inputs: Record<string, unknown> = {};
    for (const name of Object.keys(probe.inputs)) inputs[name] = materializeInput(probe.inputs[name]);
    // `with` puts the notebook's names and the inputs in scope; a script is sloppy-mode code.
    const fn = runInThisContext(`(function (__scope, __inputs) { with (__scope) { with (__inputs) { return (${probe.js}\n); } } })`, {
      filename: "probe.js",
    }) as (s: object, i: object) => unknown;
    global[PROBE_SLOT] = () => fn(scope, inputs);
    let value = runInThisContext(`globalThis.${PROBE_SLOT}()`, { timeout: job.probeTimeoutMs });
    if (value !== null && typeof value === "object" && typeof (value as { then?: unknown }).then === "function") {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const limit = new Promise<never>((_, reject) => {
        timer = startTimer(() => reject(new Error(`the probe did not finish within ${job.probeTimeoutMs} ms`)), job.probeTimeoutMs);
      });
      try {
        value = await Promise.race([value as Promise<unknown>, limit]);
      } finally {
        stopTimer(timer);
      }
    }
    global[PROBE_SLOT] = () => toPlain(value);
    const plain = runInThisContext(`globalThis.${PROBE_SLOT}()`, { timeout: job.probeTimeoutMs }) as ReturnType<typeof toPlain>;
    const encoded = encodePlain(plain);
    if (stringify(encoded).length > job.resultCapChars) return { ok: false, error: `the result is too large to compare (over ${job.resultCapChars} characters)` };
    return { ok: true, value: encoded };
  } catch (err) {
    let message = errorText(err);
    if (/Script execution timed out/.test(message)) message = `the probe did not finish within ${job.probeTimeoutMs} ms (endless loop?)`;
    return { ok: false, error: message };
  } finally {
    delete global[PROBE_SLOT];
  }
}

function start(): void {
  const root = process.cwd();
  const snapshot = (v8 as { startupSnapshot?: { isBuildingSnapshot(): boolean; setDeserializeMainFunction(fn: () => void): void } }).startupSnapshot;
  const building = !!snapshot && snapshot.isBuildingSnapshot();
  const tslab = loadTslab(root, building);
  const conv = warmUp(tslab);
  const run = (): void => {
    main(tslab, conv, root).catch((err) => {
      writeAll(2, `grader child failed: ${errorText(err)}\n`);
      realExit(70);
    });
  };
  if (building && snapshot) snapshot.setDeserializeMainFunction(run);
  else run();
}

start();
