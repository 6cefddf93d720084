/**
 * The master notebooks, each run once per test run and shared by every test that needs it.
 *
 * A master runs in two engines, and each at most once per test run, lazily, by whichever test
 * asks first (with `mocha --parallel`, whichever worker asks first; the others read its result,
 * test/support/shared-once.ts):
 *   - executedMaster(): through the real tslab kernel (Jupyter's Run All), in a scratch working
 *     folder, so nothing it writes (05's bonus model) lands in the kit;
 *   - gradedMaster(): through the grader, as a submission against its own reference; the bytes that
 *     grading wrote to its children's stdin are kept with it (gradedMasterStdin()).
 * The grader's reference run of a master is cached by the grader itself (.cache/expected, keyed by
 * the master, the spec and the runner), and the public checks the kernel runs read are built from
 * it once per run, into a scratch folder (the kit's checks/ is left alone).
 */
import { AsyncLocalStorage } from "async_hooks";
import type { ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { buildChecks } from "../../grader/judge/build-checks";
import { gradeNotebook, loadSpecs, type NotebookResult } from "../../grader/judge/grade";
import type { NotebookSpec } from "../../grader/core/spec";
import { executeNotebook, type ExecutedNotebook } from "./kernel";
import { runDir, sharedOnce } from "./shared-once";

export const ROOT = path.resolve(__dirname, "../..");
export const NOTEBOOKS = path.join(ROOT, "notebooks");

/**
 * Masters whose run in the kernel trains for many minutes on the default setting (05: about 11 of
 * them on 2 cores). Their kernel tests live in test/e2e, which CI runs; `npm test` grades them only.
 */
export const LONG_KERNEL_RUNS: ReadonlySet<string> = new Set(["05_fashion_mnist.ipynb"]);

/** How long one cell of a master may take in the kernel (05's training cells on a loaded machine). */
const CELL_TIMEOUT_SECONDS = 1500;

/** This run's scratch folder, removed when the run ends. */
function scratchRoot(): string {
  return runDir();
}

/**
 * The public checks of every master (what the notebooks' check() reads), built once per run into a
 * scratch folder. A master that fails is logged and left out: test/notebooks/masters.test.ts reports it.
 */
export function publicChecks(): Promise<string> {
  return sharedOnce(`public checks\0${ROOT}`, async () => {
    const out = path.join(scratchRoot(), "checks");
    await buildChecks({
      outDir: out,
      keepGoing: true,
      log: (line) => {
        if (line.startsWith("no checks")) console.warn(`  [checks] ${line}`);
      },
    });
    return out;
  });
}

/**
 * A new working folder for a notebook run, laid out like the kit: node_modules (so `nnkit` resolves),
 * this run's checks/ and, when the kit has one, data/ (Fashion-MNIST downloaded by setup.sh).
 */
export async function workFolder(prefix: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(scratchRoot(), `${prefix}-`));
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  fs.symlinkSync(await publicChecks(), path.join(dir, "checks"));
  if (fs.existsSync(path.join(ROOT, "data"))) fs.symlinkSync(path.join(ROOT, "data"), path.join(dir, "data"));
  return dir;
}

/** The path of a master in notebooks/. */
export function masterPath(notebook: string): string {
  return path.join(NOTEBOOKS, notebook);
}

/** The specs whose master is in notebooks/. */
export function specsWithMaster(): NotebookSpec[] {
  return loadSpecs().filter((s) => fs.existsSync(masterPath(s.notebook)));
}

interface KernelRun {
  notebook: ExecutedNotebook;
  /** The working folder it ran in (what the notebook saved is there). */
  dir: string;
}

/** The master run top to bottom in the real tslab kernel, once per test run, and the folder it ran in. */
export function executedMasterRun(notebook: string): Promise<KernelRun> {
  return sharedOnce(`kernel run\0${masterPath(notebook)}`, async () => {
    const dir = await workFolder(`kernel-${path.basename(notebook, ".ipynb")}`);
    const executed = await executeNotebook(masterPath(notebook), { cwd: dir, cellTimeoutSeconds: CELL_TIMEOUT_SECONDS });
    return { notebook: executed, dir };
  });
}

/** The master executed top to bottom in the real tslab kernel (one shared run per test run). */
export async function executedMaster(notebook: string): Promise<ExecutedNotebook> {
  return (await executedMasterRun(notebook)).notebook;
}

// The grader spawns through this module's `spawn`, looked up at each call: wrapping it once lets a
// grading record what it writes to the stdin of the children it starts. Only the children started
// inside a recording (an async context of `recording`) are recorded; any other spawn is left alone.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const childProcess = require("child_process") as { spawn: (...a: unknown[]) => ChildProcess };
const recording = new AsyncLocalStorage<Buffer[]>();
let spawnWrapped = false;

function recordChildStdin(): void {
  if (spawnWrapped) return;
  spawnWrapped = true;
  const real = childProcess.spawn;
  childProcess.spawn = (...args: unknown[]): ChildProcess => {
    const child = real(...args);
    const chunks = recording.getStore();
    const stdin = child.stdin;
    if (chunks && stdin) {
      const keep = (chunk: unknown): void => {
        if (typeof chunk === "string") chunks.push(Buffer.from(chunk, "utf8"));
        else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
      };
      const write = stdin.write.bind(stdin) as (...a: unknown[]) => boolean;
      const end = stdin.end.bind(stdin) as (...a: unknown[]) => unknown;
      stdin.write = ((chunk: unknown, ...rest: unknown[]) => {
        keep(chunk);
        return write(chunk, ...rest);
      }) as typeof stdin.write;
      stdin.end = ((chunk?: unknown, ...rest: unknown[]) => {
        if (chunk !== undefined && typeof chunk !== "function") keep(chunk);
        return end(chunk, ...rest);
      }) as typeof stdin.end;
    }
    return child;
  };
}

interface GradedRun {
  result: NotebookResult;
  /** Every byte written to the stdin of the children the grading started, in order. */
  stdin: Buffer;
}

function gradedMasterRun(spec: NotebookSpec): Promise<GradedRun> {
  return sharedOnce(`graded master\0${masterPath(spec.notebook)}\0${JSON.stringify(spec)}`, async () => {
    recordChildStdin();
    const chunks: Buffer[] = [];
    // The profile never changes a result; test/grader/warm-typecheck.test.ts reads its type-checking time.
    const result = await recording.run(chunks, () => gradeNotebook(spec, masterPath(spec.notebook), { warmTypecheck: false, profile: true }));
    return { result, stdin: Buffer.concat(chunks) };
  });
}

/**
 * The master graded as a submission against its spec with the grader's defaults (the child
 * type-checks the cells, and reports its CPU time: the `profile` option), once per test run and
 * spec (keyed by the spec's whole content, so a changed spec is graded again).
 */
export async function gradedMaster(spec: NotebookSpec): Promise<NotebookResult> {
  return (await gradedMasterRun(spec)).result;
}

/** The bytes that gradedMaster(spec)'s grading wrote to its children's stdin (test/grader/protocol-boundary.test.ts). */
export async function gradedMasterStdin(spec: NotebookSpec): Promise<Buffer> {
  // A copy as a Buffer (what crossed from another mocha process arrives as a Uint8Array).
  return Buffer.from((await gradedMasterRun(spec)).stdin);
}
