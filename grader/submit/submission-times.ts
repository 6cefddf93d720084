/**
 * Submission times an instructor can trust (lateness is computed from these only).
 *
 * A submission's time comes from the instructor, never from the student or the file system:
 *   1. `grade --times FILE`: a CSV of student id and time as an LMS exports it ("times-file");
 *   2. else the time when `grade` first saw that submission (its content), recorded once in the
 *      gradebook and never changed by a later run ("first-seen").
 * File times are not used (a `cp -r` or an unzip rewrites them) and the manifest's timestamp,
 * which the student's machine writes, is stored as `claimed_at`: shown, never used.
 *
 * Accepted time formats (the time column of the CSV):
 *   - ISO 8601 with a zone: 2026-12-15T23:59:00Z, 2026-12-15T23:59:00+01:00, 2026-12-15 23:59+0100;
 *   - ISO 8601 without a zone: 2026-12-15T23:59:00 or 2026-12-15 23:59 (Blackboard, many exports);
 *   - Moodle's long form: "Monday, 15 December 2026, 11:59 PM" (weekday optional, 12 or 24 h);
 *   - Unix time in seconds: 1797375540.
 * A time without a zone is read in the zone of the course's due date (its UTC offset), UTC when
 * there is no due date.
 */
import type Database from "better-sqlite3";
import { parse } from "csv-parse/sync";
import * as fs from "fs";
import type { CourseConfig } from "../core/course";
import { cleanStudentId } from "./discover";
import { lateness, type Lateness } from "./late";

/** Where a submission's time came from (what the CSV's time source column says). */
export type TimeSource = "times-file" | "first-seen";

export interface GivenTime {
  /** The time as an ISO 8601 UTC string. */
  time: string;
  /** Its line in the times file (1 = the header). */
  line: number;
}

/** Header names taken as the id column and as the time column (case and spaces ignored). */
const ID_HEADERS = ["id", "student", "studentid", "student_id", "username", "user", "login", "userid", "sisuserid", "sis_user_id", "email", "emailaddress"];
const TIME_HEADERS = ["time", "submittedat", "submitted_at", "submitted", "submissiontime", "submissiondate", "timestamp", "date", "lastmodified", "lastmodifiedsubmission", "lastmodified(submission)"];
const norm = (h: string): string => h.trim().toLowerCase().replace(/\s+/g, "");

const MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

/** The UTC offset in minutes of an ISO date's zone ("Z", "+01:00"); 0 for null. */
export function zoneOffsetMinutes(isoWithZone: string | null): number {
  const m = isoWithZone ? /([+-])(\d\d):?(\d\d)$/.exec(isoWithZone) : null;
  return m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

function fromParts(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number, offsetMinutes: number): string | null {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const check = new Date(utc);
  if (check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1) return null; // 31 February
  return new Date(utc - offsetMinutes * 60_000).toISOString();
}

/**
 * A submission time in one of the accepted formats (see above) as ISO 8601 UTC, or null when
 * it is none of them. `offsetMinutes` is the zone of times written without one.
 */
export function parseSubmissionTime(raw: string, offsetMinutes: number): string | null {
  const t = raw.trim();
  const iso = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d\d:?\d\d)?$/i.exec(t);
  if (iso) {
    const ms = iso[7] ? Math.round(Number(`0.${iso[7]}`) * 1000) : 0;
    const off = iso[8] ? (iso[8].toUpperCase() === "Z" ? 0 : zoneOffsetMinutes(iso[8])) : offsetMinutes;
    return fromParts(+iso[1], +iso[2], +iso[3], +iso[4], +iso[5], +(iso[6] ?? 0), Math.min(ms, 999), off);
  }
  const moodle = /^(?:[A-Za-z]+,\s*)?(\d{1,2})\s+([A-Za-z]+)\s+(\d{4}),?\s+(\d{1,2}):(\d\d)(?::(\d\d))?\s*([AaPp][Mm])?$/.exec(t);
  if (moodle) {
    const month = MONTHS.findIndex((m) => m === moodle[2].toLowerCase() || m.slice(0, 3) === moodle[2].toLowerCase()) + 1;
    let hour = +moodle[4];
    if (moodle[7]) {
      if (hour < 1 || hour > 12) return null;
      hour = (hour % 12) + (moodle[7].toLowerCase() === "pm" ? 12 : 0);
    }
    return month > 0 ? fromParts(+moodle[3], month, +moodle[1], hour, +moodle[5], +(moodle[6] ?? 0), 0, offsetMinutes) : null;
  }
  if (/^\d{9,10}$/.test(t)) return new Date(Number(t) * 1000).toISOString();
  return null;
}

/**
 * Reads a times CSV (a header row with an id column and a time column, see ID_HEADERS and
 * TIME_HEADERS); throws naming the line of a repeated id, an empty or unparseable time.
 */
export function readTimesFile(file: string, course: Pick<CourseConfig, "dueDate">): Map<string, GivenTime> {
  if (!fs.existsSync(file)) throw new Error(`times file not found: ${file}`);
  let rows: string[][];
  try {
    rows = parse(fs.readFileSync(file), { bom: true, relax_column_count: true, skip_empty_lines: true, trim: true }) as string[][];
  } catch (e) {
    throw new Error(`times file ${file}: not a valid CSV: ${(e as Error).message}`);
  }
  if (rows.length === 0) throw new Error(`times file ${file} is empty: it needs a header row (id,time) and one line per student`);
  const header = rows[0].map(norm);
  const idCol = header.findIndex((h) => ID_HEADERS.includes(h));
  const timeCol = header.findIndex((h) => TIME_HEADERS.includes(h));
  if (idCol < 0 || timeCol < 0) {
    throw new Error(`times file ${file} line 1: the header needs an id column (e.g. "id" or "student") and a time column (e.g. "time" or "submitted at"); found: ${rows[0].join(", ")}`);
  }
  const offset = zoneOffsetMinutes(course.dueDate);
  const out = new Map<string, GivenTime>();
  const errors: string[] = [];
  rows.slice(1).forEach((r, i) => {
    const line = i + 2;
    const rawId = r[idCol] ?? "";
    const rawTime = r[timeCol] ?? "";
    let id: string;
    try {
      id = cleanStudentId(rawId);
    } catch {
      errors.push(`times file ${file} line ${line}: no student id`);
      return;
    }
    const time = parseSubmissionTime(rawTime, offset);
    if (!time) {
      errors.push(`times file ${file} line ${line}: cannot read the time ${JSON.stringify(rawTime)} of ${id} ` +
        "(accepted: ISO 8601 such as 2026-12-15T23:59:00+01:00, 2026-12-15 23:59, \"Monday, 15 December 2026, 11:59 PM\", Unix seconds)");
      return;
    }
    const before = out.get(id);
    if (before) errors.push(`times file ${file} line ${line}: ${id} was already given a time on line ${before.line}`);
    else out.set(id, { time, line });
  });
  if (errors.length) throw new Error(errors.join("\n"));
  return out;
}

/** Throws naming the line of every id of the times file that is not a submission in the folder. */
export function checkTimesIds(times: Map<string, GivenTime>, students: string[], file: string): void {
  const known = new Set(students);
  const unknown = [...times].filter(([id]) => !known.has(id)).sort((a, b) => a[1].line - b[1].line);
  if (unknown.length) {
    throw new Error(unknown.map(([id, t]) => `times file ${file} line ${t.line}: unknown student id ${JSON.stringify(id)}: no submission of that student in the folder`).join("\n"));
  }
}

/**
 * Upgrades a gradebook written before submission times were trusted: adds `claimed_at` (the
 * student's own timestamp, shown, never used). Idempotent; keeps every row.
 */
export function migrateSubmissionTimes(db: Database.Database): void {
  const cols = (db.prepare("PRAGMA table_info(submissions)").all() as { name: string }[]).map((c) => c.name);
  if (!cols.includes("claimed_at")) db.exec("ALTER TABLE submissions ADD COLUMN claimed_at TEXT");
}

export interface SettledTime extends Lateness {
  submittedAt: string;
  timeSource: TimeSource;
}

/**
 * Fixes the time of a submission recorded in the gradebook and its lateness under the course's
 * rule. A time from the times file wins (and replaces an earlier one: it is the instructor's);
 * else the time already recorded by grade stays; else (a new submission, or one recorded before
 * times were trusted, whose time came from the manifest or a file) it is the time grade first
 * saw it (`discovered_at`). `claimedAt` (the manifest's timestamp) is stored for display only.
 */
export function settleSubmissionTime(
  db: Database.Database, submissionId: number, given: GivenTime | undefined, claimedAt: string | null, course: Pick<CourseConfig, "dueDate" | "late">,
): SettledTime {
  const row = db.prepare("SELECT submitted_at, time_source, discovered_at FROM submissions WHERE id = ?").get(submissionId) as
    { submitted_at: string | null; time_source: string | null; discovered_at: string } | undefined;
  if (!row) throw new Error(`no submission ${submissionId} in the gradebook`);
  let submittedAt: string;
  let timeSource: TimeSource;
  if (given) [submittedAt, timeSource] = [given.time, "times-file"];
  else if ((row.time_source === "times-file" || row.time_source === "first-seen") && row.submitted_at) [submittedAt, timeSource] = [row.submitted_at, row.time_source];
  else [submittedAt, timeSource] = [row.discovered_at, "first-seen"];
  const late = lateness(submittedAt, course);
  db.prepare("UPDATE submissions SET submitted_at = ?, time_source = ?, late_minutes = ?, late_days = ?, penalty = ?, claimed_at = COALESCE(?, claimed_at) WHERE id = ?")
    .run(submittedAt, timeSource, late.lateMinutes, late.lateDays, late.penalty, claimedAt, submissionId);
  return { submittedAt, timeSource, ...late };
}

/** Stores the time a submission's manifest claims (written by the student's machine: shown, never used). */
export function recordClaimedTime(db: Database.Database, submissionId: number, claimed: unknown): void {
  const iso = typeof claimed === "string" && !Number.isNaN(Date.parse(claimed)) ? new Date(claimed).toISOString() : null;
  db.prepare("UPDATE submissions SET claimed_at = ? WHERE id = ?").run(iso, submissionId);
}
