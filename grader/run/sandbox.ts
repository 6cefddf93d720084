/**
 * Spawns an untrusted Node program in a sandbox, in two layers:
 * - the operating system's (grader/run/isolation.ts): bubblewrap namespaces with a read-only view of
 *   exactly what the run needs, and rlimits on CPU time, address space, processes and file size;
 * - Node's permission model inside (reads limited to the kit's libraries and data, no writes, no
 *   child processes, no workers, no native addons), a heap cap, a scrubbed environment.
 * Besides: its own process group so that a kill takes the whole tree, a resident-memory
 * watchdog, and size caps on everything it sends back.
 *
 * The child reports to the parent with JSON lines on file descriptor 3; stdout and stderr
 * are only logs. The bonus model's evaluation (grader/judge/bonus.ts) runs through here too.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { heapFlag } from "./child-bundle";
import { bwrapArgs, isolationMode, isolationStatus, fallbackNoteOnce, refusalMessage, sandboxUser, type IsolationLimits, type IsolationStatus } from "./isolation";

export interface SandboxOptions {
  /** The kit root: the child's working directory; its node_modules and src are readable. */
  root: string;
  /** What to run: a V8 startup snapshot, or JavaScript source (run with `node -e`). */
  program: { snapshotBlob: string } | { code: string };
  /** Extra readable paths (files or folders) besides the defaults of `defaultReadPaths`. */
  allowRead?: string[];
  /** Heap cap of the child in MB (--max-old-space-size). */
  memoryMb: number;
  /** Extra environment variables (the rest of the parent's environment is not passed on). */
  env?: Record<string, string>;
  /** Written to the child's stdin, which is then closed (unless `keepStdinOpen`). */
  stdin?: string;
  /** Leave stdin open after `stdin` was written, for requests sent later with `Sandbox.write`. */
  keepStdinOpen?: boolean;
  /** Largest message accepted on fd 3, in bytes (default 64 MB); a larger one is dropped and reported. */
  messageCapBytes?: number;
  /** Bytes of stdout and of stderr kept for the log (default 256 kB each); the rest is counted. */
  logCapBytes?: number;
  /** Kill the child after this many ms (it can also be killed earlier with `kill`). */
  timeoutMs?: number;
  /**
   * Kill the child when its resident memory exceeds this many MB (default 2 x memoryMb + 512).
   * The heap cap does not cover ArrayBuffers and WebAssembly memory; this does.
   */
  rssLimitMb?: number;
  /** Called for every well-formed message, in order. */
  onMessage?: (message: unknown) => void;
  /**
   * CPU seconds the run may use (RLIMIT_CPU, default 2 x timeoutMs + 30 s, or 30 minutes without
   * one): a backstop for when the parent's clock cannot act, e.g. while the grader is stopped.
   */
  cpuSeconds?: number;
}

export interface SandboxExit {
  code: number | null;
  signal: string | null;
  /** Why the parent killed it (timeout, ...), if it did. */
  killedFor?: string;
  /** The V8 heap limit or the resident memory limit was reached. */
  outOfMemory: boolean;
  /** Messages dropped because they were malformed or over the size cap. */
  badMessages: number;
  stdout: string;
  stderr: string;
  /** How the run was isolated: inside bubblewrap, or with Node's permission model only. */
  isolation: "bubblewrap" | "none";
}

export interface Sandbox {
  /** The process the parent started (bwrap when isolated). */
  pid: number | undefined;
  isolation: "bubblewrap" | "none";
  /** Kills the child and its whole process group. */
  kill(reason: string): void;
  /** Writes to the child's stdin (only with `keepStdinOpen`; ignored once the child has exited). */
  write(text: string): void;
  /** CPU ms the child's process tree has used so far (/proc), or undefined where it cannot be read. */
  cpuMs(): number | undefined;
  /** Sends SIGINT to the program itself (the innermost process, below bwrap): it stops a script run with breakOnSigint. */
  interrupt(): void;
  /** Resolves when the child has exited (never rejects). */
  done: Promise<SandboxExit>;
}

/**
 * The paths a notebook may read while graded: libraries and data, not the grader, masters or caches.
 * Of src/ only what `require("nnkit")` loads (dist/ and package.json): node_modules/nnkit is a
 * symlink to ../src, and its sources, tests or anything beside them are no business of a notebook.
 */
export function defaultReadPaths(root: string): string[] {
  const paths = [
    path.join(root, "node_modules"),
    path.join(root, "src", "dist"),
    path.join(root, "src", "package.json"),
    path.join(root, "data"),
    "/usr/share/datasets/fashion-mnist",
  ];
  if (process.env.FASHION_MNIST_DIR) paths.push(path.resolve(process.env.FASHION_MNIST_DIR));
  return [...new Set([...paths, ...linkedPackages(path.join(root, "node_modules"))])];
}

const linkedCache = new Map<string, string[]>();

/**
 * Local packages that node_modules links to outside itself (npm's "file:" dependencies, e.g.
 * nnkit -> ../src; a student kit whose node_modules is a link to the course's install): only
 * their package.json and dist/, what `require` loads, never the folder the link points into.
 */
function linkedPackages(nodeModules: string): string[] {
  const known = linkedCache.get(nodeModules);
  if (known) return known;
  const out: string[] = [];
  let realModules: string;
  try {
    realModules = fs.realpathSync(nodeModules);
  } catch {
    return out;
  }
  const entries = (dir: string): string[] => {
    try {
      return fs.readdirSync(dir);
    } catch {
      return [];
    }
  };
  for (const name of entries(realModules)) {
    const candidates = name.startsWith("@") ? entries(path.join(realModules, name)).map((n) => path.join(realModules, name, n)) : [path.join(realModules, name)];
    for (const link of candidates) {
      let target: string;
      try {
        if (!fs.lstatSync(link).isSymbolicLink()) continue;
        target = fs.realpathSync(link);
      } catch {
        continue;
      }
      if (target === realModules || target.startsWith(realModules + path.sep)) continue;
      for (const part of ["package.json", "dist"]) if (fs.existsSync(path.join(target, part))) out.push(path.join(target, part));
    }
  }
  linkedCache.set(nodeModules, out);
  return out;
}

/** Node's permission flags for this Node version (the flag was renamed in Node 22/23). */
export function permissionFlags(readPaths: string[]): string[] {
  const major = Number(process.versions.node.split(".")[0]);
  const existing = readPaths.filter((p) => fs.existsSync(p)).map((p) => (fs.statSync(p).isDirectory() ? path.join(p, "*") : p));
  // Node 20 aborts (SIGABRT) when the same path is allowed twice.
  const unique = [...new Set(existing)];
  // One flag per path: Node 20 honours only the first entry of a comma-separated list.
  return [major >= 23 ? "--permission" : "--experimental-permission", ...unique.map((p) => `--allow-fs-read=${p}`)];
}

/** Keeps the first `cap` bytes of a stream and counts the rest, so a 100 MB output is never buffered. */
class CappedText {
  private chunks: Buffer[] = [];
  private kept = 0;
  private dropped = 0;
  constructor(private readonly cap: number) {}
  add(chunk: Buffer): void {
    const room = this.cap - this.kept;
    if (room > 0) {
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
      this.chunks.push(part);
      this.kept += part.length;
    }
    this.dropped += Math.max(0, chunk.length - Math.max(room, 0));
  }
  text(): string {
    const body = Buffer.concat(this.chunks).toString("utf8");
    return this.dropped > 0 ? `${body}\n[... ${this.dropped} more bytes of output not kept]` : body;
  }
}

/** Splits a stream into lines, dropping any line longer than `cap` bytes without buffering it. */
class LineSplitter {
  private parts: Buffer[] = [];
  private length = 0;
  private overflow = false;
  constructor(
    private readonly cap: number,
    private readonly onLine: (line: string) => void,
    private readonly onOversize: () => void,
  ) {}
  add(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      const end = nl < 0 ? chunk.length : nl;
      if (!this.overflow) {
        if (this.length + (end - start) > this.cap) {
          this.overflow = true;
          this.parts = [];
          this.length = 0;
        } else if (end > start) {
          this.parts.push(chunk.subarray(start, end));
          this.length += end - start;
        }
      }
      if (nl < 0) return;
      if (this.overflow) this.onOversize();
      else this.onLine(Buffer.concat(this.parts).toString("utf8"));
      this.parts = [];
      this.length = 0;
      this.overflow = false;
      start = nl + 1;
    }
  }
}

/** Resident memory of a process in MB from /proc (0 where /proc is not available). */
function residentMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** The children of a process (Linux's /proc/PID/task/PID/children; empty where it is missing). */
function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(" ").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A process and its descendants, parents first (at most 1000). */
function processTree(pid: number): number[] {
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0 && out.length < 1000) {
    const p = stack.pop() as number;
    out.push(p);
    stack.push(...childrenOf(p));
  }
  return out;
}

/** User plus system CPU ms of a process's live threads (/proc/PID/stat), or undefined when unreadable. */
function processCpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The fields after the command's closing parenthesis: utime and stime are fields 14 and 15.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * 10; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/**
 * Resident memory of a process and its descendants in MB: the parent starts bwrap, and the
 * node that uses the memory runs two levels below it.
 */
function treeResidentMb(pid: number): number {
  return processTree(pid).reduce((total, p) => total + residentMb(p), 0);
}

/** The real path of a file or folder (the path itself when it does not exist). */
function realPath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** The address space of a run besides twice its heap cap (RLIMIT_AS, see isolationLimits): 64 GB. */
export const ADDRESS_SPACE_MB = 65536;

/**
 * The rlimits of a run. The address space is only a backstop against runaway reservations, far
 * above what a run uses: V8 reserves 10 GB of address space for each WebAssembly memory (its guard
 * regions; tfjs's wasm backend has one), and a graded child's VmPeak is 21.2 GB once the backend
 * has started (11.2 GB before). Under the former 16 GB + 2 x heap the reservation failed: V8
 * collected garbage and retried for about 2.4 s in every child, and tfjs now and then fell back
 * to the cpu backend (other numbers). Reserved address space costs no memory: the resident-memory
 * watchdog (rssLimitMb) and the heap cap are the real memory limits.
 */
function isolationLimits(opts: SandboxOptions): IsolationLimits {
  const cpuSeconds = opts.cpuSeconds ?? (opts.timeoutMs !== undefined ? Math.ceil(opts.timeoutMs / 1000) * 2 + 30 : 1800);
  return { cpuSeconds, addressSpaceMb: ADDRESS_SPACE_MB + 2 * opts.memoryMb, processes: 128, fileSizeMb: 64, tmpMb: 64 };
}

/** How a run is isolated, per NNKIT_ISOLATION; throws when isolation is required and impossible. */
function chooseIsolation(root: string): { bwrap?: string; status?: IsolationStatus } {
  const mode = isolationMode();
  if (mode === "off") return {};
  const status = isolationStatus(root);
  if (status.available) return { bwrap: status.bwrap, status };
  if (mode === "required") throw new Error(refusalMessage(status));
  const note = fallbackNoteOnce(root);
  if (note) process.stderr.write(`${note}\n`);
  return {};
}

/** The signal names by number, to read bwrap's exit code 128 + N as "killed by signal N". */
const SIGNAL_NAMES = new Map(Object.entries(os.constants.signals).map(([name, n]) => [n, name]));

/** The environment of a sandboxed child: nothing of the parent's but what a notebook needs. */
function childEnv(extra: Record<string, string> | undefined): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", TZ: "UTC", HOME: "/nonexistent", NNKIT_GRADER: "1" };
  for (const key of ["NNKIT_BACKEND", "NNKIT_THREADS", "FASHION_MNIST_DIR"]) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  // Workers are not allowed in the sandbox, so the wasm backend must not start threads.
  env.NNKIT_THREADS = "1";
  return { ...env, ...extra };
}

/**
 * Starts `program` in the sandbox. Messages (JSON lines on fd 3) go to `onMessage`; the
 * returned `done` resolves with the exit status and the capped logs, whatever the child does.
 */
export function spawnSandboxed(opts: SandboxOptions): Sandbox {
  // Real paths throughout: inside bubblewrap only real paths exist.
  const root = realPath(opts.root);
  const readPaths = [...defaultReadPaths(root), ...(opts.allowRead ?? []).map(realPath)];
  const snapshotBlob = "snapshotBlob" in opts.program ? realPath(opts.program.snapshotBlob) : undefined;
  const nodeArgs = [
    ...(snapshotBlob ? ["--snapshot-blob", snapshotBlob] : []),
    ...permissionFlags(readPaths),
    // The permission model announces itself on stderr; it would end up in the first cell's log.
    "--no-warnings",
    heapFlag(opts.memoryMb),
    ...("code" in opts.program ? ["-e", opts.program.code] : []),
  ];
  const iso = chooseIsolation(root);
  const isolation = iso.bwrap ? "bubblewrap" : "none";
  const file = iso.bwrap ?? process.execPath;
  const view = [...readPaths, ...(snapshotBlob ? [snapshotBlob] : [])];
  const args = iso.bwrap ? bwrapArgs({ root, readPaths: view, command: [process.execPath, ...nodeArgs], limits: isolationLimits(opts) }) : nodeArgs;
  const runAs = iso.status ? sandboxUser(iso.status, [root, ...view]) : undefined;
  const child = spawn(file, args, {
    cwd: root,
    env: childEnv(opts.env),
    stdio: ["pipe", "pipe", "pipe", "pipe"],
    detached: true,
    ...(runAs ?? {}),
  });
  const stdout = new CappedText(opts.logCapBytes ?? 256 * 1024);
  const stderr = new CappedText(opts.logCapBytes ?? 256 * 1024);
  let badMessages = 0;
  let killedFor: string | undefined;
  let exited = false;
  const splitter = new LineSplitter(
    opts.messageCapBytes ?? 64 * 1024 * 1024,
    (line) => {
      if (line.trim() === "") return;
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        badMessages++;
        return;
      }
      opts.onMessage?.(message);
    },
    () => badMessages++,
  );
  const kill = (reason: string): void => {
    if (exited) return;
    killedFor = killedFor ?? reason;
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      child.kill("SIGKILL");
    }
  };
  const timer = opts.timeoutMs !== undefined ? setTimeout(() => kill(`it did not finish within ${opts.timeoutMs} ms`), opts.timeoutMs) : undefined;
  const rssLimitMb = opts.rssLimitMb ?? opts.memoryMb * 2 + 512;
  let rssExceeded = false;
  const rssWatch = setInterval(() => {
    const rss = child.pid !== undefined ? treeResidentMb(child.pid) : 0;
    if (rss > rssLimitMb) {
      rssExceeded = true;
      kill(`it used more than ${rssLimitMb} MB of memory`);
    }
  }, 200);
  child.stdout!.on("data", (c: Buffer) => stdout.add(c));
  child.stderr!.on("data", (c: Buffer) => stderr.add(c));
  const messages = child.stdio[3] as NodeJS.ReadableStream;
  messages.on("data", (c: Buffer) => splitter.add(c));
  child.stdin!.on("error", () => undefined);
  if (opts.keepStdinOpen) {
    if (opts.stdin) child.stdin!.write(opts.stdin);
  } else child.stdin!.end(opts.stdin ?? "");
  const write = (text: string): void => {
    if (!exited && opts.keepStdinOpen && !child.stdin!.destroyed) child.stdin!.write(text);
  };
  const done = new Promise<SandboxExit>((resolve) => {
    let result: { code: number | null; signal: string | null } | null = null;
    let streamsOpen = 3;
    const finish = (): void => {
      if (!result || streamsOpen > 0) return;
      if (timer) clearTimeout(timer);
      clearInterval(rssWatch);
      const errText = stderr.text();
      resolve({
        ...result,
        killedFor,
        outOfMemory: rssExceeded || /heap out of memory|Reached heap limit|Allocation failed/i.test(errText),
        badMessages,
        stdout: stdout.text(),
        stderr: errText,
        isolation,
      });
    };
    for (const stream of [child.stdout!, child.stderr!, messages]) stream.on("close", () => { streamsOpen--; finish(); });
    child.on("error", (err) => {
      stderr.add(Buffer.from(`cannot start the sandbox: ${err.message}\n`));
    });
    child.on("exit", (code, signal) => {
      exited = true;
      // Anything the child left in its process group goes with it.
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // the group is already gone
      }
      // bwrap reports a child killed by signal N as exit code 128 + N
      const viaBwrap = iso.bwrap && code !== null && code > 128 ? SIGNAL_NAMES.get(code - 128) : undefined;
      result = viaBwrap ? { code: null, signal: viaBwrap } : { code, signal };
      finish();
    });
  });
  const cpuMs = (): number | undefined => {
    if (child.pid === undefined || exited) return undefined;
    let total = 0;
    for (const p of processTree(child.pid)) {
      const ms = processCpuMs(p);
      if (ms === undefined) return undefined;
      total += ms;
    }
    return total;
  };
  const interrupt = (): void => {
    if (child.pid === undefined || exited) return;
    // The program is the last process of the chain (bwrap, bwrap's init, then node); without bwrap, the child itself.
    const tree = processTree(child.pid);
    try {
      process.kill(tree[tree.length - 1], "SIGINT");
    } catch {
      // it has just ended
    }
  };
  return { pid: child.pid, isolation, kill, write, cpuMs, interrupt, done };
}
