/**
 * One self-contained HTML feedback page per student: per notebook and question the points,
 * each failed public probe as expected versus got, the hint, manual points and comments, and
 * the cells' own output of a run that crashed or timed out. Everything about a question comes
 * from its student view (./student-view.ts): of a hidden probe only that it failed.
 */
import * as fs from "fs";
import * as path from "path";
import type { Gradebook } from "../gradebook/gradebook";
import { bonusFeedbackSection } from "../gradebook/gradebook-bonus";
import { failedCellNotes, hiddenLine, studentLog, studentQuestionView, studentReason, type StudentQuestionView } from "./student-view";
import { fileNameFor } from "../core/student-id";
import type { StudentSummary } from "./summary";
import { classMedians } from "../gradebook/stats/stats";

/** Escapes text for HTML. */
export function esc(text: unknown): string {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Plain data shown compactly, cut at `max` characters. */
export function shortJson(v: unknown, max = 600): string {
  const s = v === undefined ? "(none)" : JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max)}… (${s.length} characters)` : s;
}

/** The last lines of a log (a runaway print loop must not make a 100 MB page). */
export function tailLog(log: string, maxChars = 20_000): string {
  return log.length > maxChars ? `… (${log.length - maxChars} earlier characters cut)\n${log.slice(-maxChars)}` : log;
}

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
.passed{color:#1a7f37}.failed,.error,.missing,.timeout,.crash,.corrupt,.invalid{color:#b42318}.partial{color:#9a6700}
pre{background:#f6f8fa;padding:.5rem;overflow:auto;max-height:30rem;white-space:pre-wrap}code{font-size:90%}`;

/** The failed public checks (expected versus got) and the count of failed hidden ones, from the student's view. */
function probeRows(view: StudentQuestionView): string {
  let html = "";
  if (view.publicFailures.length) {
    html += `<table class="mismatches"><tr><th>check</th><th>inputs</th><th>expected</th><th>got</th></tr>`;
    for (const p of view.publicFailures) {
      html += `<tr><td><code>${esc(p.check)}</code>${p.message ? `<br>${esc(p.message)}` : ""}</td>` +
        `<td><code>${esc(shortJson(p.inputs))}</code></td><td><code>${esc(shortJson(p.expected))}</code></td>` +
        `<td><code>${esc(shortJson(p.got))}</code></td></tr>`;
    }
    html += "</table>";
  }
  const hidden = hiddenLine(view);
  if (hidden) html += `<p>${esc(hidden)}</p>`;
  return html;
}

/** How each source of a submission time reads on the page (grader/submit/submission-times.ts). */
const TIME_SOURCES: Record<string, string> = { "times-file": "time from the course's submission records", "first-seen": "when the grader first received it" };
// insight (issue 20): each question's score beside the class median (grader/gradebook/stats/stats.ts)
function classMedianCell(medians: Map<string, number>, questionId: string): string {
  const m = medians.get(questionId);
  return `<td class="median">${m === undefined ? "" : Math.round(m * 100) / 100}</td>`;
}

/** The feedback page of one student. */
export function feedbackHtml(gb: Gradebook, s: StudentSummary, assignment: string): string {
  const medians = classMedians(gb.db);
  let body = `<h1>${esc(assignment)}: feedback for ${esc(s.student)}</h1>`;
  body += `<p class="total">Score: <b>${s.final}</b> / ${s.max}`;
  if (s.penalty > 0) body += ` (before the late penalty: ${Math.round((s.auto + s.manualTotal) * 100) / 100}; ${s.lateDays} day(s) late, −${Math.round(s.penalty * 100)}%)`;
  body += "</p>";
  if (s.submittedAt) body += `<p>Submitted ${esc(s.submittedAt)} (${esc(TIME_SOURCES[s.timeSource ?? ""] ?? `time from the ${s.timeSource ?? "file"}`)}).</p>`;
  if (s.claimedAt) body += `<p>Time in your submission's manifest: ${esc(s.claimedAt)} (shown only; lateness uses the time above).</p>`;
  for (const nb of s.notebooks) {
    body += `<h2>${esc(nb.notebook)}: ${nb.score} / ${nb.max} <span class="${esc(nb.status)}">${esc(nb.status)}</span></h2>`;
    if (nb.runId === null) continue;
    const cells = gb.cells(nb.runId);
    const failedCells = cells.filter((c) => !c.ok);
    if (failedCells.length) {
      // The grader runs the cells after one that raised (as nbgrader does); Jupyter's Run All does not.
      const notes = failedCellNotes(failedCells);
      body += `<p>Cells that failed (the grader went on without them):</p><ul class="failed-cells">` +
        failedCells.map((c, i) => `<li><code>${esc(c.id)}</code>: ${esc(notes[i])}</li>`).join("") + "</ul>";
    }
    if (nb.status !== "graded" || failedCells.length) {
      const run = gb.currentRuns(s.student).find((r) => r.id === nb.runId);
      if (nb.status !== "graded") body += `<p class="reason">${esc(studentReason(nb.reason ?? undefined) ?? nb.status)}</p>`;
      const log = run?.log ? studentLog(run.log) : "";
      if (log.trim()) body += `<details${nb.status !== "graded" ? " open" : ""}><summary>log of the run</summary><pre>${esc(tailLog(log))}</pre></details>`;
    }
    body += `<table class="questions"><tr><th>question</th><th>points</th><th>class median</th><th>result</th></tr>`;
    for (const q of gb.questions(nb.runId).map(studentQuestionView)) {
      body += `<tr id="q-${esc(q.id)}"><td><b>${esc(q.title)}</b> <code>${esc(q.id)}</code></td><td>${q.score} / ${q.points}</td>` +
        classMedianCell(medians, q.id) +
        `<td><span class="${esc(q.status)}">${esc(q.status)}</span>`;
      if (q.status !== "passed") {
        if (q.summary) body += `<br>${esc(q.summary)}`;
        body += probeRows(q);
        if (q.hint) body += `<p class="hint">Hint: ${esc(q.hint)}</p>`;
      }
      body += "</td></tr>";
    }
    body += "</table>";
  }
  const manual = Object.entries(s.manual);
  if (manual.length) {
    body += `<h2>Manually graded: ${s.manualTotal}</h2><table class="manual"><tr><th>question</th><th>points</th><th>comment</th></tr>`;
    for (const [q, m] of manual) body += `<tr><td>${esc(q)}</td><td>${m.points}</td><td>${esc(m.comment)}</td></tr>`;
    body += "</table>";
  }
  // bonus section (release engineer, issue 16.6): rendered by gradebook-bonus.ts
  body += bonusFeedbackSection(s.bonus, esc);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(assignment)}: ${esc(s.student)}</title><style>${STYLE}</style></head><body>${body}</body></html>\n`;
}

/** Writes feedback/<fileNameFor(student)>.html for every summary (any id gives a short, unique name); returns the files written. */
export function writeFeedbackPages(gb: Gradebook, summaries: StudentSummary[], outDir: string, assignment: string): string[] {
  fs.mkdirSync(outDir, { recursive: true });
  return summaries.map((s) => {
    const file = path.join(outDir, `${fileNameFor(s.student)}.html`);
    fs.writeFileSync(file, feedbackHtml(gb, s, assignment));
    return file;
  });
}
