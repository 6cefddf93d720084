/**
 * The operating system's half of the sandbox (issue 23): every sandboxed run starts inside
 * bubblewrap (Debian's `bubblewrap`), with resource limits set by `prlimit` (util-linux) inside it.
 *
 * - New user, pid, network, ipc, uts and cgroup namespaces: student code sees no other process
 *   (so it cannot signal the grader, its workers or a neighbouring run), has no network but its
 *   own loopback, and cannot create further user namespaces.
 * - A mount namespace whose root is an empty tmpfs holding, read-only and at their real paths,
 *   exactly what the run needs: node and its shared libraries, prlimit and its libraries, the
 *   kit's node_modules, src/dist and src/package.json (what node_modules/nnkit -> ../src must
 *   reach), the runner snapshot and the data folders. A new /proc for the new pid namespace, a
 *   minimal /dev and a private, size-capped /tmp. Nothing else of the kit exists in there, so a
 *   symlink followed by the kernel (node_modules/nnkit/..) lands on nothing.
 * - `--die-with-parent` (the run dies with the process that started it) and `--new-session` (it
 *   cannot push keystrokes into the grader's terminal).
 * - rlimits, set by prlimit inside the sandbox: CPU seconds, address space, processes (threads
 *   count too) and file size. When the grader runs as root, bubblewrap is started as `nobody`:
 *   the kernel never applies RLIMIT_NPROC to root, and files only root may read stay closed.
 *
 * Node's permission model (grader/run/sandbox.ts) stays inside as the second layer.
 *
 * NNKIT_ISOLATION says what happens where bubblewrap cannot run: `required` (the default: a
 * sandboxed run refuses to start), `fallback` (run with the permission model only; the student's
 * `npm run check`), `off` (`grade --no-isolation`). NNKIT_BWRAP names another bwrap binary.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export type IsolationMode = "required" | "fallback" | "off";

/** The environment variable that holds the isolation mode (inherited by grading workers). */
export const ISOLATION_ENV = "NNKIT_ISOLATION";
/** The environment variable that names the bwrap binary (default: bwrap on PATH). */
export const BWRAP_ENV = "NNKIT_BWRAP";
/** The user a root grader drops to for bubblewrap (Debian's `nobody`). */
const NOBODY = 65534;

/** The isolation mode of this process (NNKIT_ISOLATION; default `required`). */
export function isolationMode(): IsolationMode {
  const v = process.env[ISOLATION_ENV];
  if (v === undefined || v === "" || v === "required") return "required";
  if (v === "fallback" || v === "off") return v;
  throw new Error(`${ISOLATION_ENV} must be required, fallback or off (it is "${v}")`);
}

/** The resource limits applied inside the sandbox. */
export interface IsolationLimits {
  cpuSeconds: number;
  addressSpaceMb: number;
  /** Processes and threads of the sandbox's user (Node itself needs about a dozen threads). */
  processes: number;
  fileSizeMb: number;
  /** Size of the private /tmp. */
  tmpMb: number;
}

/** Whether bubblewrap can isolate runs here, and how. */
export interface IsolationStatus {
  available: boolean;
  bwrap?: string;
  /** The user and group bwrap is started as (undefined: the grader's own). */
  runAs?: { uid: number; gid: number };
  /** Why it is not available. */
  reason?: string;
  /** Caveats of an available isolation (e.g. a limit the kernel does not apply). */
  notes: string[];
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "/usr/bin:/bin").split(":").concat(["/usr/bin", "/bin", "/usr/sbin", "/sbin"])) {
    if (!dir) continue;
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The bwrap binary to use: NNKIT_BWRAP, else bwrap on PATH; undefined when there is none. */
export function bwrapBinary(): { file?: string; wanted: string } {
  const named = process.env[BWRAP_ENV];
  if (named) return { file: fs.existsSync(named) ? named : undefined, wanted: named };
  return { file: findOnPath("bwrap"), wanted: "bwrap" };
}

/** The shared libraries a binary loads (with the dynamic loader), as ldd lists them. */
function sharedLibraries(binary: string): string[] {
  const r = spawnSync("ldd", [binary], { encoding: "utf8", timeout: 10_000 });
  if (r.status !== 0) {
    // ldd says "not a dynamic executable" for a static binary: nothing to add
    if (/not a dynamic executable|statically linked/.test(`${r.stdout}${r.stderr}`)) return [];
    throw new Error(`ldd ${binary} failed: ${(r.stderr || r.error?.message || "").trim()}`);
  }
  const libs: string[] = [];
  for (const line of r.stdout.split("\n")) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) libs.push(m[1]);
  }
  return libs;
}

let systemFilesCache: { node: string; prlimit: string; files: string[] } | undefined;

/** node, prlimit and their shared libraries: the only files of the system the sandbox sees. */
function systemFiles(): { node: string; prlimit: string; files: string[] } {
  if (systemFilesCache) return systemFilesCache;
  const prlimit = findOnPath("prlimit");
  if (!prlimit) throw new Error("prlimit (util-linux) is not installed");
  const node = process.execPath;
  const files = [...new Set([node, prlimit, ...sharedLibraries(node), ...sharedLibraries(prlimit)])];
  systemFilesCache = { node, prlimit, files };
  return systemFilesCache;
}

/** What one sandboxed run may see and how it is limited. */
export interface IsolatedRun {
  /** The kit root, as a real path: the run's working directory. */
  root: string;
  /** Folders and files to show read-only at their real paths (missing ones are left out). */
  readPaths: string[];
  /** The program: an absolute path to node (process.execPath) and its arguments. */
  command: string[];
  limits: IsolationLimits;
}

/** The real path of `p`, or undefined when it does not exist. */
function real(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
}

/** bwrap's arguments for a run (without the binary). Exported for the tests of the sandbox's view. */
export function bwrapArgs(run: IsolatedRun): string[] {
  const sys = systemFiles();
  const mb = (n: number): number => Math.max(1, Math.floor(n)) * 1024 * 1024;
  const args = [
    "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
    // no nested user namespace: the sandbox cannot regain capabilities in a namespace of its own
    "--disable-userns",
    "--die-with-parent", "--new-session", "--cap-drop", "ALL",
    // the machine's name is no business of a notebook
    "--hostname", "sandbox",
    // mounts first, binds after: a kit or a data folder under /tmp must stay visible
    "--proc", "/proc", "--dev", "/dev", "--size", String(mb(run.limits.tmpMb)), "--tmpfs", "/tmp",
  ];
  const seen = new Set<string>();
  for (const file of sys.files) {
    if (seen.has(file)) continue;
    seen.add(file);
    // at the path the loader asks for (e.g. /lib/x86_64-linux-gnu/libc.so.6), the file behind it
    args.push("--ro-bind", file, file);
  }
  const links: string[] = [];
  for (const p of run.readPaths) {
    const r = real(p);
    if (!r) continue;
    // a kit whose node_modules is a link to another install (the Gradescope test's layout):
    // the same link inside, to the real folder bound beside it
    if (r !== path.resolve(p)) links.push("--symlink", r, path.resolve(p));
    if (seen.has(r)) continue;
    seen.add(r);
    args.push("--ro-bind", r, r);
  }
  args.push(...links);
  args.push("--chdir", run.root, "--");
  args.push(sys.prlimit,
    `--cpu=${Math.ceil(run.limits.cpuSeconds)}:${Math.ceil(run.limits.cpuSeconds) + 5}`,
    `--as=${mb(run.limits.addressSpaceMb)}`,
    `--nproc=${Math.floor(run.limits.processes)}`,
    `--fsize=${mb(run.limits.fileSizeMb)}`,
    "--core=0",
    "--");
  args.push(...run.command);
  return args;
}

/** The uid/gid bwrap is started as: nobody when the grader is root (see the module comment). */
function candidateUsers(): ({ uid: number; gid: number } | undefined)[] {
  return process.getuid?.() === 0 ? [{ uid: NOBODY, gid: NOBODY }, undefined] : [undefined];
}

const statusCache = new Map<string, IsolationStatus>();

/**
 * Whether bubblewrap can run a sandboxed node for the kit at `root` here: tried once per process
 * (a real start of node inside, with the kit's view), so a missing binary, user namespaces that
 * the kernel forbids or a kit that the sandbox user cannot read all show up as the reason.
 */
export function isolationStatus(root: string): IsolationStatus {
  const { file, wanted } = bwrapBinary();
  const realRoot = real(root) ?? root;
  const key = `${wanted}|${realRoot}`;
  const known = statusCache.get(key);
  if (known) return known;
  let status: IsolationStatus;
  if (!file) {
    status = { available: false, reason: `bubblewrap is not installed (no ${wanted === "bwrap" ? "bwrap on PATH" : wanted})`, notes: [] };
  } else {
    status = { available: false, bwrap: file, reason: "", notes: [] };
    try {
      const probe = "process.stdout.write(require('fs').existsSync('node_modules') ? 'nnkit-sandbox-ok' : 'no node_modules')";
      const failures: string[] = [];
      for (const user of candidateUsers()) {
        const args = bwrapArgs({
          root: realRoot,
          readPaths: [path.join(realRoot, "node_modules")],
          command: [process.execPath, "-e", probe],
          limits: { cpuSeconds: 30, addressSpaceMb: 16384, processes: 64, fileSizeMb: 1, tmpMb: 1 },
        });
        const r = spawnSync(file, args, { encoding: "utf8", timeout: 30_000, env: { PATH: "/usr/bin:/bin" }, ...(user ?? {}) });
        if (r.stdout === "nnkit-sandbox-ok") {
          status = { available: true, bwrap: file, runAs: user, notes: [] };
          if (failures.length) status.notes.push(`bubblewrap runs as root (as nobody: ${failures.join("; ")}), so the limit on processes does not apply`);
          break;
        }
        const why = (r.error?.message ?? `${r.stderr}${r.stdout}`.trim().split("\n").slice(-2).join(" ")) || `exit ${r.status}`;
        failures.push(why);
      }
      if (!status.available) status.reason = `bubblewrap (${file}) cannot start a sandbox here: ${failures.join("; ")}`;
    } catch (e) {
      status = { available: false, bwrap: file, reason: (e as Error).message, notes: [] };
    }
  }
  statusCache.set(key, status);
  return status;
}

/** True when anyone (e.g. nobody) may reach and read `p`: o+x on every folder above it, o+r (and o+x for a folder) on it. */
function readableByOthers(p: string): boolean {
  const r = real(p);
  if (!r) return true; // missing paths are left out of the view anyway
  try {
    const st = fs.statSync(r);
    if ((st.mode & 0o004) === 0 || (st.isDirectory() && (st.mode & 0o001) === 0)) return false;
    for (let dir = path.dirname(r); ; dir = path.dirname(dir)) {
      if ((fs.statSync(dir).mode & 0o001) === 0) return false;
      if (dir === path.dirname(dir)) return true;
    }
  } catch {
    return false;
  }
}

/**
 * The user to start bubblewrap as for a run that shows `paths`: the status's (nobody, for a root
 * grader) when nobody can read them all, else the grader's own (then the kernel does not limit
 * the number of processes; Node's permission model still forbids starting any). A kit or a cache
 * in a private folder (mode 0700, as mkdtemp makes them) is the usual reason.
 */
export function sandboxUser(status: IsolationStatus, paths: string[]): { uid: number; gid: number } | undefined {
  if (!status.runAs) return undefined;
  return paths.every(readableByOthers) ? status.runAs : undefined;
}

/** What `grade` says when it refuses to run without isolation. */
export function refusalMessage(status: IsolationStatus): string {
  return [
    `cannot isolate student code: ${status.reason}.`,
    "Every graded notebook runs inside bubblewrap (new user, pid and network namespaces). Install it with ./setup.sh",
    "(Debian/Ubuntu: apt-get install bubblewrap) and allow user namespaces (sysctl kernel.unprivileged_userns_clone=1;",
    "on Ubuntu 24.04 also kernel.apparmor_restrict_unprivileged_userns=0; in Docker, --security-opt seccomp=unconfined).",
    "Or run grade with --no-isolation: Node's permission model alone then guards the batch, and every gradebook row says so",
    `(other commands: ${ISOLATION_ENV}=off).`,
  ].join("\n");
}

let fallbackSaid = false;

/**
 * The note of a run in `fallback` mode without bubblewrap, returned once per process (then
 * undefined): the student's `npm run check` says it once, not per notebook.
 */
export function fallbackNoteOnce(root: string): string | undefined {
  if (fallbackSaid) return undefined;
  const status = isolationStatus(root);
  if (status.available) return undefined;
  fallbackSaid = true;
  return `note: ${status.reason}; your notebooks run with Node's permission model only (the course's grader isolates them fully)`;
}
