/**
 * The course config (course.json at the kit root): the assignment's name, its due date, the
 * late rule and the LMS CSV's columns. Every field is optional; a missing file means defaults.
 */
import * as fs from "fs";
import * as path from "path";

/** How lateness turns into a penalty (a fraction of the score taken off). */
export interface LateRule {
  /** Minutes after the due date that still count as on time (clock skew, slow uploads). */
  graceMinutes: number;
  /** Fraction of the score taken off per started day late, e.g. 0.1. */
  penaltyPerDay: number;
  /** Beyond this many days late the submission scores 0. */
  maxDaysLate: number;
}

/** One column of the LMS CSV: its header and which value fills it (see CSV_FIELDS in export/csv.ts). */
export interface CsvColumn {
  header: string;
  value: string;
}

export interface CourseConfig {
  assignment: string;
  /** ISO 8601 with a zone, e.g. "2026-12-15T23:59:00+01:00"; null = no due date. */
  dueDate: string | null;
  late: LateRule;
  csv: { columns: CsvColumn[] };
}

export const DEFAULT_COURSE: CourseConfig = {
  assignment: "nn-exercises",
  dueDate: null,
  late: { graceMinutes: 0, penaltyPerDay: 0.1, maxDaysLate: 7 },
  csv: {
    columns: [
      { header: "Student", value: "student" },
      { header: "Score", value: "final" },
      { header: "Max", value: "max" },
      { header: "Late days", value: "lateDays" },
      { header: "Submitted at", value: "submittedAt" },
      { header: "Time source", value: "timeSource" },
      { header: "Status", value: "status" },
    ],
  },
};

function fail(file: string, msg: string): never {
  throw new Error(`${file}: ${msg}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function num(file: string, obj: Record<string, unknown>, key: string, fallback: number): number {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) fail(file, `late.${key} must be a number >= 0, got ${JSON.stringify(v)}`);
  return v;
}

/** Checks a parsed course config and fills in the defaults; throws naming the bad field. */
export function parseCourseConfig(raw: unknown, file = "course.json"): CourseConfig {
  if (!isObject(raw)) fail(file, "must hold a JSON object");
  const cfg: CourseConfig = JSON.parse(JSON.stringify(DEFAULT_COURSE)) as CourseConfig;
  if (raw.assignment !== undefined) {
    if (typeof raw.assignment !== "string" || !/^[\w.-]+$/.test(raw.assignment)) {
      fail(file, `assignment must be a name of letters, digits, '.', '_' or '-', got ${JSON.stringify(raw.assignment)}`);
    }
    cfg.assignment = raw.assignment;
  }
  if (raw.dueDate !== undefined && raw.dueDate !== null) {
    if (typeof raw.dueDate !== "string" || !/(Z|[+-]\d\d:\d\d)$/.test(raw.dueDate) || Number.isNaN(Date.parse(raw.dueDate))) {
      fail(file, `dueDate must be an ISO 8601 date with a time zone (e.g. 2026-12-15T23:59:00+01:00), got ${JSON.stringify(raw.dueDate)}`);
    }
    cfg.dueDate = raw.dueDate;
  }
  if (raw.late !== undefined) {
    if (!isObject(raw.late)) fail(file, "late must be an object");
    cfg.late = {
      graceMinutes: num(file, raw.late, "graceMinutes", cfg.late.graceMinutes),
      penaltyPerDay: num(file, raw.late, "penaltyPerDay", cfg.late.penaltyPerDay),
      maxDaysLate: num(file, raw.late, "maxDaysLate", cfg.late.maxDaysLate),
    };
    if (cfg.late.penaltyPerDay > 1) fail(file, "late.penaltyPerDay is a fraction and must be <= 1");
  }
  if (raw.csv !== undefined) {
    if (!isObject(raw.csv) || !Array.isArray(raw.csv.columns) || raw.csv.columns.length === 0) {
      fail(file, "csv.columns must be a non-empty array of {header, value}");
    }
    cfg.csv.columns = raw.csv.columns.map((c, i) => {
      if (!isObject(c) || typeof c.header !== "string" || typeof c.value !== "string") {
        fail(file, `csv.columns[${i}] must be {"header": string, "value": string}`);
      }
      return { header: c.header, value: c.value };
    });
  }
  return cfg;
}

/** Reads course.json from the given path (defaults when the file does not exist). */
export function loadCourseConfig(file = path.resolve("course.json")): CourseConfig {
  if (!fs.existsSync(file)) return parseCourseConfig({}, file);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    fail(file, `is not valid JSON: ${(e as Error).message}`);
  }
  return parseCourseConfig(raw, file);
}
