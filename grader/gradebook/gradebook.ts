/**
 * The SQLite gradebook (better-sqlite3): students, submissions, grading jobs, runs with their
 * per-question and per-probe results, logs, timings, master hash and grader version; written
 * answers and manual points. Nothing is ever overwritten: a regrade adds a run and marks the
 * older one as no longer current.
 *
 * Resumability: a job is `pending`, `running` or `done`. A run and the `done` mark of its job
 * are written in one transaction, so a kill -9 leaves either both or neither; jobs found
 * `running` when a new grading process starts were interrupted and go back to `pending`.
 */
import Database from "better-sqlite3";
import * as fs from "fs";
import * as path from "path";
import { migrateGradebook, refuseNewer } from "./gradebook-schema";

/** Why a run has no normal result, beyond the grader core's own statuses. */
export type RunStatus = "graded" | "timeout" | "crash" | "invalid" | "missing" | "corrupt";

export interface ProbeRecord {
  index: number;
  hidden: boolean;
  passed: boolean;
  expr: string;
  label?: string;
  inputs?: unknown;
  expected?: unknown;
  got?: unknown;
  message?: string;
}

export interface QuestionRecord {
  id: string;
  title: string;
  points: number;
  score: number;
  status: string;
  message?: string;
  hint: string;
  probes: ProbeRecord[];
}

/** What a finished grading of one notebook of one submission stores. */
export interface RunInput {
  status: RunStatus;
  reason?: string;
  score: number;
  maxScore: number;
  questions: QuestionRecord[];
  log: string;
  seconds: number;
  masterHash: string;
  cells?: { id: string; ok: boolean; error?: string }[];
}

export interface SubmissionInput {
  student: string;
  source: string;
  kind: string;
  contentHash: string;
  submittedAt: string | null;
  timeSource: "manifest" | "file" | null;
  lateMinutes: number;
  lateDays: number;
  penalty: number;
  kitVersion: string | null;
  manifest: string | null;
}

export interface SubmissionRow {
  id: number;
  student_id: string;
  source: string;
  kind: string;
  content_hash: string;
  submitted_at: string | null;
  time_source: string | null;
  late_minutes: number;
  late_days: number;
  penalty: number;
  kit_version: string | null;
  discovered_at: string;
}

export interface JobRow {
  id: number;
  submission_id: number;
  notebook: string;
  state: "pending" | "running" | "done";
}

export interface RunRow {
  id: number;
  job_id: number;
  submission_id: number;
  student_id: string;
  notebook: string;
  status: RunStatus;
  reason: string | null;
  score: number;
  max_score: number;
  seconds: number;
  log: string;
  master_hash: string;
  grader_version: string;
  graded_at: string;
  current: number;
  /** How the run's student code was isolated ("bubblewrap", or "none (--no-isolation)"); null before this column existed. */
  isolation: string | null;
}

export interface ManualRow {
  student_id: string;
  question_id: string;
  points: number;
  comment: string;
}


const now = (): string => new Date().toISOString();

/** One student of the stored roster. */
export interface RosterRow {
  id: string;
  name: string;
  email: string;
}

/** Turns a value stored as JSON text back into data (null stays null). */
function fromJson(text: string | null): unknown {
  return text === null ? undefined : JSON.parse(text);
}

function toJson(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

export class Gradebook {
  readonly db: Database.Database;

  private constructor(db: Database.Database, readonly graderVersion: string, readonly isolation: string | null) {
    this.db = db;
  }

  /** Opens (or creates) the gradebook file; WAL mode so a kill -9 cannot corrupt it. */
  static open(file: string, graderVersion: string, options: { isolation?: string } = {}): Gradebook {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new Database(file);
    try {
      refuseNewer(db, file);
    } catch (e) {
      db.close();
      throw e;
    }
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 10000");
    migrateGradebook(db, file);
    db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('created', ?)").run(now());
    return new Gradebook(db, graderVersion, options.isolation ?? null);
  }

  close(): void {
    this.db.close();
  }

  /** Records a submission (once per student and content hash); says whether it is new. */
  recordSubmission(s: SubmissionInput): { id: number; isNew: boolean } {
    return this.db.transaction(() => {
      this.db.prepare("INSERT OR IGNORE INTO students (id, first_seen) VALUES (?, ?)").run(s.student, now());
      const found = this.db
        .prepare("SELECT id FROM submissions WHERE student_id = ? AND content_hash = ?")
        .get(s.student, s.contentHash) as { id: number } | undefined;
      if (found) {
        // the same content may be found at a new path (a re-downloaded LMS folder): keep the latest
        this.db.prepare("UPDATE submissions SET source = ? WHERE id = ?").run(s.source, found.id);
        return { id: found.id, isNew: false };
      }
      const info = this.db
        .prepare(
          `INSERT INTO submissions (student_id, source, kind, content_hash, submitted_at, time_source, late_minutes,
             late_days, penalty, kit_version, manifest, discovered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(s.student, s.source, s.kind, s.contentHash, s.submittedAt, s.timeSource, s.lateMinutes, s.lateDays,
          s.penalty, s.kitVersion, s.manifest, now());
      return { id: Number(info.lastInsertRowid), isNew: true };
    })();
  }

  /** Stores the manifest read from a submission (data only: it decides neither identity nor time). */
  setManifest(submissionId: number, manifest: string, kitVersion: string | null): void {
    this.db.prepare("UPDATE submissions SET manifest = ?, kit_version = ? WHERE id = ?").run(manifest, kitVersion, submissionId);
  }

  submission(id: number): SubmissionRow {
    const row = this.db.prepare("SELECT * FROM submissions WHERE id = ?").get(id) as SubmissionRow | undefined;
    if (!row) throw new Error(`no submission ${id} in the gradebook`);
    return row;
  }

  /** True when this notebook of this submission already has a run. */
  hasRun(submissionId: number, notebook: string): boolean {
    return this.db.prepare("SELECT 1 FROM runs WHERE submission_id = ? AND notebook = ?").get(submissionId, notebook) !== undefined;
  }

  /** Queues a job unless one is already open for the same notebook of the submission; returns its id. */
  enqueue(submissionId: number, notebook: string): number {
    const open = this.db
      .prepare("SELECT id FROM jobs WHERE submission_id = ? AND notebook = ? AND state != 'done'")
      .get(submissionId, notebook) as { id: number } | undefined;
    if (open) return open.id;
    const info = this.db
      .prepare("INSERT INTO jobs (submission_id, notebook, state, created_at) VALUES (?, ?, 'pending', ?)")
      .run(submissionId, notebook, now());
    return Number(info.lastInsertRowid);
  }

  /** Jobs a killed grading process left running go back to the queue; returns how many. */
  resetInterrupted(): number {
    return this.db.prepare("UPDATE jobs SET state = 'pending', started_at = NULL WHERE state = 'running'").run().changes;
  }

  pendingJobs(): JobRow[] {
    return this.db.prepare("SELECT id, submission_id, notebook, state FROM jobs WHERE state = 'pending' ORDER BY id").all() as JobRow[];
  }

  startJob(jobId: number): void {
    this.db.prepare("UPDATE jobs SET state = 'running', started_at = ?, attempts = attempts + 1 WHERE id = ?").run(now(), jobId);
  }

  /** Stores a job's result and marks it done, in one transaction; the new run becomes current. */
  finishJob(jobId: number, r: RunInput): number {
    return this.db.transaction(() => {
      const job = this.db.prepare("SELECT * FROM jobs WHERE id = ?").get(jobId) as JobRow | undefined;
      if (!job) throw new Error(`no job ${jobId} in the gradebook`);
      if (job.state === "done") throw new Error(`job ${jobId} is already done`);
      const sub = this.submission(job.submission_id);
      this.db.prepare("UPDATE runs SET current = 0 WHERE student_id = ? AND notebook = ?").run(sub.student_id, job.notebook);
      const info = this.db
        .prepare(
          `INSERT INTO runs (job_id, submission_id, student_id, notebook, status, reason, score, max_score, seconds, log,
             master_hash, grader_version, graded_at, current) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
        )
        .run(jobId, sub.id, sub.student_id, job.notebook, r.status, r.reason ?? null, r.score, r.maxScore, r.seconds,
          r.log, r.masterHash, this.graderVersion, now());
      const runId = Number(info.lastInsertRowid);
      // a separate statement, so that the INSERT above stays as other columns are added to it
      if (this.isolation !== null) this.db.prepare("UPDATE runs SET isolation = ? WHERE id = ?").run(this.isolation, runId);
      const q = this.db.prepare(
        "INSERT INTO questions (run_id, question_id, title, points, score, status, message, hint) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      );
      const p = this.db.prepare(
        `INSERT INTO probes (run_id, question_id, idx, hidden, passed, expr, label, inputs, expected, got, message)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const question of r.questions) {
        q.run(runId, question.id, question.title, question.points, question.score, question.status, question.message ?? null, question.hint);
        for (const probe of question.probes) {
          // hidden probes never carry inputs or values, whatever the caller passed
          const shown = !probe.hidden;
          p.run(runId, question.id, probe.index, probe.hidden ? 1 : 0, probe.passed ? 1 : 0, probe.hidden ? "" : probe.expr,
            probe.label ?? null, shown ? toJson(probe.inputs) : null, shown ? toJson(probe.expected) : null,
            shown ? toJson(probe.got) : null, probe.message ?? null);
        }
      }
      const c = this.db.prepare("INSERT INTO cells (run_id, cell_id, ok, error) VALUES (?, ?, ?, ?)");
      for (const cell of r.cells ?? []) c.run(runId, cell.id, cell.ok ? 1 : 0, cell.error ?? null);
      this.db.prepare("UPDATE jobs SET state = 'done', finished_at = ? WHERE id = ?").run(now(), jobId);
      return runId;
    })();
  }

  /** Queues and finishes a job at once, for results known without running anything (missing, corrupt). */
  recordDirect(submissionId: number, notebook: string, r: RunInput): number {
    return this.db.transaction(() => this.finishJob(this.enqueue(submissionId, notebook), r))();
  }

  /** Replaces the written answers stored for one notebook of a submission. */
  setWritten(submissionId: number, notebook: string, answers: { cellId: string; text: string }[]): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM written WHERE submission_id = ? AND notebook = ?").run(submissionId, notebook);
      const ins = this.db.prepare("INSERT INTO written (submission_id, notebook, cell_id, text) VALUES (?, ?, ?, ?)");
      for (const a of answers) ins.run(submissionId, notebook, a.cellId, a.text);
    })();
  }

  /** Replaces the stored roster with these students (in the roster's order). */
  setRoster(entries: RosterRow[]): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM roster").run();
      const ins = this.db.prepare("INSERT INTO roster (student_id, name, email, line, imported_at) VALUES (?, ?, ?, ?, ?)");
      entries.forEach((e, i) => ins.run(e.id, e.name, e.email, i + 1, now()));
    })();
  }

  /** The stored roster in its order; empty when none was given. */
  roster(): RosterRow[] {
    return this.db.prepare("SELECT student_id AS id, name, email FROM roster ORDER BY line").all() as RosterRow[];
  }

  /** All students, sorted. */
  students(): string[] {
    return (this.db.prepare("SELECT id FROM students ORDER BY id").all() as { id: string }[]).map((r) => r.id);
  }

  /** The student's current run of each notebook. */
  currentRuns(student: string): RunRow[] {
    return this.db.prepare("SELECT * FROM runs WHERE student_id = ? AND current = 1 ORDER BY notebook").all(student) as RunRow[];
  }

  /** Every run of a student, oldest first (the history). */
  history(student: string): RunRow[] {
    return this.db.prepare("SELECT * FROM runs WHERE student_id = ? ORDER BY id").all(student) as RunRow[];
  }

  questions(runId: number): QuestionRecord[] {
    const qs = this.db.prepare("SELECT * FROM questions WHERE run_id = ? ORDER BY rowid").all(runId) as {
      question_id: string; title: string; points: number; score: number; status: string; message: string | null; hint: string;
    }[];
    const ps = this.db.prepare("SELECT * FROM probes WHERE run_id = ? AND question_id = ? ORDER BY idx");
    return qs.map((q) => ({
      id: q.question_id,
      title: q.title,
      points: q.points,
      score: q.score,
      status: q.status,
      message: q.message ?? undefined,
      hint: q.hint,
      probes: (ps.all(runId, q.question_id) as {
        idx: number; hidden: number; passed: number; expr: string; label: string | null; inputs: string | null;
        expected: string | null; got: string | null; message: string | null;
      }[]).map((p) => ({
        index: p.idx,
        hidden: p.hidden === 1,
        passed: p.passed === 1,
        expr: p.expr,
        label: p.label ?? undefined,
        inputs: fromJson(p.inputs),
        expected: fromJson(p.expected),
        got: fromJson(p.got),
        message: p.message ?? undefined,
      })),
    }));
  }

  cells(runId: number): { id: string; ok: boolean; error?: string }[] {
    return (this.db.prepare("SELECT cell_id, ok, error FROM cells WHERE run_id = ? ORDER BY rowid").all(runId) as {
      cell_id: string; ok: number; error: string | null;
    }[]).map((c) => ({ id: c.cell_id, ok: c.ok === 1, error: c.error ?? undefined }));
  }

  /** The submission a student's current runs belong to (the latest one graded). */
  currentSubmission(student: string): SubmissionRow | undefined {
    return this.db
      .prepare("SELECT s.* FROM submissions s JOIN runs r ON r.submission_id = s.id WHERE r.student_id = ? AND r.current = 1 ORDER BY r.id DESC LIMIT 1")
      .get(student) as SubmissionRow | undefined;
  }

  /** Written answers of every student's current submission, for one cell id. */
  writtenAnswers(cellId: string): { student: string; notebook: string; text: string }[] {
    return this.db
      .prepare(
        `SELECT DISTINCT s.student_id AS student, w.notebook AS notebook, w.text AS text FROM written w
           JOIN submissions s ON s.id = w.submission_id
           JOIN runs r ON r.submission_id = s.id AND r.current = 1 AND r.notebook = w.notebook
           WHERE w.cell_id = ? ORDER BY s.student_id`,
      )
      .all(cellId) as { student: string; notebook: string; text: string }[];
  }

  /** The written-answer cell ids found in any submission, with their notebook. */
  writtenCells(): { notebook: string; cellId: string }[] {
    return (this.db.prepare("SELECT DISTINCT notebook, cell_id FROM written ORDER BY notebook, cell_id").all() as {
      notebook: string; cell_id: string;
    }[]).map((r) => ({ notebook: r.notebook, cellId: r.cell_id }));
  }

  /** Imports manual points; an earlier entry for the same student and question is kept as history. */
  importManual(rows: ManualRow[]): number {
    return this.db.transaction(() => {
      const unset = this.db.prepare("UPDATE manual SET current = 0 WHERE student_id = ? AND question_id = ?");
      const ins = this.db.prepare(
        "INSERT INTO manual (student_id, question_id, points, comment, imported_at, current) VALUES (?, ?, ?, ?, ?, 1)",
      );
      for (const r of rows) {
        unset.run(r.student_id, r.question_id);
        ins.run(r.student_id, r.question_id, r.points, r.comment, now());
      }
      return rows.length;
    })();
  }

  manual(student: string): ManualRow[] {
    return this.db
      .prepare("SELECT student_id, question_id, points, comment FROM manual WHERE student_id = ? AND current = 1 ORDER BY question_id")
      .all(student) as ManualRow[];
  }

  /** Job counts by state (for progress and the report). */
  jobCounts(): Record<"pending" | "running" | "done", number> {
    const counts = { pending: 0, running: 0, done: 0 };
    for (const r of this.db.prepare("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state").all() as { state: keyof typeof counts; n: number }[]) {
      counts[r.state] = r.n;
    }
    return counts;
  }
}
