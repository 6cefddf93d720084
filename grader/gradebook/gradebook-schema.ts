/**
 * The gradebook's schema and its versions. SQLite's `PRAGMA user_version` holds the version a
 * gradebook was last brought to; opening runs, in order and each in its own transaction, the
 * migrations above it, so a gradebook written by any earlier grader is upgraded in place with
 * every row kept, and one written by a newer grader is refused before anything is written.
 *
 * Every step is also safe on a gradebook that already has what it adds: gradebooks written
 * before versions existed (user_version 0) may hold any prefix of these steps, each of which was
 * then applied on its own.
 */
import type Database from "better-sqlite3";
import { migrateBonusResults } from "./gradebook-bonus";
import { migrateSubmissionTimes } from "../submit/submission-times";
import { migrateSimilarity } from "./similarity/store";
import { cellTextTable } from "./cell-text-table";

/** The tables of the first gradebook (the grader before issue 15), as it wrote them. */
const BASE_SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS students (id TEXT PRIMARY KEY, first_seen TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS submissions (
  id INTEGER PRIMARY KEY,
  student_id TEXT NOT NULL REFERENCES students(id),
  source TEXT NOT NULL,
  kind TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  submitted_at TEXT,
  time_source TEXT,
  late_minutes INTEGER NOT NULL DEFAULT 0,
  late_days INTEGER NOT NULL DEFAULT 0,
  penalty REAL NOT NULL DEFAULT 0,
  kit_version TEXT,
  manifest TEXT,
  discovered_at TEXT NOT NULL,
  UNIQUE (student_id, content_hash)
);
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY,
  submission_id INTEGER NOT NULL REFERENCES submissions(id),
  notebook TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done')),
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT
);
-- at most one unfinished job per notebook of a submission: a rerun cannot queue it twice
CREATE UNIQUE INDEX IF NOT EXISTS jobs_open ON jobs (submission_id, notebook) WHERE state != 'done';
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL UNIQUE REFERENCES jobs(id),
  submission_id INTEGER NOT NULL REFERENCES submissions(id),
  student_id TEXT NOT NULL,
  notebook TEXT NOT NULL,
  status TEXT NOT NULL,
  reason TEXT,
  score REAL NOT NULL,
  max_score REAL NOT NULL,
  seconds REAL NOT NULL,
  log TEXT NOT NULL,
  master_hash TEXT NOT NULL,
  grader_version TEXT NOT NULL,
  graded_at TEXT NOT NULL,
  current INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS runs_student ON runs (student_id, notebook, current);
CREATE TABLE IF NOT EXISTS questions (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  question_id TEXT NOT NULL,
  title TEXT NOT NULL,
  points REAL NOT NULL,
  score REAL NOT NULL,
  status TEXT NOT NULL,
  message TEXT,
  hint TEXT NOT NULL,
  PRIMARY KEY (run_id, question_id)
);
CREATE TABLE IF NOT EXISTS probes (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  question_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  hidden INTEGER NOT NULL,
  passed INTEGER NOT NULL,
  expr TEXT NOT NULL,
  label TEXT,
  inputs TEXT,
  expected TEXT,
  got TEXT,
  message TEXT,
  PRIMARY KEY (run_id, question_id, idx)
);
CREATE TABLE IF NOT EXISTS cells (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  cell_id TEXT NOT NULL,
  ok INTEGER NOT NULL,
  error TEXT
);
${cellTextTable("written", "text")}
CREATE TABLE IF NOT EXISTS manual (
  id INTEGER PRIMARY KEY,
  student_id TEXT NOT NULL,
  question_id TEXT NOT NULL,
  points REAL NOT NULL,
  comment TEXT NOT NULL,
  imported_at TEXT NOT NULL,
  current INTEGER NOT NULL DEFAULT 1
);
`;

/**
 * Migration step (intake, issue 16.3): the class roster from `grade --roster`. Idempotent: the
 * table is added when it is missing; a gradebook written before it keeps every row.
 */
export function migrateRoster(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS roster (
    student_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    line INTEGER NOT NULL,
    imported_at TEXT NOT NULL
  )`);
}

/**
 * Migration (idempotent): runs.isolation says how each run's student code was isolated, so a
 * batch graded with `--no-isolation` stays visible as such. Gradebooks written before this
 * column get it empty (NULL) on their old rows.
 */
export function migrateRunIsolation(db: Database.Database): void {
  const columns = db.prepare("PRAGMA table_info(runs)").all() as { name: string }[];
  if (!columns.some((c) => c.name === "isolation")) db.exec("ALTER TABLE runs ADD COLUMN isolation TEXT");
}

interface Migration {
  version: number;
  /** What it adds, for the error message of a step that fails. */
  adds: string;
  up(db: Database.Database): void;
}

/** Every version, oldest first; a new step takes the next number and is never changed afterwards. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, adds: "students, submissions, jobs, runs, questions, probes, cells, written, manual, meta", up: (db) => db.exec(BASE_SCHEMA) },
  { version: 2, adds: "bonus_results (issue 16)", up: migrateBonusResults },
  { version: 3, adds: "roster (issue 16)", up: migrateRoster },
  { version: 4, adds: "runs.isolation (issue 23)", up: migrateRunIsolation },
  { version: 5, adds: "submissions.claimed_at (issue 15)", up: migrateSubmissionTimes },
  { version: 6, adds: "solution_cells, solution_capture (issue 20)", up: migrateSimilarity },
];

/** The version this grader writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** The version a gradebook is at (0: written before versions, or empty). */
export function schemaVersion(db: Database.Database): number {
  return db.pragma("user_version", { simple: true }) as number;
}

/**
 * The gradebook's version; throws for one of a newer grader. Read before anything else touches the
 * file (even switching it to WAL rewrites its header).
 */
export function refuseNewer(db: Database.Database, file = "the gradebook"): number {
  const at = schemaVersion(db);
  if (at > SCHEMA_VERSION) {
    throw new Error(`${file} was written by a newer grader (gradebook schema ${at}; this grader knows up to ${SCHEMA_VERSION}): update the kit (git pull, ./setup.sh) before grading into it`);
  }
  return at;
}

/**
 * Brings the gradebook to SCHEMA_VERSION. Throws, changing nothing, for a gradebook of a newer
 * grader (this one would misread what it does not know). `file` names it in messages.
 */
export function migrateGradebook(db: Database.Database, file = "the gradebook"): void {
  const at = refuseNewer(db, file);
  for (const m of MIGRATIONS) {
    if (m.version <= at) continue;
    try {
      db.transaction(() => {
        m.up(db);
        db.pragma(`user_version = ${m.version}`);
      }).exclusive();
    } catch (e) {
      throw new Error(`${file}: upgrading to gradebook schema ${m.version} (${m.adds}) failed, nothing of that step was written: ${(e as Error).message}`);
    }
  }
}
