/**
 * Written answers for manual grading: one HTML page per `written-answer` cell with every
 * student's answer, plus a CSV to fill in (student, question, points, comment) that
 * `grader export manual-import` reads back into the gradebook.
 */
import * as fs from "fs";
import * as path from "path";
import { Gradebook, ManualRow } from "../gradebook/gradebook";
import { csvField, parseCsv } from "./csv";
import { esc } from "./feedback";
import type { NotebookSpec } from "../core/spec";

/** Writes written/<cell id>.html per question and written/manual-points.csv; returns the pages. */
export function writeWrittenPages(gb: Gradebook, outDir: string, assignment: string): string[] {
  fs.mkdirSync(outDir, { recursive: true });
  const pages: string[] = [];
  const template = ["student,question,points,comment"];
  for (const { notebook, cellId } of gb.writtenCells()) {
    const answers = gb.writtenAnswers(cellId).filter((a) => a.notebook === notebook);
    let body = `<h1>${esc(assignment)}: written answer <code>${esc(cellId)}</code> (${esc(notebook)})</h1><p>${answers.length} answers.</p>`;
    for (const a of answers) {
      body += `<section id="${esc(a.student)}"><h2>${esc(a.student)}</h2><pre>${esc(a.text)}</pre></section>`;
      template.push([a.student, cellId, "", ""].map(csvField).join(","));
    }
    const file = path.join(outDir, `${cellId}.html`);
    fs.writeFileSync(file, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(cellId)}</title>` +
      `<style>body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto}pre{white-space:pre-wrap;background:#f6f8fa;padding:.5rem}</style>` +
      `</head><body>${body}</body></html>\n`);
    pages.push(file);
  }
  fs.writeFileSync(path.join(outDir, "manual-points.csv"), template.join("\n") + "\n");
  return pages;
}

/** A manual-points line as read, before it is checked against the assignment and the gradebook. */
interface ManualLine {
  line: number;
  row: ManualRow;
}

/** Reads the lines of a manual-points CSV; errors (each naming its line) are collected, not thrown. */
function readManualLines(text: string, file: string): { lines: ManualLine[]; errors: string[] } {
  const rows = parseCsv(text);
  if (rows.length === 0) throw new Error(`${file} is empty`);
  const header = rows[0].map((h) => h.trim().toLowerCase());
  const col = (name: string): number => header.indexOf(name);
  for (const need of ["student", "question", "points"]) {
    if (col(need) < 0) throw new Error(`${file}: the header needs a "${need}" column (found: ${rows[0].join(", ")})`);
  }
  const lines: ManualLine[] = [];
  const errors: string[] = [];
  rows.slice(1).forEach((r, i) => {
    const line = i + 2;
    const points = (r[col("points")] ?? "").trim();
    if (points === "") return; // not graded yet
    const n = Number(points);
    const student = (r[col("student")] ?? "").trim();
    const question = (r[col("question")] ?? "").trim();
    if (!Number.isFinite(n)) errors.push(`${file} line ${line}: points must be a number, got ${JSON.stringify(points)}`);
    else if (!student || !question) errors.push(`${file} line ${line}: student and question must not be empty`);
    else lines.push({ line, row: { student_id: student, question_id: question, points: n, comment: col("comment") >= 0 ? r[col("comment")] ?? "" : "" } });
  });
  return { lines, errors };
}

/** Reads a manual-points CSV (header student,question,points[,comment]); throws naming the bad line(s). */
export function parseManualCsv(text: string, file = "manual points CSV"): ManualRow[] {
  const { lines, errors } = readManualLines(text, file);
  if (errors.length) throw new Error(errors.join("\n"));
  return lines.map((l) => l.row);
}

/** The questions graded by hand in an assignment: written-answer cell id -> its notebook and maximum points. */
export function writtenQuestions(specs: NotebookSpec[]): Map<string, { notebook: string; max: number }> {
  const out = new Map<string, { notebook: string; max: number }>();
  for (const s of specs) for (const w of s.written ?? []) out.set(w.cell, { notebook: s.notebook, max: w.points });
  return out;
}

/**
 * Imports a manual-points CSV into the gradebook. Every line is checked first: points must be a
 * number from 0 to the written question's maximum (from its spec's `written` list), the question
 * must be a written question of the assignment (an autograded one has its points already) and the
 * student must be in the gradebook; a student and question given twice is refused too. Any bad
 * line and nothing is imported; the error names every bad line and why.
 */
export function importManualCsv(gb: Gradebook, file: string, specs: NotebookSpec[]): number {
  const { lines, errors } = readManualLines(fs.readFileSync(file, "utf8"), file);
  const written = writtenQuestions(specs);
  const autograded = new Set(specs.flatMap((s) => s.questions.map((q) => q.id)));
  const known = new Set(gb.students());
  const seen = new Map<string, number>();
  const writtenIds = [...written.keys()].join(", ") || "none in this assignment";
  for (const { line, row } of lines) {
    const at = `${file} line ${line}`;
    const q = written.get(row.question_id);
    if (!known.has(row.student_id)) errors.push(`${at}: unknown student(s) not in the gradebook: ${row.student_id}`);
    if (!q) {
      errors.push(autograded.has(row.question_id)
        ? `${at}: question ${JSON.stringify(row.question_id)} is autograded; manual points are for written questions (${writtenIds})`
        : `${at}: unknown question id ${JSON.stringify(row.question_id)} (written questions: ${writtenIds})`);
    } else if (row.points < 0) errors.push(`${at}: points ${row.points} are negative (allowed: 0 to ${q.max})`);
    else if (row.points > q.max) errors.push(`${at}: points ${row.points} are above the maximum of ${row.question_id} (${q.max})`);
    const key = `${row.student_id}\u0000${row.question_id}`;
    const first = seen.get(key);
    if (first !== undefined) errors.push(`${at}: ${row.student_id} and ${row.question_id} were already given on line ${first}`);
    else seen.set(key, line);
  }
  if (errors.length) throw new Error(`nothing imported: ${errors.length} bad line(s):\n${errors.sort(byLine).join("\n")}`);
  return gb.importManual(lines.map((l) => l.row));
}

/** Orders error messages by the line number they name. */
function byLine(a: string, b: string): number {
  const n = (s: string): number => Number(/ line (\d+):/.exec(s)?.[1] ?? 0);
  return n(a) - n(b);
}
