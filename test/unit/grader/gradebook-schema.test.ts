/**
 * Gradebook schema versions (PRAGMA user_version): a gradebook of the grader before versions is
 * upgraded in place without losing a row, a current one is left alone, and one of a newer grader
 * is refused before anything is written.
 */
import { expect } from "chai";
import Database from "better-sqlite3";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Gradebook } from "../../../grader/gradebook/gradebook";
import { MIGRATIONS, SCHEMA_VERSION, schemaVersion } from "../../../grader/gradebook/gradebook-schema";

/** The first gradebook's tables, as the grader before issue 15 created them (no version, no later column). */
const FIRST_SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE students (id TEXT PRIMARY KEY, first_seen TEXT NOT NULL);
CREATE TABLE submissions (id INTEGER PRIMARY KEY, student_id TEXT NOT NULL REFERENCES students(id), source TEXT NOT NULL,
  kind TEXT NOT NULL, content_hash TEXT NOT NULL, submitted_at TEXT, time_source TEXT, late_minutes INTEGER NOT NULL DEFAULT 0,
  late_days INTEGER NOT NULL DEFAULT 0, penalty REAL NOT NULL DEFAULT 0, kit_version TEXT, manifest TEXT, discovered_at TEXT NOT NULL,
  UNIQUE (student_id, content_hash));
CREATE TABLE jobs (id INTEGER PRIMARY KEY, submission_id INTEGER NOT NULL REFERENCES submissions(id), notebook TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done')), attempts INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL,
  started_at TEXT, finished_at TEXT);
CREATE TABLE runs (id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL UNIQUE REFERENCES jobs(id), submission_id INTEGER NOT NULL REFERENCES submissions(id),
  student_id TEXT NOT NULL, notebook TEXT NOT NULL, status TEXT NOT NULL, reason TEXT, score REAL NOT NULL, max_score REAL NOT NULL,
  seconds REAL NOT NULL, log TEXT NOT NULL, master_hash TEXT NOT NULL, grader_version TEXT NOT NULL, graded_at TEXT NOT NULL,
  current INTEGER NOT NULL DEFAULT 1);
CREATE TABLE questions (run_id INTEGER NOT NULL REFERENCES runs(id), question_id TEXT NOT NULL, title TEXT NOT NULL, points REAL NOT NULL,
  score REAL NOT NULL, status TEXT NOT NULL, message TEXT, hint TEXT NOT NULL, PRIMARY KEY (run_id, question_id));
CREATE TABLE probes (run_id INTEGER NOT NULL REFERENCES runs(id), question_id TEXT NOT NULL, idx INTEGER NOT NULL, hidden INTEGER NOT NULL,
  passed INTEGER NOT NULL, expr TEXT NOT NULL, label TEXT, inputs TEXT, expected TEXT, got TEXT, message TEXT, PRIMARY KEY (run_id, question_id, idx));
CREATE TABLE cells (run_id INTEGER NOT NULL REFERENCES runs(id), cell_id TEXT NOT NULL, ok INTEGER NOT NULL, error TEXT);
CREATE TABLE written (submission_id INTEGER NOT NULL REFERENCES submissions(id), notebook TEXT NOT NULL, cell_id TEXT NOT NULL,
  text TEXT NOT NULL, PRIMARY KEY (submission_id, notebook, cell_id));
CREATE TABLE manual (id INTEGER PRIMARY KEY, student_id TEXT NOT NULL, question_id TEXT NOT NULL, points REAL NOT NULL,
  comment TEXT NOT NULL, imported_at TEXT NOT NULL, current INTEGER NOT NULL DEFAULT 1);
`;

const ROWS = `
INSERT INTO meta VALUES ('created', '2026-11-01T10:00:00.000Z');
INSERT INTO students VALUES ('Zoë Müller', '2026-11-01T10:00:00.000Z'), ('ben', '2026-11-01T10:00:00.000Z');
INSERT INTO submissions (id, student_id, source, kind, content_hash, submitted_at, time_source, discovered_at)
  VALUES (1, 'Zoë Müller', '/class/zoe.zip', 'zip', 'aa', '2026-11-02T09:00:00.000Z', 'manifest', '2026-11-02T09:00:00.000Z'),
         (2, 'ben', '/class/ben.zip', 'zip', 'bb', NULL, NULL, '2026-11-02T09:05:00.000Z');
INSERT INTO jobs VALUES (1, 1, '01_activations.ipynb', 'done', 1, '2026-11-02T09:00:00.000Z', NULL, NULL),
                        (2, 2, '01_activations.ipynb', 'pending', 0, '2026-11-02T09:05:00.000Z', NULL, NULL);
INSERT INTO runs (id, job_id, submission_id, student_id, notebook, status, score, max_score, seconds, log, master_hash, grader_version, graded_at)
  VALUES (1, 1, 1, 'Zoë Müller', '01_activations.ipynb', 'graded', 12.5, 16, 3.2, 'log', 'mh', '0.1.0', '2026-11-02T09:01:00.000Z');
INSERT INTO questions VALUES (1, 'sigmoid', 'Sigmoid', 2, 2, 'passed', NULL, 'hint');
INSERT INTO probes VALUES (1, 'sigmoid', 0, 1, 1, 'sigmoid(x)', NULL, NULL, NULL, NULL, NULL);
INSERT INTO cells VALUES (1, 'c1', 1, NULL);
INSERT INTO manual (student_id, question_id, points, comment, imported_at) VALUES ('ben', 'written', 3, 'good', '2026-11-03T00:00:00.000Z');
`;

const TABLES = ["meta", "students", "submissions", "jobs", "runs", "questions", "probes", "cells", "written", "manual"];

function counts(db: Database.Database): Record<string, number> {
  return Object.fromEntries(TABLES.map((t) => [t, (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n]));
}

function columns(db: Database.Database, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
}

describe("gradebook schema versions (PRAGMA user_version)", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradebook-schema-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A gradebook as the grader before versions wrote it, with a row in every table. */
  function firstGradebook(): string {
    const file = path.join(dir, "old.sqlite");
    const db = new Database(file);
    db.exec(FIRST_SCHEMA);
    db.exec(ROWS);
    db.close();
    return file;
  }

  it("numbers its steps 1, 2, 3, ... with none left out", () => {
    expect(MIGRATIONS.map((m) => m.version)).to.deep.equal(MIGRATIONS.map((_, i) => i + 1));
    expect(SCHEMA_VERSION).to.equal(MIGRATIONS.length);
  });

  it("upgrades a gradebook written before versions, keeping every row and value", () => {
    const file = firstGradebook();
    const raw = new Database(file, { readonly: true });
    const before = counts(raw);
    const runBefore = raw.prepare("SELECT * FROM runs").get();
    const studentsBefore = raw.prepare("SELECT id FROM students ORDER BY id").all();
    expect(schemaVersion(raw)).to.equal(0);
    raw.close();

    const gb = Gradebook.open(file, "test");
    try {
      expect(schemaVersion(gb.db)).to.equal(SCHEMA_VERSION);
      expect(counts(gb.db)).to.deep.equal(before);
      expect(gb.db.prepare("SELECT id FROM students ORDER BY id").all()).to.deep.equal(studentsBefore);
      // the old run's values are all there, and the column added later is empty
      expect(gb.db.prepare("SELECT * FROM runs").get()).to.deep.equal({ ...(runBefore as object), isolation: null });
      expect(columns(gb.db, "submissions")).to.include("claimed_at");
      for (const t of ["bonus_results", "roster", "solution_cells", "solution_capture"]) expect(columns(gb.db, t), t).to.not.deep.equal([]);
      // and it works as a gradebook: the old pending job is still there to be picked up
      expect((gb.db.prepare("SELECT state FROM jobs WHERE id = 2").get() as { state: string }).state).to.equal("pending");
    } finally {
      gb.close();
    }
  });

  it("upgrades a gradebook that already had some later steps applied on their own (before versions)", () => {
    const file = firstGradebook();
    const raw = new Database(file);
    raw.exec("ALTER TABLE runs ADD COLUMN isolation TEXT; UPDATE runs SET isolation = 'bubblewrap'");
    raw.exec("CREATE TABLE roster (student_id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, line INTEGER NOT NULL, imported_at TEXT NOT NULL)");
    raw.close();
    const gb = Gradebook.open(file, "test");
    try {
      expect(schemaVersion(gb.db)).to.equal(SCHEMA_VERSION);
      expect((gb.db.prepare("SELECT isolation FROM runs").get() as { isolation: string }).isolation).to.equal("bubblewrap");
    } finally {
      gb.close();
    }
  });

  it("leaves a current gradebook as it is when opened again", () => {
    const file = path.join(dir, "new.sqlite");
    Gradebook.open(file, "test").close();
    const first = fs.readFileSync(file);
    const gb = Gradebook.open(file, "test");
    expect(schemaVersion(gb.db)).to.equal(SCHEMA_VERSION);
    gb.close();
    expect(counts(new Database(file, { readonly: true }))).to.include({ meta: 1 });
    expect(fs.readFileSync(file).length).to.equal(first.length);
  });

  it("refuses a gradebook of a newer grader, naming both versions, and writes nothing into it", () => {
    const file = firstGradebook();
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    const before = fs.readFileSync(file);
    expect(() => Gradebook.open(file, "test")).to.throw(
      `${file} was written by a newer grader (gradebook schema ${SCHEMA_VERSION + 1}; this grader knows up to ${SCHEMA_VERSION})`,
    );
    const after = new Database(file, { readonly: true });
    try {
      expect(columns(after, "runs")).to.not.include("isolation");
      expect(schemaVersion(after)).to.equal(SCHEMA_VERSION + 1);
    } finally {
      after.close();
    }
    expect(fs.readFileSync(file).equals(before)).to.equal(true);
  });
});
