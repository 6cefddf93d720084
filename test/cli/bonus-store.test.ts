/**
 * Bonus results stored in the gradebook (issue 16.6): an idempotent migration that upgrades a
 * gradebook written before it without losing a row, and the stored result shown in the CSV,
 * `report` and the feedback page.
 */
import Database from "better-sqlite3";
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { reportLines } from "../../grader/export/report";
import { gradesCsv } from "../../grader/export/csv";
import { feedbackHtml } from "../../grader/export/feedback";
import { summarize } from "../../grader/export/summary";
import { Gradebook, type RunInput, type SubmissionInput } from "../../grader/gradebook/gradebook";
import { currentBonus, migrateBonusResults, storeBonusReport, storeBonusReproduction } from "../../grader/gradebook/gradebook-bonus";
import { loadAssignment, maxScore } from "../../grader/judge/assignment";

const sub = (student: string): SubmissionInput => ({
  student, source: `/subs/${student}.zip`, kind: "zip", contentHash: `h-${student}`, submittedAt: "2026-12-01T10:00:00.000Z",
  timeSource: "manifest", lateMinutes: 0, lateDays: 0, penalty: 0, kitVersion: "0.1.0", manifest: null,
});
const run = (score: number): RunInput => ({
  status: "graded", score, maxScore: 3, log: "ran", seconds: 1, masterHash: "abc",
  questions: [{ id: "q1", title: "Q one", points: 3, score, status: score === 3 ? "passed" : "partial", hint: "h", probes: [] }],
  cells: [],
});

describe("bonus results in the gradebook", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "bonus-store-"));
    file = path.join(dir, "gradebook.sqlite");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A gradebook as the grader wrote it before bonus results were stored: the same schema without bonus_results. */
  function oldGradebook(): void {
    const gb = Gradebook.open(file, "0.1.0");
    for (const [student, score] of [["ada", 3], ["bo", 1.5]] as const) {
      const { id } = gb.recordSubmission(sub(student));
      gb.recordDirect(id, "05_fashion_mnist.ipynb", run(score));
    }
    gb.close();
    const db = new Database(file);
    // as the schema before bonus results (version 1) left it
    db.exec("DROP INDEX bonus_results_current; DROP TABLE bonus_results");
    db.pragma("user_version = 1");
    db.close();
  }

  it("upgrades a gradebook written before the migration without losing a row, and runs again harmlessly", () => {
    oldGradebook();
    const before = new Database(file);
    const tables = (db: Database.Database): string[] => (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    expect(tables(before)).not.to.include("bonus_results");
    const runsBefore = before.prepare("SELECT submissions.student_id, runs.score FROM runs JOIN submissions ON submissions.id = runs.submission_id ORDER BY submissions.student_id").all();
    before.close();

    const gb = Gradebook.open(file, "0.2.0");
    expect(tables(gb.db)).to.include("bonus_results");
    migrateBonusResults(gb.db); // idempotent
    expect(gb.db.prepare("SELECT submissions.student_id, runs.score FROM runs JOIN submissions ON submissions.id = runs.submission_id ORDER BY submissions.student_id").all()).to.deep.equal(runsBefore);
    expect(gb.students()).to.deep.equal(["ada", "bo"]);
    gb.close();
  });

  it("adds the reproduced column to a bonus_results table from before it existed", () => {
    const db = new Database(file);
    db.exec("CREATE TABLE bonus_results (id INTEGER PRIMARY KEY, student TEXT NOT NULL, status TEXT NOT NULL, rank INTEGER, accuracy REAL, params INTEGER, seed INTEGER, reason TEXT, threshold REAL NOT NULL, test_images INTEGER NOT NULL, measured_at TEXT NOT NULL, current INTEGER NOT NULL DEFAULT 1)");
    db.prepare("INSERT INTO bonus_results (student, status, rank, accuracy, threshold, test_images, measured_at) VALUES ('ada', 'ranked', 1, 0.91, 0.9, 10000, 'then')").run();
    migrateBonusResults(db);
    migrateBonusResults(db);
    expect(currentBonus(db, "ada")).to.deep.include({ status: "ranked", rank: 1, accuracy: 0.91, reproduced: null, measuredAt: "then" });
    db.close();
  });

  it("stores a report (history kept) and shows it in the CSV, report and the feedback page", () => {
    oldGradebook();
    const gb = Gradebook.open(file, "0.2.0");
    storeBonusReport(gb.db, { threshold: 0.9, testImages: 10000, entries: [{ student: "ada", status: "below", accuracy: 0.85, params: 1000, seed: 1 }] }, "2026-12-02T00:00:00.000Z");
    storeBonusReport(gb.db, {
      threshold: 0.9, testImages: 10000,
      entries: [
        { student: "ada", status: "ranked", rank: 1, accuracy: 0.9123, params: 101770, seed: 7 },
        { student: "bo", status: "invalid", reason: "no bonus-model/model.json in the submission" },
      ],
    }, "2026-12-03T00:00:00.000Z");
    storeBonusReproduction(gb.db, "ada", 0.9119);
    expect((gb.db.prepare("SELECT COUNT(*) AS n FROM bonus_results WHERE student = 'ada'").get() as { n: number }).n).to.equal(2);
    expect(currentBonus(gb.db, "ada")).to.deep.equal({
      student: "ada", status: "ranked", rank: 1, accuracy: 0.9123, params: 101770, seed: 7, reason: null,
      threshold: 0.9, testImages: 10000, reproduced: 0.9119, measuredAt: "2026-12-03T00:00:00.000Z",
    });
    const notebooks = [{ notebook: "05_fashion_mnist.ipynb", max: 3 }];
    const ada = summarize(gb, "ada", notebooks);
    const bo = summarize(gb, "bo", notebooks);
    const csv = gradesCsv([ada, bo], [
      { header: "Student", value: "student" }, { header: "Score", value: "final" },
      { header: "Bonus", value: "bonus" }, { header: "Bonus accuracy", value: "bonusAccuracy" }, { header: "Bonus rank", value: "bonusRank" },
    ]);
    expect(csv).to.equal("Student,Score,Bonus,Bonus accuracy,Bonus rank\nada,3,\"rank 1, 0.9123\",0.9123,1\nbo,1.5,no valid model,,\n");
    const page = feedbackHtml(gb, ada, "nn-exercises");
    expect(page).to.include("<h2>Bonus: rank 1</h2>");
    expect(page).to.include("<td>test accuracy (10000 images)</td><td>0.9123</td>");
    expect(page).to.include("<td>rerun with the saved seed</td><td>0.9119</td>");
    expect(feedbackHtml(gb, bo, "nn-exercises")).to.include("<td>why</td><td>no bonus-model/model.json in the submission</td>");
    gb.close();

    const specsMax = loadAssignment().map((s) => ({ notebook: s.notebook, max: maxScore(s) }));
    expect(specsMax.length).to.be.greaterThan(0);
    const lines = reportLines(file, {});
    expect(lines[0]).to.match(/status {2}\| bonus$/);
    expect(lines.find((l) => l.startsWith("ada"))).to.match(/\| rank 1, 0\.9123$/);
    expect(lines.find((l) => l.startsWith("bo"))).to.match(/\| no valid model$/);
  });
});
