/**
 * `grader grade DIR`: grades every submission in a folder into the SQLite gradebook with a
 * pool of worker processes. Unchanged submissions are skipped on a rerun; `--force` and
 * `--student` regrade and keep the history; a run killed at any point is finished by the next.
 */
import { Command, InvalidArgumentError } from "commander";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { loadAssignment } from "../assignment";
import { CourseConfig, loadCourseConfig } from "../course";
import { DiscoveredSubmission, discoverSubmissions, unpackSubmission } from "../discover";
import { Gradebook, RunInput } from "../gradebook";
import type { GradeJobInput } from "../grade-worker";
import { lateness } from "../late";
import { defaultWorkers, Outcome, PoolJob, runPool } from "../pool";
import { ProgressBar, ProgressCounts } from "../progress-bar";
import { failedRun, runFromCore } from "../run-result";
import { ISOLATION_ENV, isolationStatus, refusalMessage } from "../isolation";
import { KIT_ROOT, kitVersion } from "../version";

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
  /**
   * Grade without bubblewrap (`--no-isolation`), with Node's permission model only; every row
   * written says so. Without it, grading refuses to start where bubblewrap cannot run.
   */
  noIsolation?: boolean;
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
  const gb = Gradebook.open(o.gradebook, kitVersion(), { isolation });
  const workRoot = o.workDir ?? path.join(path.dirname(path.resolve(o.gradebook)), ".grader-work");
  try {
    const resumed = gb.resetInterrupted();
    const { submissions, ignored } = discoverSubmissions(o.dir, notebooks);
    const selected = o.students?.length ? submissions.filter((s) => o.students?.includes(s.student)) : submissions;
    if (o.students?.length) {
      const missing = o.students.filter((id) => !submissions.some((s) => s.student === id));
      if (missing.length) throw new Error(`no submission found for student(s): ${missing.join(", ")}`);
    }
    const paths = new Map<number, { sub: DiscoveredSubmission; notebooks: Record<string, string | null>; warnings: string[] }>();
    let skipped = 0;
    let unusable = 0;
    for (const s of selected) {
      const late = lateness(s.submittedAt, o.course);
      const { id } = gb.recordSubmission({
        student: s.student, source: s.source, kind: s.kind, contentHash: s.contentHash, submittedAt: s.submittedAt,
        timeSource: s.timeSource, lateMinutes: late.lateMinutes, lateDays: late.lateDays, penalty: late.penalty,
        kitVersion: s.manifest?.kitVersion ?? null, manifest: s.manifest ? JSON.stringify(s.manifest) : null,
      });
      const open = new Set(gb.pendingJobs().filter((j) => j.submission_id === id).map((j) => j.notebook));
      const todo = notebooks.filter((nb) => o.force || open.has(nb) || !gb.hasRun(id, nb));
      if (todo.length === 0) {
        skipped += 1;
        continue;
      }
      if (s.problem) {
        for (const nb of todo) gb.recordDirect(id, nb, failedRun(specs[notebooks.indexOf(nb)], "corrupt", s.problem));
        unusable += todo.length;
        continue;
      }
      const dir = path.join(workRoot, `${s.student}-${crypto.createHash("sha256").update(s.contentHash).digest("hex").slice(0, 12)}`);
      let unpacked;
      try {
        unpacked = unpackSubmission(s, dir, notebooks);
      } catch (e) {
        const reason = `corrupt submission ${path.basename(s.source)}: ${(e as Error).message}`;
        for (const nb of todo) gb.recordDirect(id, nb, failedRun(specs[notebooks.indexOf(nb)], "corrupt", reason));
        unusable += todo.length;
        continue;
      }
      paths.set(id, { sub: s, ...unpacked });
      for (const nb of notebooks) {
        const p = unpacked.notebooks[nb];
        if (p) gb.setWritten(id, nb, readWritten(p, written.get(nb) ?? []));
      }
      for (const nb of todo) {
        if (unpacked.notebooks[nb]) gb.enqueue(id, nb);
        else {
          gb.recordDirect(id, nb, failedRun(specs[notebooks.indexOf(nb)], "missing", `missing notebook: ${nb} is not in the submission`));
          unusable += 1;
        }
      }
    }

    const jobs: PoolJob<GradeJobInput>[] = [];
    for (const j of gb.pendingJobs()) {
      const found = paths.get(j.submission_id);
      const nbPath = found?.notebooks[j.notebook];
      if (!nbPath) continue; // another student's queued job (a --student run): left for a full run
      const spec = specs[notebooks.indexOf(j.notebook)];
      const limit = o.notebookTimeoutMs ?? spec.notebookTimeoutMs ?? 180_000;
      jobs.push({
        id: j.id,
        input: {
          notebook: j.notebook, path: nbPath, specsDir: o.specsDir && path.resolve(o.specsDir), mastersDir: o.mastersDir && path.resolve(o.mastersDir),
          options: { cellTimeoutMs: o.cellTimeoutMs, notebookTimeoutMs: o.notebookTimeoutMs, memoryMb: o.memoryMb },
        },
        // the core enforces the notebook limit itself; the watchdog only catches a stuck worker
        timeoutMs: limit * 3 + 120_000,
      });
    }

    const bar = new ProgressBar(jobs.length, o.progressOut ?? process.stderr);
    const jobSub = new Map<number, number>(gb.pendingJobs().map((j) => [j.id, j.submission_id]));
    await runPool<GradeJobInput, unknown>(jobs, {
      workerModule: path.join(__dirname, "..", "grade-worker.ts"),
      workers: o.workers ?? defaultWorkers(),
      // resolved here, so workers start whatever folder the instructor runs grade from
      execArgv: ["-r", require.resolve("tsx/cjs")],
      // the workers' sandboxes (and the masters' runs) follow the batch's choice, whatever the shell says
      env: { ...process.env, [ISOLATION_ENV]: o.noIsolation ? "off" : "required" },
      onStart: (job) => gb.startJob(job.id),
      onResult: (job, outcome: Outcome<unknown>) => {
        const spec = specs[notebooks.indexOf(job.input.notebook)];
        const warnings = paths.get(jobSub.get(job.id) ?? -1)?.warnings ?? [];
        let run: RunInput = outcome.ok ? runFromCore(spec, outcome.value) : failedRun(spec, outcome.reason, outcome.message);
        if (warnings.length) run = { ...run, log: `${warnings.map((w) => `warning: ${w}`).join("\n")}\n${run.log}` };
        gb.finishJob(job.id, run);
        const kind: keyof ProgressCounts = run.status === "graded" ? "graded" : run.status === "timeout" ? "timedOut" : "failed";
        bar.tick(kind, `${paths.get(jobSub.get(job.id) ?? -1)?.sub.student ?? "?"} ${job.input.notebook}: ${run.status} ${run.score}/${run.maxScore}`);
      },
    });
    bar.finish();
    return { submissions: selected.length, skipped, resumed, jobs: jobs.length, unusable, counts: bar.counts, ignored, seconds: (Date.now() - t0) / 1000 };
  } finally {
    gb.close();
  }
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a whole number >= 1");
  return n;
}

/** Registers `grade` on the CLI program. */
export function registerGradeCommand(program: Command): void {
  program
    .command("grade")
    .description("grade a folder of submissions (zips, notebooks, or an LMS download with one folder per student) into the gradebook")
    .argument("<dir>", "folder of submissions")
    .option("-g, --gradebook <file>", "SQLite gradebook", "gradebook.sqlite")
    .option("-c, --course <file>", "course config (due date, late rule, CSV columns)", "course.json")
    .option("-j, --workers <n>", "parallel grading workers (default: one per core)", positiveInt)
    .option("-f, --force", "regrade submissions that are already graded (history is kept)")
    .option("-s, --student <id...>", "grade (or regrade) only these students")
    .option("--specs <dir>", "spec modules of another assignment (default: grader/specs)")
    .option("--masters <dir>", "master notebooks of that assignment (default: notebooks/)")
    .option("--notebook-timeout <seconds>", "time limit per notebook", positiveInt)
    .option("--cell-timeout <seconds>", "time limit per cell", positiveInt)
    .option("--memory <mb>", "memory cap per notebook run", positiveInt)
    .option("--no-isolation", "run student code without bubblewrap (Node's permission model only), where user namespaces are not available; recorded in every gradebook row")
    .addHelpText("after", "\nExit codes: 0 every submission graded; 1 bad usage or input; 3 some runs failed, timed out or were corrupt or missing (all are in the gradebook with a reason).")
    .action(async (dir: string, opts: {
      gradebook: string; course: string; workers?: number; force?: boolean; student?: string[]; specs?: string; masters?: string;
      notebookTimeout?: number; cellTimeout?: number; memory?: number; isolation: boolean;
    }) => {
      const summary = await gradeFolder({
        dir, gradebook: opts.gradebook, course: loadCourseConfig(path.resolve(opts.course)), workers: opts.workers,
        force: opts.force || Boolean(opts.student?.length), students: opts.student, specsDir: opts.specs, mastersDir: opts.masters,
        notebookTimeoutMs: opts.notebookTimeout ? opts.notebookTimeout * 1000 : undefined, memoryMb: opts.memory,
        cellTimeoutMs: opts.cellTimeout ? opts.cellTimeout * 1000 : undefined, noIsolation: opts.isolation === false,
      });
      if (opts.isolation === false) process.stderr.write(`graded without isolation (--no-isolation): recorded as "${ISOLATION_NONE}" in every row\n`);
      for (const w of summary.ignored) process.stderr.write(`ignored: ${w}\n`);
      const c = summary.counts;
      process.stdout.write(
        `${summary.submissions} submissions: ${summary.jobs} notebook runs (graded ${c.graded}, failed ${c.failed}, timed out ${c.timedOut}), ` +
        `${summary.unusable} corrupt or missing, ${summary.skipped} unchanged and skipped, ${summary.resumed} interrupted runs resumed, ${summary.seconds.toFixed(1)} s -> ${opts.gradebook}\n`,
      );
      if (c.failed + c.timedOut + summary.unusable > 0) process.exitCode = 3;
    });
}
