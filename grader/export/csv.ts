/**
 * CSV for the LMS (one row per student, columns from course.json) and a small RFC 4180
 * reader for the manual-points CSV that comes back.
 */
import type { CsvColumn } from "../core/course";
import { bonusText } from "../gradebook/gradebook-bonus";
import type { StudentSummary } from "./summary";

/**
 * The values a CSV column may hold: `student`, `auto` (autograded points), `manual`,
 * `score` (auto + manual), `final` (after the late penalty), `max`, `percent` (final / max),
 * `penalty` (fraction), `lateDays`, `lateMinutes`, `submittedAt` (the time lateness is computed from),
 * `timeSource` (where that time came from: times-file or first-seen), `claimedAt` (the student's own
 * manifest time: shown, never used), `status`,
 * `q:<question id>` (its points), `nb:<notebook stem>` (its points), `manual:<question id>`,
 * `bonus` (the bonus result in words), `bonusAccuracy`, `bonusRank` (empty when not measured or not ranked);
 * with a roster (`grade --roster`): `roster` ("yes", or "NOT ON ROSTER" for a submission from an
 * id the roster lacks), `name` and `email`;
 * `comment:<question id>` (what the student is told of that question: from its student view,
 * so of a hidden probe only that it failed; "" when it passed) and `manual-comment:<question id>`.
 */
export const CSV_FIELDS = ["student", "auto", "manual", "score", "final", "max", "percent", "penalty", "lateDays", "lateMinutes", "submittedAt", "timeSource", "claimedAt", "status", "bonus", "bonusAccuracy", "bonusRank",
  "roster", "name", "email"];

/** The value of one column for one student; throws naming an unknown column value. */
export function csvValue(s: StudentSummary, value: string): string | number {
  switch (value) {
    case "student": return s.student;
    case "auto": return s.auto;
    case "manual": return s.manualTotal;
    case "score": return Math.round((s.auto + s.manualTotal) * 100) / 100;
    case "final": return s.final;
    case "max": return s.max;
    case "percent": return s.max === 0 ? 0 : Math.round((s.final / s.max) * 1000) / 10;
    case "penalty": return s.penalty;
    case "lateDays": return s.lateDays;
    case "lateMinutes": return s.lateMinutes;
    case "submittedAt": return s.submittedAt ?? "";
    case "timeSource": return s.timeSource ?? "";
    case "claimedAt": return s.claimedAt ?? "";
    case "status": return s.status;
    case "bonus": return bonusText(s.bonus);
    case "bonusAccuracy": return s.bonus?.accuracy ?? "";
    case "bonusRank": return s.bonus?.rank ?? "";
    case "roster": return s.onRoster === null ? "" : s.onRoster ? "yes" : "NOT ON ROSTER";
    case "name": return s.name;
    case "email": return s.email;
  }
  if (value.startsWith("q:")) return s.questions[value.slice(2)]?.score ?? 0;
  if (value.startsWith("manual:")) return s.manual[value.slice(7)]?.points ?? "";
  if (value.startsWith("manual-comment:")) return s.manual[value.slice(15)]?.comment ?? "";
  if (value.startsWith("comment:")) return s.comments[value.slice(8)] ?? "";
  if (value.startsWith("nb:")) {
    const stem = value.slice(3);
    return s.notebooks.find((n) => n.notebook === stem || n.notebook === `${stem}.ipynb`)?.score ?? 0;
  }
  throw new Error(`unknown CSV column value ${JSON.stringify(value)}: use one of ${CSV_FIELDS.join(", ")}, q:<id>, nb:<stem>, manual:<id>, comment:<id>, manual-comment:<id>`);
}

/** Throws for a column whose value is not one of CSV_FIELDS or a q:/nb:/manual: reference. */
export function checkColumns(columns: CsvColumn[]): void {
  for (const c of columns) {
    if (!CSV_FIELDS.includes(c.value) && !/^(q|nb|manual|comment|manual-comment):.+/.test(c.value)) {
      throw new Error(`unknown CSV column value ${JSON.stringify(c.value)} (header ${JSON.stringify(c.header)}): use one of ${CSV_FIELDS.join(", ")}, q:<id>, nb:<stem>, manual:<id>, comment:<id>, manual-comment:<id>`);
    }
  }
}

/** One CSV field, quoted when it needs to be. */
export function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The LMS CSV text. */
export function gradesCsv(rows: StudentSummary[], columns: CsvColumn[]): string {
  checkColumns(columns);
  const lines = [columns.map((c) => csvField(c.header)).join(",")];
  for (const r of rows) lines.push(columns.map((c) => csvField(csvValue(r, c.value))).join(","));
  return lines.join("\n") + "\n";
}

/** Parses CSV text (quoted fields, doubled quotes, CRLF) into rows of fields. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += ch;
  }
  if (quoted) throw new Error("CSV ends inside a quoted field");
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ""));
}
