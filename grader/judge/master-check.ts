/**
 * The master full-marks precheck: before a batch, each master notebook is graded as if it were a
 * submission, under the very runner, limits and kit folder that will grade the students. A master
 * that does not score full marks means the grader itself is wrong here (a copied kit reusing a
 * stale cache, a spec whose probe the master fails, a broken environment), and every student
 * grade would be silently wrong: grading stops before anything is recorded.
 *
 * A pass is cached under <cacheDir>/master-check/ by the reference's key (master, spec, runner,
 * environment, kit path) plus the grading code and the limits, so a second batch pays nothing.
 * A failure is never cached.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { referenceKey } from "./expected";
import { gradeNotebook, gradeSubmission, limitsFor, type ChildPer, type GradeOptions, type NotebookResult } from "./grade";
import type { NotebookSpec } from "../core/spec";

export interface MasterCheckOptions {
  /** The kit root (default: the folder above grader/). */
  root?: string;
  /** Where caches live (default: <root>/.cache). */
  cacheDir?: string;
  /** The master notebooks (default: <root>/notebooks). */
  mastersDir?: string;
  /** The limits the batch grades with (the masters must pass under them too). */
  cellTimeoutMs?: number;
  notebookTimeoutMs?: number;
  memoryMb?: number;
  /** How many masters are graded at once (default 2; with one child per submission, one child for all). */
  concurrency?: number;
  /** Grade the masters as the batch grades its submissions: one child for them all, or one each (default). */
  childPer?: ChildPer;
}

export interface MasterCheckSummary {
  /** Masters graded now. */
  graded: string[];
  /** Masters whose pass was found in the cache. */
  cached: string[];
}

const STOPPED = "Grading stopped before any submission was recorded: fix the master or its spec (or, for a copied kit, its installation) first.";

/** The grading code a master's score depends on besides the reference (judging, comparing, plain data). */
const GRADING_SOURCES = ["grade.ts", "judge.ts", "compare.ts", "../core/plain.ts", "../run/cells.ts", "../run/run.ts", "master-check.ts"];

/** Why a master's result is not full marks, naming each failing question. */
export function describeShortfall(masterPath: string, r: NotebookResult): string {
  const lines = [`master ${masterPath} does not score full marks under this runner: ${r.score} of ${r.maxScore} (status ${r.status}${r.reason ? `: ${r.reason}` : ""})`];
  for (const q of r.questions) {
    if (q.score >= q.points) continue;
    const failed = q.probes.filter((p) => !p.passed).map((p) => `probe ${p.index + 1}${p.hidden ? " (hidden)" : ""}${p.message ? `: ${p.message}` : ""}`);
    lines.push(`  question ${q.id} scored ${q.score} of ${q.points}${q.message ? `: ${q.message}` : ""}${failed.length ? `; ${failed.join("; ")}` : ""}`);
  }
  for (const c of r.cells) if (!c.ok) lines.push(`  cell ${c.id} failed: ${(c.error ?? "").split("\n")[0]}`);
  return lines.join("\n");
}

/** A master to check: where it is, and where its pass is cached. */
interface MasterJob {
  spec: NotebookSpec;
  masterPath: string;
  opts: GradeOptions;
  file: string;
}

async function masterJob(spec: NotebookSpec, o: MasterCheckOptions, root: string, cacheDir: string): Promise<MasterJob> {
  const masterPath = path.join(o.mastersDir ?? path.join(root, "notebooks"), spec.notebook);
  if (!fs.existsSync(masterPath)) throw new Error(`master ${masterPath} not found: grading ${spec.notebook} needs its master`);
  const opts: GradeOptions = {
    root, cacheDir, masterPath, cellTimeoutMs: o.cellTimeoutMs, notebookTimeoutMs: o.notebookTimeoutMs, memoryMb: o.memoryMb,
  };
  // the reference is computed with the master's own limits (as gradeNotebook does)
  const refLimits = limitsFor(spec, { ...opts, cellTimeoutMs: undefined, notebookTimeoutMs: undefined });
  const h = createHash("sha256").update(await referenceKey(spec, masterPath, root, refLimits, cacheDir)).update(JSON.stringify(limitsFor(spec, opts)));
  for (const f of GRADING_SOURCES) h.update(fs.readFileSync(path.join(__dirname, f)));
  h.update(`child per ${o.childPer ?? "notebook"}`);
  const file = path.join(cacheDir, "master-check", `${path.basename(spec.notebook, ".ipynb")}-${h.digest("hex").slice(0, 32)}.json`);
  return { spec, masterPath, opts, file };
}

/** Throws unless the master scored full marks; caches the pass. */
function recordPass(job: MasterJob, r: NotebookResult): void {
  if (r.status !== "graded" || r.score < r.maxScore) throw new Error(describeShortfall(job.masterPath, r));
  fs.mkdirSync(path.dirname(job.file), { recursive: true });
  fs.writeFileSync(`${job.file}.${process.pid}.tmp`, JSON.stringify({ notebook: job.spec.notebook, score: r.score, maxScore: r.maxScore, checkedAt: new Date().toISOString() }));
  fs.renameSync(`${job.file}.${process.pid}.tmp`, job.file);
}

async function checkOne(spec: NotebookSpec, o: MasterCheckOptions, root: string, cacheDir: string): Promise<"graded" | "cached"> {
  const job = await masterJob(spec, o, root, cacheDir);
  if (fs.existsSync(job.file)) return "cached";
  recordPass(job, await gradeNotebook(spec, job.masterPath, job.opts));
  return "graded";
}

/**
 * The masters not passed before, graded as one submission in one child (as the batch grades
 * with `childPer: "submission"`); throws naming every master short of full marks.
 */
async function checkAsSubmission(specs: NotebookSpec[], o: MasterCheckOptions, root: string, cacheDir: string, summary: MasterCheckSummary): Promise<void> {
  const jobs: MasterJob[] = [];
  for (const spec of specs) {
    const job = await masterJob(spec, o, root, cacheDir);
    if (fs.existsSync(job.file)) summary.cached.push(spec.notebook);
    else jobs.push(job);
  }
  if (jobs.length === 0) return;
  const results = await gradeSubmission(jobs.map((j) => ({ spec: j.spec, path: j.masterPath, masterPath: j.masterPath })), { ...jobs[0].opts, masterPath: undefined, childPer: "submission" });
  const errors: string[] = [];
  jobs.forEach((job, k) => {
    try {
      recordPass(job, results[k]);
      summary.graded.push(job.spec.notebook);
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
    }
  });
  if (errors.length > 0) throw new Error(errors.join("\n"));
}

/**
 * Makes sure every master scores full marks when graded like a submission; throws naming the
 * master and its failing questions otherwise. Passes are cached per key (see above).
 */
export async function checkMastersFullMarks(specs: NotebookSpec[], o: MasterCheckOptions = {}): Promise<MasterCheckSummary> {
  const root = o.root ?? path.resolve(__dirname, "../..");
  const cacheDir = o.cacheDir ?? path.join(root, ".cache");
  const summary: MasterCheckSummary = { graded: [], cached: [] };
  if (o.childPer === "submission") {
    try {
      await checkAsSubmission(specs, o, root, cacheDir, summary);
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n${STOPPED}`);
    }
    summary.graded.sort();
    summary.cached.sort();
    return summary;
  }
  const queue = [...specs];
  const errors: Error[] = [];
  const worker = async (): Promise<void> => {
    for (let spec = queue.shift(); spec; spec = queue.shift()) {
      try {
        summary[await checkOne(spec, o, root, cacheDir)].push(spec.notebook);
      } catch (e) {
        errors.push(e instanceof Error ? e : new Error(String(e)));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency ?? 2, specs.length)) }, worker));
  if (errors.length > 0) {
    throw new Error(`${errors.map((e) => e.message).join("\n")}\n${STOPPED}`);
  }
  summary.graded.sort();
  summary.cached.sort();
  return summary;
}
