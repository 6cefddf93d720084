/**
 * The bonus competition's results in the gradebook (issue 16.6): `grader bonus` stores what it
 * measured, one current row per student (earlier measurements are kept as history), and the
 * CSV, `report` and the feedback page read it back.
 *
 * The table is added by its own idempotent migration (`migrateBonusResults`, version 2 of
 * `gradebook-schema.ts`), so a gradebook written before it opens and upgrades without losing a row.
 */
import type Database from "better-sqlite3";
import type { BonusEntry, BonusReport } from "../judge/bonus";

/** One student's stored bonus result. */
export interface StoredBonus {
  student: string;
  status: "ranked" | "below" | "invalid";
  rank: number | null;
  accuracy: number | null;
  params: number | null;
  seed: number | null;
  reason: string | null;
  threshold: number;
  testImages: number;
  /** Accuracy of the rerun with the saved seed (`--reproduce`), when it was rerun. */
  reproduced: number | null;
  measuredAt: string;
}

/** Creates the bonus_results table when it is missing, and any column a later version added. */
export function migrateBonusResults(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS bonus_results (
  id INTEGER PRIMARY KEY,
  student TEXT NOT NULL,
  status TEXT NOT NULL,
  rank INTEGER,
  accuracy REAL,
  params INTEGER,
  seed INTEGER,
  reason TEXT,
  threshold REAL NOT NULL,
  test_images INTEGER NOT NULL,
  measured_at TEXT NOT NULL,
  current INTEGER NOT NULL DEFAULT 1
)`);
  const columns = new Set((db.prepare("PRAGMA table_info(bonus_results)").all() as { name: string }[]).map((c) => c.name));
  if (!columns.has("reproduced")) db.exec("ALTER TABLE bonus_results ADD COLUMN reproduced REAL");
  db.exec("CREATE INDEX IF NOT EXISTS bonus_results_current ON bonus_results (student, current)");
}

/** Stores a bonus report: each student's new row becomes current, the old ones stay as history. */
export function storeBonusReport(db: Database.Database, report: BonusReport, measuredAt = new Date().toISOString()): number {
  const retire = db.prepare("UPDATE bonus_results SET current = 0 WHERE student = ? AND current = 1");
  const insert = db.prepare(
    "INSERT INTO bonus_results (student, status, rank, accuracy, params, seed, reason, threshold, test_images, measured_at, current) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
  );
  const num = (x: number | undefined): number | null => (typeof x === "number" && Number.isFinite(x) ? x : null);
  db.transaction((entries: BonusEntry[]) => {
    for (const e of entries) {
      retire.run(e.student);
      insert.run(e.student, e.status, num(e.rank), num(e.accuracy), num(e.params), num(e.seed), e.reason ?? null, report.threshold, report.testImages, measuredAt);
    }
  })(report.entries);
  return report.entries.length;
}

/** Records the accuracy of a student's reproduction run on their current bonus row. */
export function storeBonusReproduction(db: Database.Database, student: string, accuracy: number): void {
  db.prepare("UPDATE bonus_results SET reproduced = ? WHERE student = ? AND current = 1").run(accuracy, student);
}

/** The student's current bonus result, if `grader bonus` measured one. */
export function currentBonus(db: Database.Database, student: string): StoredBonus | undefined {
  // the columns under StoredBonus's names, so that a row is a StoredBonus as it comes
  return db
    .prepare(
      "SELECT student, status, rank, accuracy, params, seed, reason, threshold, test_images AS testImages, reproduced, measured_at AS measuredAt " +
        "FROM bonus_results WHERE student = ? AND current = 1 ORDER BY id DESC LIMIT 1",
    )
    .get(student) as StoredBonus | undefined;
}

/** One line for `report` and the CSV's "bonus" column: e.g. "rank 1, 0.9123" or "below 0.9: 0.8765". */
export function bonusText(b: StoredBonus | undefined): string {
  if (!b) return "";
  if (b.status === "ranked") return `rank ${b.rank}, ${b.accuracy?.toFixed(4)}`;
  if (b.status === "below") return `below ${b.threshold}: ${b.accuracy?.toFixed(4)}`;
  return `no valid model`;
}

/**
 * The feedback page's bonus section (an HTML fragment; `esc` escapes text). Kept apart from
 * grader/export/feedback.ts, which only calls it.
 */
export function bonusFeedbackSection(b: StoredBonus | undefined, esc: (t: unknown) => string): string {
  if (!b) return "";
  const lines: string[] = [`<h2>Bonus: ${esc(b.status === "ranked" ? `rank ${b.rank}` : b.status === "below" ? "did not qualify" : "no valid model")}</h2>`, "<table class=\"bonus\">"];
  if (b.accuracy !== null) lines.push(`<tr><td>test accuracy (${b.testImages} images)</td><td>${b.accuracy.toFixed(4)}</td></tr>`);
  lines.push(`<tr><td>needed to qualify</td><td>${b.threshold}</td></tr>`);
  if (b.params !== null) lines.push(`<tr><td>parameters</td><td>${b.params}</td></tr>`);
  if (b.reproduced !== null) lines.push(`<tr><td>rerun with the saved seed</td><td>${b.reproduced.toFixed(4)}</td></tr>`);
  if (b.reason) lines.push(`<tr><td>why</td><td>${esc(b.reason)}</td></tr>`);
  lines.push("</table>");
  return lines.join("");
}
