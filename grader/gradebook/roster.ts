/**
 * The class roster (`grade --roster FILE`): a CSV of id, name and email as an LMS exports it
 * (a header row, quoted fields, a byte-order mark, commas in names, CRLF). With a roster the
 * grades CSV lists every student on it (non-submitters with 0 and "missing"), and flags
 * submissions from ids that are not on it.
 */
import { parse } from "csv-parse/sync";
import * as fs from "fs";
import { studentIdFrom } from "../core/student-id";

/** One student of the roster. */
export interface RosterEntry {
  id: string;
  name: string;
  email: string;
}

/**
 * Header names (lower case, spaces squeezed) that LMS exports use for each column, in order
 * of preference: Canvas has "Student" (the name) beside "ID", Moodle "First name", "Last name",
 * "ID number", "Username" and "Email address".
 */
const HEADERS: Record<keyof RosterEntry, string[]> = {
  id: ["id", "student id", "studentid", "student_id", "username", "user name", "login", "login id", "sis login id", "sis user id",
    "identifier", "matriculation number", "matrikelnummer", "id number", "student"],
  name: ["name", "full name", "student name", "fullname", "display name", "student"],
  email: ["email", "email address", "e-mail", "e-mail address", "mail"],
};

/** Largest roster file read (a class of thousands is a few hundred kB). */
export const MAX_ROSTER_BYTES = 20 * 1024 * 1024;

const norm = (h: string): string => h.normalize("NFC").trim().toLowerCase().replace(/\s+/g, " ");

/**
 * Parses roster CSV text; throws naming the line for a row without an id, the same id twice,
 * or a header without an id column. Columns are found by their header (see HEADERS); others
 * are ignored.
 */
export function parseRoster(text: string, file = "roster"): RosterEntry[] {
  let rows: string[][];
  try {
    rows = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true, trim: true }) as string[][];
  } catch (e) {
    throw new Error(`${file}: not a readable CSV: ${(e as Error).message}`);
  }
  if (rows.length === 0) throw new Error(`${file}: the roster is empty`);
  const header = rows[0].map(norm);
  const find = (k: keyof RosterEntry, not = -1): number => {
    for (const want of HEADERS[k]) {
      const i = header.findIndex((h, j) => h === want && j !== not);
      if (i >= 0) return i;
    }
    return -1;
  };
  const id = find("id");
  const col = { id, name: find("name", id), email: find("email", id) };
  const first = header.indexOf("first name");
  const last = header.indexOf("last name");
  if (col.id < 0) {
    throw new Error(`${file}: no id column in the header ${JSON.stringify(rows[0])}: name one of ${HEADERS.id.map((h) => JSON.stringify(h)).join(", ")}`);
  }
  const out: RosterEntry[] = [];
  const seen = new Map<string, number>();
  rows.slice(1).forEach((r, i) => {
    const line = i + 2;
    const raw = r[col.id] ?? "";
    if (raw.trim() === "") throw new Error(`${file} line ${line}: no student id`);
    const id = studentIdFrom(raw);
    if (seen.has(id)) throw new Error(`${file} line ${line}: student id ${JSON.stringify(id)} is already on line ${seen.get(id)}`);
    seen.set(id, line);
    const name = col.name >= 0 ? r[col.name] ?? "" : [first, last].filter((c) => c >= 0).map((c) => r[c] ?? "").join(" ").trim();
    out.push({ id, name, email: col.email >= 0 ? r[col.email] ?? "" : "" });
  });
  return out;
}

/** Reads a roster CSV file (see parseRoster); throws for a missing or oversized file. */
export function readRoster(file: string): RosterEntry[] {
  if (!fs.existsSync(file)) throw new Error(`roster not found: ${file}`);
  const size = fs.statSync(file).size;
  if (size > MAX_ROSTER_BYTES) throw new Error(`${file}: the roster is ${size} bytes (limit ${MAX_ROSTER_BYTES})`);
  return parseRoster(fs.readFileSync(file, "utf8"), file);
}
