/**
 * The program that runs notebooks inside the sandbox: tslab's own converter and executor (the
 * code the Jupyter kernel runs), driven by the parent one request at a time (./protocol.ts): begin
 * a notebook, run this cell, report the types of these names, run this probe. One child runs one
 * notebook, or all of a submission's notebooks one after another (each with an executor of its
 * own, every cell of every notebook before the first probe; see `begin` in main). Requests arrive
 * as JSON lines on stdin, replies leave as JSON lines on fd 3. Everything here is bundled by
 * grader/run/child-bundle.ts and, when possible, baked into a V8 startup snapshot with tslab's
 * compiler already warm.
 *
 * Nothing here is trusted by the parent: a notebook can patch anything in this process, and read
 * anything in it (a heap snapshot shows every string). What this file guards is that an honest
 * notebook's results arrive intact and that a notebook's patches cannot change what the runner
 * reports: it uses only the built-ins it saved before any notebook code ran (./builtins.ts).
 *
 * What a notebook can do with the nonces, and why that gains nothing:
 * - A request's nonce is drawn by the parent and sent with that request only, after the reply to
 *   the previous one was accepted, so no line written before the request (by a cell, a timer or a
 *   probe) can carry it: forged replies sent ahead are ignored.
 * - While a request runs notebook code (a cell, a probe calling a student function, a getter on a
 *   name whose type is asked for), that code can find the request's nonce (heap snapshot) and
 *   answer the request itself, or read the next request from fd 0 once the parent has accepted its
 *   forged reply. Either way it only answers requests about its own code with values it could have
 *   returned honestly: a probe's inputs and expression are all it learns, and no expected value,
 *   comparator or tolerance ever enters this process. The parent judges every value against the
 *   master's, so a forged reply is worth exactly what returning that value would be.
 * - Between reading a request and writing its reply the runner only yields to the event loop while
 *   a cell or an asynchronous probe runs; waiting for the next request is a blocking read, so no
 *   timer of the notebook can run while a request sits unread.
 */
import * as path from "path";
import * as v8 from "v8";
// A plain require (not a namespace copy): tslab calls runInThisContext on this very object.
import vm = require("vm");
import { createSnapshotRequire } from "./loader";
import {
  ERROR_PROTOTYPE,
  GLOBAL,
  Int32ArrayCtor,
  apply,
  bare,
  bufferAlloc,
  bufferFrom,
  defineProperty,
  deleteProperty,
  format,
  hexSlice,
  inherits,
  jsonParse,
  jsonStringify,
  matches,
  objectKeys,
  readSync,
  slice,
  startTimer,
  stopTimer,
  typedArrayCopyWithin,
  typedArrayLength,
  typedArraySet,
  utf8Slice,
  writeSync,
} from "./builtins";
import { encodeResult, materializeInputs } from "./encode";
import { PROBE_WALL_FACTOR, type CellRequest, type Conversion, type NamesRequest, type ProbeRequest, type Request, type SetupRequest } from "./protocol";

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
const runInThisContext = vm.runInThisContext;
const ScriptCtor = vm.Script;
const scriptRun = vm.Script.prototype.runInThisContext;
const promiseThen = Promise.prototype.then;
/** Bound at the start of main (after a snapshot is restored), before any notebook code runs. */
let realExit: (code: number) => never = (code) => process.exit(code);

/** Writes a whole text to a pipe, retrying on partial writes and EAGAIN. */
function writeAll(fd: number, text: string): void {
  const buf = bufferFrom(text, "utf8");
  const length = apply(typedArrayLength, buf, []);
  let offset = 0;
  while (offset < length) {
    try {
      offset += writeSync(fd, buf, offset, length - offset);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
    }
  }
}

function send(line: string): void {
  writeAll(MESSAGE_FD, line + "\n");
}

/**
 * Reads the parent's requests from fd 0 with blocking reads (no event-loop turn, so no notebook
 * timer runs while a request waits). When a notebook made fd 0 non-blocking (by touching
 * process.stdin), EAGAIN is waited out with Atomics.wait, still without yielding.
 */
class RequestReader {
  private buf = bufferAlloc(64 * 1024);
  private size = 64 * 1024;
  private length = 0;
  private scanned = 0;
  // Made in main, before any notebook code runs: a snapshot is built without SharedArrayBuffer.
  private readonly sleeper = new Int32ArrayCtor(new SharedArrayBuffer(4));
  private readonly wait = Atomics.wait;

  next(): Request | null {
    for (;;) {
      for (let i = this.scanned; i < this.length; i++) {
        if (this.buf[i] !== 10) continue;
        const line = apply(utf8Slice, this.buf, [0, i]);
        apply(typedArrayCopyWithin, this.buf, [0, i + 1, this.length]);
        this.length -= i + 1;
        this.scanned = 0;
        return jsonParse(line) as Request;
      }
      this.scanned = this.length;
      if (this.length === this.size) {
        const bigger = bufferAlloc(this.size * 2);
        apply(typedArraySet, bigger, [this.buf]);
        this.buf = bigger;
        this.size *= 2;
      }
      let n: number;
      try {
        n = readSync(0, this.buf, this.length, this.size - this.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
        apply(this.wait, null, [this.sleeper, 0, 0, 2]);
        continue;
      }
      if (n === 0) return null;
      this.length += n;
    }
  }
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

/** A list without Array.prototype (appending to an array can reach a setter a notebook put there). */
interface List {
  length: number;
  [index: number]: string;
}

function list(): List {
  const l = bare<List>();
  l.length = 0;
  return l;
}

function append(l: List, item: string): void {
  l[l.length] = item;
  l.length++;
}

function joined(l: List, separator: string): string {
  let out = "";
  for (let i = 0; i < l.length; i++) out += (i > 0 ? separator : "") + l[i];
  return out;
}

interface Capture {
  stdout: string;
  stderr: string;
  errors: List;
  dropped: number;
  /** Characters printed in all (kept or not). */
  printed: number;
}

function freshCapture(): Capture {
  const c = bare<Capture>();
  c.stdout = "";
  c.stderr = "";
  c.errors = list();
  c.dropped = 0;
  c.printed = 0;
  return c;
}

function errorText(value: unknown): string {
  if (value !== null && typeof value === "object" && inherits(value, ERROR_PROTOTYPE)) return `${(value as Error).name}: ${(value as Error).message}`;
  return format(value);
}

/** Runs a step of the runner; a failure of the runner itself ends the child (the parent sees a crash). */
function guarded(step: () => void): void {
  try {
    step();
  } catch (err) {
    writeAll(2, `grader child failed: ${errorText(err)}\n`);
    realExit(70);
  }
}

/**
 * Options for vm without a prototype, so that no field can come from a patched Object.prototype.
 * `interruptible`: SIGINT (the parent's, when a probe has used up its CPU time) stops the script.
 */
function vmOptions(filename: string, timeout?: number, interruptible = false): vm.RunningScriptOptions {
  const opts = bare<vm.RunningScriptOptions>();
  opts.filename = filename;
  if (timeout !== undefined) opts.timeout = timeout;
  if (interruptible) opts.breakOnSigint = true;
  return opts;
}

/** Runs `code` as a script under the saved vm functions (a frozen vm.Script.prototype, see main). */
function runScript(code: string, opts: vm.RunningScriptOptions): unknown {
  return apply(scriptRun as (o: vm.RunningScriptOptions) => unknown, new ScriptCtor(code, opts), [opts]);
}

function start(): void {
  const root = process.cwd();
  const snapshot = (v8 as { startupSnapshot?: { isBuildingSnapshot(): boolean; setDeserializeMainFunction(fn: () => void): void } }).startupSnapshot;
  const building = !!snapshot && snapshot.isBuildingSnapshot();
  const tslab = loadTslab(root, building);
  const conv = warmUp(tslab);
  const run = (): void => guarded(() => main(tslab, conv, root));
  if (building && snapshot) snapshot.setDeserializeMainFunction(run);
  else run();
}

function main(tslab: TslabModules, conv: Converter, root: string): void {
  realExit = process.exit.bind(process) as (code: number) => never;
  // Saved before any notebook code runs: for the grading profile and the probe time limit.
  const cpuUsage = process.cpuUsage.bind(process);
  const wallNow = Date.now;
  // The parent interrupts a probe that used up its CPU time with SIGINT, which stops a script run
  // with breakOnSigint; one that arrives just after the probe ended must not end the process.
  process.on("SIGINT", () => undefined);
  const cpuMs = (): number => {
    const u = cpuUsage();
    return (u.user + u.system) / 1000;
  };
  // vm.runInThisContext calls script.runInThisContext, which calls super.runInContext: both are
  // looked up on these prototypes at call time, so they are frozen before a notebook can patch them.
  Object.freeze(vm.Script.prototype);
  Object.freeze(Object.getPrototypeOf(vm.Script.prototype));
  const crypto = require("crypto") as typeof import("crypto");
  const randomBytes = crypto.randomBytes;
  const createHash = crypto.createHash;
  const hashProto = Object.getPrototypeOf(createHash("sha256")) as { update(t: string): unknown; digest(e: "hex"): string };
  const hashUpdate = hashProto.update;
  const hashDigest = hashProto.digest;
  const sha256 = (text: string): string => {
    const h = createHash("sha256");
    apply(hashUpdate, h, [text]);
    return apply(hashDigest, h, ["hex"]);
  };
  const randomName = (): string => "__nnkit_" + apply(hexSlice, randomBytes(12), [0, 12]);

  const reader = new RequestReader();
  const first = reader.next();
  if (first === null || first.t !== "setup") throw new Error("the first request is not a setup");
  /**
   * The notebook the current request is about: its setup (limits, conversions), its executor and
   * its top-level names. A child runs one notebook, or a submission's notebooks one after another
   * (a setup request begins each), every one with an executor of its own.
   */
  let setup: SetupRequest = first;

  let capture = freshCapture();
  const record = (stream: "stdout" | "stderr", text: string): void => {
    capture.printed += text.length;
    const room = setup.outputCapBytes - capture.stdout.length - capture.stderr.length;
    if (text.length <= room) capture[stream] += text;
    else {
      if (room > 0) capture[stream] += slice(text, 0, room);
      capture.dropped += text.length - (room > 0 ? room : 0);
    }
  };
  const hook = (stream: "stdout" | "stderr") =>
    function write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
      if (typeof chunk === "string") record(stream, chunk);
      else {
        const bytes = bufferFrom(chunk as string, "utf8");
        record(stream, apply(utf8Slice, bytes, [0, apply(typedArrayLength, bytes, [])]));
      }
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

  // Conversions of the master's public cells: a cell whose source and preceding declarations match
  // one is not type-checked again (40-300 ms each). The key is what tslab's convert depends on
  // besides the installed packages.
  let known = bare<Record<string, Conversion>>();
  let made = list();
  /** CPU ms spent type-checking during the current cell (profile only). */
  let checkMs = 0;
  const converter: Converter = {
    convert(prevDecl, src) {
      const key = sha256(`${prevDecl.length}:${prevDecl}\u0000${src}`);
      const reused = known[key];
      if (reused) return reused;
      const before = setup.profile ? cpuMs() : 0;
      const conversion = conv.convert(prevDecl, src);
      if (setup.profile) checkMs += cpuMs() - before;
      // Side files (a cell importing a local .ts module) depend on files on disk: never reused.
      if (setup.recordConversions && conversion.diagnostics.length === 0 && !conversion.sideOutputs) {
        const clean = bare<Conversion>();
        clean.output = conversion.output;
        clean.declOutput = conversion.declOutput;
        clean.diagnostics = [];
        clean.hasToplevelAwait = conversion.hasToplevelAwait;
        clean.lastExpressionVar = conversion.lastExpressionVar;
        append(made, `{"key":${jsonStringify(key)},"conversion":${jsonStringify(clean)}}`);
      }
      return conversion;
    },
    close: () => conv.close(),
  };
  const tslabConsole = {
    log: (...args: unknown[]) => record("stdout", apply(format, null, args) + "\n"),
    error: (...args: unknown[]) => {
      const text = args.length === 1 ? errorText(args[0]) : apply(format, null, args);
      append(capture.errors, text);
      record("stderr", text + "\n");
    },
  };

  interface NotebookState {
    setup: SetupRequest;
    known: Record<string, Conversion>;
    executor: Executor;
  }
  /** The notebooks begun in this child, by number (a null-prototype record: no Array.prototype). */
  const notebooks = bare<Record<number, NotebookState>>();
  let begun = 0;
  /** Set by the first probe: from then on the child runs no cell (see `begin`). */
  let probed = false;
  let executor: Executor;
  let scope: Record<string, unknown>;

  /**
   * Begins a notebook: a fresh tslab executor, so its top-level names start empty (a name of an
   * earlier notebook is not in its scope); only the module cache (tfjs, nnkit, the wasm backend)
   * and the process's globals are shared. No notebook begins once a probe has run: a probe's
   * inputs (hidden ones too) are in the process from then on, and no cell whose output a student
   * sees may run after that; the parent sends every notebook's cells before the first probe.
   */
  const begin = (req: SetupRequest): void => {
    if (probed) throw new Error("a notebook cannot begin after a probe ran in this child");
    setup = req;
    known = bare<Record<string, Conversion>>();
    const givenKeys = objectKeys(req.conversions);
    for (let i = 0; i < givenKeys.length; i++) known[givenKeys[i]] = req.conversions[givenKeys[i]];
    executor = tslab.createExecutor(root, { node: converter, browser: converter, close: () => converter.close() }, tslabConsole);
    scope = executor.locals;
    const state = bare<NotebookState>();
    state.setup = req;
    state.known = known;
    state.executor = executor;
    notebooks[begun] = state;
    begun++;
  };

  /** Makes notebook `index` the current one (its limits, conversions and names). */
  const select = (index: unknown): void => {
    const state = typeof index === "number" ? notebooks[index] : undefined;
    if (state === undefined) throw new Error(`no notebook ${jsonStringify(index)} in this child`);
    setup = state.setup;
    known = state.known;
    executor = state.executor;
    scope = executor.locals;
  };

  begin(first);

  // The probe time limit (PROBE_WALL_FACTOR): the current probe's start, in CPU and wall ms.
  // (read at each use: a shared child switches `setup` with the notebook)
  const wallCapMs = (): number => PROBE_WALL_FACTOR * setup.probeTimeoutMs;
  let probeCpuStart = 0;
  let probeWallStart = 0;
  /** Thrown instead of running a script when the probe's wall-clock cap is already reached. */
  const OUT_OF_TIME = bare<object>();

  /**
   * Calls `fn` under the probe time limit, through a global of a fresh random name (a script can
   * only reach globals). The vm timeout is the rest of the probe's wall-clock cap; the CPU limit
   * is the parent's interrupt (SIGINT).
   */
  const callLimited = (fn: () => unknown): unknown => {
    const wallLeft = wallCapMs() - (wallNow() - probeWallStart);
    if (wallLeft < 1) throw OUT_OF_TIME;
    const slot = randomName();
    const desc = bare<PropertyDescriptor>();
    desc.value = fn;
    desc.configurable = true;
    desc.writable = true;
    defineProperty(GLOBAL, slot, desc);
    try {
      return runScript(`${slot}()`, vmOptions("probe.js", wallLeft, true));
    } finally {
      deleteProperty(GLOBAL, slot);
    }
  };

  const failure = (err: unknown): string => {
    let message = err === OUT_OF_TIME ? "Script execution timed out" : errorText(err);
    if (matches(/Script execution (timed out|(was )?interrupted)/, message)) message = `the probe did not finish within ${setup.probeTimeoutMs} ms (endless loop?)`;
    return `{"ok":false,"error":${jsonStringify(message)}}`;
  };

  /** The outcome text of a probe's value: encoded under the time limit (a getter or a tensor can loop). */
  const outcomeOf = (value: unknown): string => {
    let text: string;
    try {
      text = callLimited(() => encodeResult(value)) as string;
    } catch (err) {
      return failure(err);
    }
    if (text.length > setup.resultCapChars) return `{"ok":false,"error":${jsonStringify(`the result is too large to compare (over ${setup.resultCapChars} characters)`)}}`;
    return `{"ok":true,"value":${text}}`;
  };

  /** CPU ms at the start of the current request (profile only). */
  let requestStart = 0;
  const cpuField = (): string => (setup.profile ? `,"cpu":${jsonStringify(cpuMs() - requestStart)}` : "");

  const probeReply = (nonce: string, outcome: string): string => `{"t":"probe","nonce":${jsonStringify(nonce)},"outcome":${outcome},"printed":${capture.printed}${cpuField()}}`;

  /** Runs one probe; returns its reply, or undefined when `done` will be called with it later. */
  const runProbe = (req: ProbeRequest, done: (reply: string) => void): string | undefined => {
    capture = freshCapture();
    if (setup.profile) requestStart = cpuMs();
    probeCpuStart = cpuMs();
    probeWallStart = wallNow();
    let value: unknown;
    try {
      const inputs = materializeInputs(req.inputs);
      // `with` puts the notebook's names and the inputs in scope; a script is sloppy-mode code.
      const fn = runScript(`(function (__scope, __inputs) { with (__scope) { with (__inputs) { return (${req.js}\n); } } })`, vmOptions("probe.js")) as (s: object, i: object) => unknown;
      value = callLimited(() => fn(scope, inputs));
    } catch (err) {
      return probeReply(req.nonce, failure(err));
    }
    let then: unknown;
    try {
      then = value !== null && typeof value === "object" ? (value as { then?: unknown }).then : undefined;
    } catch (err) {
      return probeReply(req.nonce, failure(err));
    }
    if (typeof then !== "function") return probeReply(req.nonce, outcomeOf(value));
    // A promise: settled once, by whichever comes first; a callback kept by the notebook and
    // called later (during another probe) finds this probe settled and changes nothing.
    let settled = false;
    const settle = (outcome: () => string): void => {
      if (settled) return;
      settled = true;
      stopTimer(timer);
      done(probeReply(req.nonce, outcome()));
    };
    // Waiting costs no CPU: when the limit has passed on the clock but not in CPU time, the
    // timer is set again for the CPU time left, until the wall-clock cap.
    const check = (): void => {
      const cpuLeft = setup.probeTimeoutMs - (cpuMs() - probeCpuStart);
      const wallLeft = wallCapMs() - (wallNow() - probeWallStart);
      const left = cpuLeft < wallLeft ? cpuLeft : wallLeft;
      if (left < 1) settle(() => failure(new Error(`the probe did not finish within ${setup.probeTimeoutMs} ms`)));
      else timer = startTimer(check, left);
    };
    let timer = startTimer(check, setup.probeTimeoutMs);
    try {
      apply(then as (a: (v: unknown) => void, b: (e: unknown) => void) => void, value, [(v: unknown) => settle(() => outcomeOf(v)), (e: unknown) => settle(() => failure(e))]);
    } catch (err) {
      settle(() => failure(err));
    }
    return undefined;
  };

  const runCell = (req: CellRequest, done: (reply: string) => void): void => {
    capture = freshCapture();
    made = list();
    checkMs = 0;
    if (setup.profile) requestStart = cpuMs();
    let timedOut = false;
    let finished = false;
    // tslab runs a cell's code with vm.runInThisContext: a timeout there stops a synchronous
    // endless loop with an error, as if the cell had thrown.
    const limited = (code: string, opts?: vm.RunningScriptOptions | string) => {
      const o = vmOptions(typeof opts === "string" ? opts : opts?.filename ?? "evalmachine.<anonymous>", setup.cellTimeoutMs);
      return runScript(code, o);
    };
    (vm as { runInThisContext: unknown }).runInThisContext = limited;
    const timer = startTimer(() => {
      timedOut = true;
      executor.interrupt();
    }, setup.cellTimeoutMs);
    const finish = (ok: boolean): void => {
      if (finished) return;
      finished = true;
      stopTimer(timer);
      (vm as { runInThisContext: unknown }).runInThisContext = runInThisContext;
      let error: string | undefined;
      if (!ok) {
        error = timedOut ? `the cell did not finish within ${setup.cellTimeoutMs} ms` : joined(capture.errors, "\n") || "the cell failed";
        if (matches(/Script execution timed out/, error)) error = `the cell did not finish within ${setup.cellTimeoutMs} ms (endless loop?)`;
      }
      const conversions = joined(made, ",");
      const cpu = setup.profile ? `,"cpu":{"check":${jsonStringify(checkMs)},"total":${jsonStringify(cpuMs() - requestStart)}}` : "";
      done(
        `{"t":"cell","nonce":${jsonStringify(req.nonce)},"ok":${ok ? "true" : "false"}${error === undefined ? "" : `,"error":${jsonStringify(error)}`},` +
          `"stdout":${jsonStringify(capture.stdout)},"stderr":${jsonStringify(capture.stderr)},"dropped":${capture.dropped},"conversions":[${conversions}]${cpu}}`,
      );
    };
    try {
      apply(promiseThen as (a: (v: unknown) => void, b: (e: unknown) => void) => unknown, executor.execute(req.source), [
        (ok: unknown) => finish(ok === true),
        (err: unknown) => {
          append(capture.errors, errorText(err));
          finish(false);
        },
      ]);
    } catch (err) {
      append(capture.errors, errorText(err));
      finish(false);
    }
  };

  const namesReply = (req: NamesRequest): string => {
    let body = "";
    for (let i = 0; i < req.names.length; i++) {
      const name = req.names[i];
      let type: string;
      try {
        type = name in scope ? typeof scope[name] : "undefined";
      } catch {
        type = "undefined";
      }
      body += (i > 0 ? "," : "") + jsonStringify(name) + ":" + jsonStringify(type);
    }
    return `{"t":"names","nonce":${jsonStringify(req.nonce)},"types":{${body}}}`;
  };

  /** Serves requests until one has to wait for the event loop; its callback serves the rest. */
  const serve = (): void => {
    for (;;) {
      const req = reader.next();
      if (req === null) realExit(0);
      const request = req as Request;
      if (request.t === "setup") {
        const before = cpuMs();
        begin(request);
        send(`{"t":"ready","nonce":${jsonStringify(request.nonce)}${setup.profile ? `,"cpu":${jsonStringify(cpuMs() - before)}` : ""}}`);
        continue;
      }
      if (request.t === "cell") {
        // Cells run in the notebook begun last (tslab's executor reaches its names through a
        // global that the last one set), and never after a probe (see `begin`).
        if (probed || request.notebook !== begun - 1) throw new Error(`a cell of notebook ${jsonStringify(request.notebook)} cannot run now`);
        runCell(request, (reply) => guarded(() => {
          send(reply);
          serve();
        }));
        return;
      }
      if (request.t === "names") {
        select(request.notebook);
        send(namesReply(request));
        continue;
      }
      if (request.t === "probe") {
        select(request.notebook);
        probed = true;
        const reply = runProbe(request, (later) => guarded(() => {
          send(later);
          serve();
        }));
        if (reply === undefined) return;
        send(reply);
        continue;
      }
      throw new Error(`unknown request ${jsonStringify((request as { t?: unknown }).t)}`);
    }
  };

  send(`{"t":"ready","nonce":${jsonStringify(setup.nonce)}${setup.profile ? `,"cpu":${jsonStringify(cpuMs())}` : ""}}`);
  serve();
}

start();
