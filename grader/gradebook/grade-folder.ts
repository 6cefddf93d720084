/**
 * A batch into the gradebook (`grader grade DIR` parses its options in grader/cli/grade.ts): grades
 * every submission in a folder with a pool of worker processes. Unchanged submissions are skipped on
 * a rerun; `force` and `students` regrade and keep the history; a run killed at any point is
 * finished by the next.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { loadAssignment } from "../judge/assignment";
import { CourseConfig } from "../core/course";
import { DiscoveredSubmission, discoverSubmissions } from "../submit/discover";
import { Gradebook, RunInput } from "./gradebook";
import { intakeSubmission } from "../submit/intake";
import { type RosterEntry } from "./roster";
import { fileNameFor, studentIdFrom } from "../core/student-id";
import type { GradeJobInput } from "../judge/grade-worker";
import { childPerFromEnv, type ChildPer } from "../judge/grade";
import { lockGradebook } from "./gradebook-lock";
import { checkMastersFullMarks, type MasterCheckSummary } from "../judge/master-check";
import type { NotebookSpec } from "../core/spec";
import { checkTimesIds, readTimesFile, recordClaimedTime, settleSubmissionTime, type GivenTime } from "../submit/submission-times";
import { defaultWorkers, Outcome, PoolJob, runPool } from "../run/pool";
import { ProgressBar, ProgressCounts } from "./progress-bar";
import { captureSolutionCells } from "./similarity/store";
import { failedRun, runFromCore } from "./run-result";
import { ISOLATION_ENV, isolationStatus, refusalMessage } from "../run/isolation";
import { KIT_ROOT, kitVersion } from "../core/version";

export interface GradeFolderOptions {
  dir: string;
  gradebook: string;
  course: CourseConfig;
  workers?: number;
  force?: boolean;
  students?: string[];
  specsDir?: string;
  mastersDir?: string;
  /** Where submissions are unpacked (default: beside the gradebook). */
  workDir?: string;
  cellTimeoutMs?: number;
  notebookTimeoutMs?: number;
  memoryMb?: number;
  progressOut?: NodeJS.WritableStream & { isTTY?: boolean };
  /** A CSV of student id and submission time from the LMS (see grader/submit/submission-times.ts). */
  timesFile?: string;
  /** The class roster (`--roster`): stored in the gradebook, replacing an earlier one. */
  roster?: RosterEntry[];
  /**
   * Grade without bubblewrap (`--no-isolation`), with Node's permission model only; every row
   * written says so. Without it, grading refuses to start where bubblewrap cannot run.
   */
  noIsolation?: boolean;
  /**
   * One sandboxed child per submission (default, its notebooks one after another) or one per
   * notebook; default from NNKIT_CHILD_PER. The scores are the same (grader/judge/grade.ts,
   * gradeSubmission).
   */
  childPer?: ChildPer;
}

/** What the gradebook records of a batch's isolation, in every row it writes. */
export const ISOLATION_NONE = "none (--no-isolation)";

export interface GradeSummary {
  submissions: number;
  skipped: number;
  resumed: number;
  jobs: number;
  /** Notebooks recorded as corrupt or missing without running. */
  unusable: number;
  counts: ProgressCounts;
  ignored: string[];
  seconds: number;
  /** Students whose time is when grade first saw them and who are late by it (no times file entry). */
  lateByFirstSeen: string[];
  /** The masters checked at full marks before the batch (graded now, or passed before under the same key). */
  masters: MasterCheckSummary;
  /** With a roster: its students without a submission, and submissions from ids not on it. */
  roster?: { missing: string[]; notOnRoster: string[] };
}

/** Markdown cells tagged `written-answer` in a master (tags are read from the master only). */
export function writtenAnswerCells(masterPath: string): string[] {
  if (!fs.existsSync(masterPath)) return [];
  const nb = JSON.parse(fs.readFileSync(masterPath, "utf8")) as { cells: { id?: string; metadata?: { tags?: string[] } }[] };
  return nb.cells.filter((c) => c.id && c.metadata?.tags?.includes("written-answer")).map((c) => c.id as string);
}

/** The text of the given cells in a student's notebook (unreadable notebook: none). */
function readWritten(nbPath: string, cellIds: string[]): { cellId: string; text: string }[] {
  try {
    const nb = JSON.parse(fs.readFileSync(nbPath, "utf8")) as { cells: { id?: string; source: string | string[] }[] };
    return nb.cells
      .filter((c) => c.id && cellIds.includes(c.id))
      .map((c) => ({ cellId: c.id as string, text: Array.isArray(c.source) ? c.source.join("") : String(c.source) }));
  } catch {
    return [];
  }
}

/**
 * What must hold before a batch writes anything: the times file reads and names only students
 * of the folder, and every master scores full marks under this runner. Returns the given times.
 */
async function beforeBatch(o: GradeFolderOptions, specs: NotebookSpec[], notebooks: string[], mastersDir: string): Promise<{ times: Map<string, GivenTime>; masters: MasterCheckSummary }> {
  // discovery reads only (a missing folder is reported here, before the masters are checked)
  const students = discoverSubmissions(o.dir, notebooks, { assignment: o.course.assignment }).submissions.map((s) => s.student);
  let times = new Map<string, GivenTime>();
  if (o.timesFile) {
    times = readTimesFile(o.timesFile, o.course);
    checkTimesIds(times, students, o.timesFile);
  }
  const masters = await checkMastersFullMarks(specs, {
    mastersDir, cellTimeoutMs: o.cellTimeoutMs, notebookTimeoutMs: o.notebookTimeoutMs, memoryMb: o.memoryMb, concurrency: o.workers ?? defaultWorkers(),
    // under the batch's own way of giving notebooks children
    childPer: o.childPer ?? childPerFromEnv(),
  });
  return { times, masters };
}

/** Grades a folder of submissions into the gradebook; resolves with what happened. */
export async function gradeFolder(o: GradeFolderOptions): Promise<GradeSummary> {
  const t0 = Date.now();
  const specs = loadAssignment(o.specsDir);
  const notebooks = specs.map((s) => s.notebook);
  const mastersDir = o.mastersDir ?? path.join(KIT_ROOT, "notebooks");
  const written = new Map(notebooks.map((nb) => [nb, writtenAnswerCells(path.join(mastersDir, nb))]));
  // Checked before the gradebook is touched: a refused batch changes nothing.
  if (!o.noIsolation) {
    const status = isolationStatus(KIT_ROOT);
    if (!status.available) throw new Error(refusalMessage(status));
  }
  const isolation = o.noIsolation ? ISOLATION_NONE : "bubblewrap";
  // one run per gradebook at a time: a second one stops here, before it reads or writes anything
  const lock = lockGradebook(o.gradebook);
  let times: Map<string, GivenTime>;
  let masters: MasterCheckSummary;
  let gb: Gradebook;
  // The masters are checked in this process: they run under the batch's isolation mode too.
  const modeBefore = process.env[ISOLATION_ENV];
  if (o.noIsolation) process.env[ISOLATION_ENV] = "off";
  try {
    ({ times, masters } = await beforeBatch(o, specs, notebooks, mastersDir));
    gb = Gradebook.open(o.gradebook, kitVersion(), { isolation });
  } catch (e) {
    lock.release();
    throw e;
  } finally {
    if (modeBefore === undefined) delete process.env[ISOLATION_ENV];
    else process.env[ISOLATION_ENV] = modeBefore;
  }
  const workRoot = o.workDir ?? path.join(path.dirname(path.resolve(o.gradebook)), ".grader-work");
  // the folders this run unpacks into; removed when it ends (another run's are left alone)
  const unpackedDirs: string[] = [];
  try {
    const resumed = gb.resetInterrupted();
    if (o.roster) gb.setRoster(o.roster);
    const lateByFirstSeen: string[] = [];
    const { submissions, ignored } = discoverSubmissions(o.dir, notebooks, { assignment: o.course.assignment });
    const wanted = o.students?.map(studentIdFrom);
    const selected = wanted?.length ? submissions.filter((s) => wanted.includes(s.student)) : submissions;
    if (wanted?.length) {
      const missing = wanted.filter((id) => !submissions.some((s) => s.student === id));
      if (missing.length) throw new Error(`no submission found for student(s): ${missing.join(", ")}`);
    }
    const paths = new Map<number, { sub: DiscoveredSubmission; notebooks: Record<string, string | null>; warnings: string[] }>();
    let skipped = 0;
    let unusable = 0;
    for (const s of selected) {
      // the time and lateness are settled below from the times file or when grade first saw it
      const { id } = gb.recordSubmission({
        student: s.student, source: s.source, kind: s.kind, contentHash: s.contentHash, submittedAt: null,
        timeSource: null, lateMinutes: 0, lateDays: 0, penalty: 0,
        kitVersion: s.manifest?.kitVersion ?? null, manifest: s.manifest ? JSON.stringify(s.manifest) : null,
      });
      const claimed = s.manifest?.timestamp && !Number.isNaN(Date.parse(s.manifest.timestamp)) ? new Date(s.manifest.timestamp).toISOString() : null;
      const settled = settleSubmissionTime(gb.db, id, times.get(s.student), claimed, o.course);
      if (settled.timeSource === "first-seen" && settled.penalty > 0) lateByFirstSeen.push(s.student);
      const open = new Set(gb.pendingJobs().filter((j) => j.submission_id === id).map((j) => j.notebook));
      const todo = notebooks.filter((nb) => o.force || open.has(nb) || !gb.hasRun(id, nb));
      if (todo.length === 0) {
        skipped += 1;
        continue;
      }
      if (s.problem) {
        for (const nb of todo) gb.recordDirect(id, nb, failedRun(specs[notebooks.indexOf(nb)], s.problemStatus ?? "corrupt", s.problem));
        unusable += todo.length;
        continue;
      }
      // a short, hashed name: any id (Unicode, "/", 300 characters) makes a safe, unique folder
      const dir = path.join(workRoot, `${fileNameFor(s.student)}-${crypto.createHash("sha256").update(s.contentHash).digest("hex").slice(0, 12)}`);
      unpackedDirs.push(dir);
      // unpacked and checked in a worker thread with limits: a hostile file becomes a row, never a dead batch
      const intake = await intakeSubmission(s, dir, notebooks, { expect: { assignment: o.course.assignment, kitVersion: kitVersion() } });
      if (!intake.ok) {
        const reason = `${intake.status === "corrupt" ? "corrupt" : "unusable"} submission ${path.basename(s.source)}: ${intake.reason}`;
        for (const nb of todo) gb.recordDirect(id, nb, failedRun(specs[notebooks.indexOf(nb)], intake.status, reason));
        unusable += todo.length;
        continue;
      }
      if (intake.manifest) {
        gb.setManifest(id, JSON.stringify(intake.manifest), intake.manifest.kitVersion || null);
        // the student's own clock: kept to be shown beside the time that counts, never used
        recordClaimedTime(gb.db, id, intake.manifest.timestamp);
      }
      const unpacked = { notebooks: { ...intake.notebooks }, warnings: intake.warnings };
      for (const [nb, reason] of Object.entries(intake.rejected)) {
        if (todo.includes(nb)) {
          gb.recordDirect(id, nb, failedRun(specs[notebooks.indexOf(nb)], "invalid", reason));
          unusable += 1;
        }
        unpacked.notebooks[nb] = null; // never parsed by the batch, never queued
      }
      paths.set(id, { sub: s, ...unpacked });
      for (const nb of notebooks) {
        const p = unpacked.notebooks[nb];
        if (p) gb.setWritten(id, nb, readWritten(p, written.get(nb) ?? []));
        // insight (issue 20): the student's solution cells, kept for the similarity report
        if (p) captureSolutionCells(gb.db, id, nb, p, path.join(mastersDir, nb));
      }
      for (const nb of todo) {
        if (intake.rejected[nb]) continue;
        if (unpacked.notebooks[nb]) gb.enqueue(id, nb);
        else {
          gb.recordDirect(id, nb, failedRun(specs[notebooks.indexOf(nb)], "missing", `missing notebook: ${nb} is not in the submission`));
          unusable += 1;
        }
      }
    }

    // One pool job per submission (its notebooks share a sandboxed child, see gradeSubmission),
    // or per notebook with NNKIT_CHILD_PER=notebook; the gradebook keeps a job per notebook.
    const childPer = o.childPer ?? childPerFromEnv();
    const groups = new Map<string, { jobIds: number[]; items: GradeJobInput["items"]; limitMs: number }>();
    for (const j of gb.pendingJobs()) {
      const found = paths.get(j.submission_id);
      const nbPath = found?.notebooks[j.notebook];
      if (!nbPath) continue; // another student's queued job (a --student run): left for a full run
      const spec = specs[notebooks.indexOf(j.notebook)];
      const key = childPer === "submission" ? `s${j.submission_id}` : `j${j.id}`;
      const group = groups.get(key) ?? { jobIds: [], items: [], limitMs: 0 };
      group.jobIds.push(j.id);
      group.items.push({ notebook: j.notebook, path: nbPath });
      group.limitMs += o.notebookTimeoutMs ?? spec.notebookTimeoutMs ?? 180_000;
      groups.set(key, group);
    }
    const jobs: PoolJob<GradeJobInput>[] = [];
    /** The gradebook's job ids of each pool job (its id is the first of them). */
    const gbJobs = new Map<number, number[]>();
    for (const g of groups.values()) {
      gbJobs.set(g.jobIds[0], g.jobIds);
      jobs.push({
        id: g.jobIds[0],
        input: {
          items: g.items, specsDir: o.specsDir && path.resolve(o.specsDir), mastersDir: o.mastersDir && path.resolve(o.mastersDir),
          options: { cellTimeoutMs: o.cellTimeoutMs, notebookTimeoutMs: o.notebookTimeoutMs, memoryMb: o.memoryMb },
          childPer,
        },
        // the core enforces the notebook limits itself; the watchdog only catches a stuck worker
        timeoutMs: g.limitMs * 3 + 120_000,
      });
    }

    const bar = new ProgressBar(jobs.reduce((n, j) => n + j.input.items.length, 0), o.progressOut ?? process.stderr);
    const jobSub = new Map<number, number>(gb.pendingJobs().map((j) => [j.id, j.submission_id]));
    await runPool<GradeJobInput, unknown>(jobs, {
      workerModule: path.join(__dirname, "../judge/grade-worker.ts"),
      workers: o.workers ?? defaultWorkers(),
      // resolved here, so workers start whatever folder the instructor runs grade from
      execArgv: ["-r", require.resolve("tsx/cjs")],
      // the workers' sandboxes (and the masters' runs) follow the batch's choice, whatever the shell says
      env: { ...process.env, [ISOLATION_ENV]: o.noIsolation ? "off" : "required" },
      onStart: (job) => {
        for (const id of gbJobs.get(job.id) ?? []) gb.startJob(id);
      },
      onResult: (job, outcome: Outcome<unknown>) => {
        const ids = gbJobs.get(job.id) ?? [];
        const values = outcome.ok && Array.isArray(outcome.value) ? (outcome.value as unknown[]) : undefined;
        job.input.items.forEach((item, k) => {
          const id = ids[k];
          const spec = specs[notebooks.indexOf(item.notebook)];
          const warnings = paths.get(jobSub.get(id) ?? -1)?.warnings ?? [];
          let run: RunInput = outcome.ok ? runFromCore(spec, values?.[k]) : failedRun(spec, outcome.reason, outcome.message);
          if (warnings.length) run = { ...run, log: `${warnings.map((w) => `warning: ${w}`).join("\n")}\n${run.log}` };
          gb.finishJob(id, run);
          const kind: keyof ProgressCounts = run.status === "graded" ? "graded" : run.status === "timeout" ? "timedOut" : "failed";
          bar.tick(kind, `${paths.get(jobSub.get(id) ?? -1)?.sub.student ?? "?"} ${item.notebook}: ${run.status} ${run.score}/${run.maxScore}`);
        });
      },
    });
    bar.finish();
    const rosterIds = new Set(gb.roster().map((r) => r.id));
    const roster = rosterIds.size ? {
      missing: [...rosterIds].filter((id) => !submissions.some((s) => s.student === id)),
      notOnRoster: submissions.map((s) => s.student).filter((id) => !rosterIds.has(id)),
    } : undefined;
    return { roster, submissions: selected.length, skipped, resumed, jobs: jobs.reduce((n, j) => n + j.input.items.length, 0), unusable, counts: bar.counts, ignored, seconds: (Date.now() - t0) / 1000, lateByFirstSeen, masters };
  } finally {
    gb.close();
    removeWorkDirs(workRoot, unpackedDirs);
    lock.release();
  }
}

/** Removes a run's unpacked submissions, then the work folder itself once no other run uses it. */
function removeWorkDirs(workRoot: string, dirs: string[]): void {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  try {
    fs.rmdirSync(workRoot);
  } catch {
    // not empty (another run is unpacking into it) or already gone
  }
}
