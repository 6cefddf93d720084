/**
 * Written answers for manual grading: one HTML page per `written-answer` cell with every
 * student's answer, plus a CSV to fill in (student, question, points, comment) that
 * `grader export manual-import` reads back into the gradebook.
 */
import * as fs from "fs";
import * as path from "path";
import { Gradebook, ManualRow } from "../gradebook";
import { csvField, parseCsv } from "./csv";
import { esc } from "./feedback";

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

/** Reads a manual-points CSV (header student,question,points[,comment]); throws naming the bad line. */
export function parseManualCsv(text: string, file = "manual points CSV"): ManualRow[] {
  const rows = parseCsv(text);
  if (rows.length === 0) throw new Error(`${file} is empty`);
  const header = rows[0].map((h) => h.trim().toLowerCase());
  const col = (name: string): number => header.indexOf(name);
  for (const need of ["student", "question", "points"]) {
    if (col(need) < 0) throw new Error(`${file}: the header needs a "${need}" column (found: ${rows[0].join(", ")})`);
  }
  const out: ManualRow[] = [];
  rows.slice(1).forEach((r, i) => {
    const line = i + 2;
    const points = (r[col("points")] ?? "").trim();
    if (points === "") return; // not graded yet
    const n = Number(points);
    if (!Number.isFinite(n)) throw new Error(`${file} line ${line}: points must be a number, got ${JSON.stringify(points)}`);
    const student = (r[col("student")] ?? "").trim();
    const question = (r[col("question")] ?? "").trim();
    if (!student || !question) throw new Error(`${file} line ${line}: student and question must not be empty`);
    out.push({ student_id: student, question_id: question, points: n, comment: col("comment") >= 0 ? r[col("comment")] ?? "" : "" });
  });
  return out;
}

/** Imports a manual-points CSV into the gradebook; throws for students it does not know. */
export function importManualCsv(gb: Gradebook, file: string): number {
  const rows = parseManualCsv(fs.readFileSync(file, "utf8"), file);
  const known = new Set(gb.students());
  const unknown = [...new Set(rows.map((r) => r.student_id).filter((s) => !known.has(s)))];
  if (unknown.length) throw new Error(`${file}: unknown student(s) not in the gradebook: ${unknown.join(", ")}`);
  return gb.importManual(rows);
}
