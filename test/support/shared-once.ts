/**
 * A result computed once per test run, whichever mocha process asks first: the serial run's one
 * process, or one of the workers of `mocha --parallel`. The first asker claims the result with a
 * file created exclusively; the others wait for the result file to appear (watching the folder,
 * not polling a clock) and read it. Results cross processes with v8.serialize, so what a waiter
 * gets is a structured clone of what the owner got (NaN, undefined and typed arrays kept).
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as v8 from "v8";

/** Set by .mocharc.js in mocha's main process and inherited by its workers. */
export const RUN_DIR_ENV = "NNKIT_TEST_RUN_DIR";

let ownRunDir: string | undefined;

/**
 * This run's scratch folder. Under mocha it is the folder .mocharc.js made for the whole run
 * (removed when the main process exits); a process started otherwise makes and removes its own.
 */
export function runDir(): string {
  const shared = process.env[RUN_DIR_ENV];
  if (shared && fs.existsSync(shared)) return shared;
  if (!ownRunDir) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-test-run-"));
    ownRunDir = dir;
    process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return ownRunDir;
}

/** The file that lists, one key a line, every result computed in this run (by whichever process). */
export function computedListFile(dir: string = runDir()): string {
  return path.join(dir, "shared", "computed.txt");
}

/** The keys computed in the run whose folder is `dir`, in order, one entry per computation. */
export function computedKeys(dir: string = runDir()): string[] {
  try {
    return fs.readFileSync(computedListFile(dir), "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as string);
  } catch {
    return [];
  }
}

type Stored<T> = { ok: true; value: T } | { ok: false; message: string; stack?: string };

const inProcess = new Map<string, Promise<unknown>>();

/** True while the process that claimed a result still runs (a dead owner will never write it). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function read<T>(file: string): T {
  const stored = v8.deserialize(fs.readFileSync(file)) as Stored<T>;
  if (stored.ok) return stored.value;
  const err = new Error(`${stored.message} (computed by another mocha process of this run)`);
  if (stored.stack) err.stack = stored.stack;
  throw err;
}

/** Resolves once `file` exists (or its owner has died), watching its folder. */
function appeared(file: string, claim: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const dir = path.dirname(file);
    const name = path.basename(file);
    const watcher = fs.watch(dir);
    // A worker that dies while computing writes nothing: look at its pid now and then.
    const ownerPid = Number(fs.readFileSync(claim, "utf8") || "0");
    const liveness = setInterval(() => {
      if (ownerPid && !alive(ownerPid) && !fs.existsSync(file)) {
        done();
        reject(new Error(`the mocha process ${ownerPid} that was computing ${name} ended without a result`));
      }
    }, 1000);
    const done = (): void => {
      clearInterval(liveness);
      watcher.close();
    };
    watcher.on("change", (_event, changed) => {
      if (String(changed) === name && fs.existsSync(file)) {
        done();
        resolve();
      }
    });
    watcher.on("error", (e) => {
      done();
      reject(e);
    });
    // It may have appeared before the watch began.
    if (fs.existsSync(file)) {
      done();
      resolve();
    }
  });
}

/**
 * `compute()`'s result, computed once per test run under `key` (any string; hashed into a file
 * name) and shared by every mocha process of the run. A failure is shared too: every asker gets it.
 */
export function sharedOnce<T>(key: string, compute: () => Promise<T>): Promise<T> {
  let p = inProcess.get(key) as Promise<T> | undefined;
  if (p) return p;
  p = (async () => {
    const dir = path.join(runDir(), "shared");
    fs.mkdirSync(dir, { recursive: true });
    const base = path.join(dir, createHash("sha256").update(key).digest("hex").slice(0, 32));
    const file = `${base}.v8`;
    const claim = `${base}.claim`;
    // The claim names its owner from the start: it is written aside, then linked into place
    // (link fails when the name exists, so exactly one process wins).
    const pidFile = `${claim}.${process.pid}.tmp`;
    fs.writeFileSync(pidFile, String(process.pid));
    let owner = false;
    try {
      fs.linkSync(pidFile, claim);
      owner = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    } finally {
      fs.rmSync(pidFile, { force: true });
    }
    if (!owner) {
      await appeared(file, claim);
      return read<T>(file);
    }
    // One short line per computation, appended (O_APPEND): what NNKIT_TEST_TIMES reports, to show each ran once.
    fs.appendFileSync(computedListFile(), `${JSON.stringify(key)}\n`);
    let stored: Stored<T>;
    let failure: unknown;
    try {
      stored = { ok: true, value: await compute() };
    } catch (e) {
      failure = e;
      const err = e instanceof Error ? e : new Error(String(e));
      stored = { ok: false, message: err.message, stack: err.stack };
    }
    let bytes: Buffer;
    try {
      bytes = v8.serialize(stored);
    } catch (e) {
      // Still tell the waiters something, rather than leave them waiting for a file that never comes.
      bytes = v8.serialize({ ok: false, message: `the result of ${key} cannot cross processes: ${(e as Error).message}` });
    }
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
    if (!stored.ok) throw failure;
    return stored.value;
  })();
  inProcess.set(key, p);
  return p;
}
