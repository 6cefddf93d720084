/**
 * `grader report`: the gradebook at a glance on the terminal: one line per student (score,
 * late penalty, status), or with `--student` every run of that student (the history).
 */
import * as fs from "fs";
import { loadAssignment, maxScore } from "../judge/assignment";
import { summarizeAll } from "./summary";
import { Gradebook } from "../gradebook/gradebook";
import { bonusText } from "../gradebook/gradebook-bonus";
import { kitVersion } from "../core/version";

/** The report's lines. */
export function reportLines(gradebook: string, opts: { student?: string; specs?: string }): string[] {
  if (!fs.existsSync(gradebook)) throw new Error(`gradebook not found: ${gradebook} (run grade first)`);
  const gb = Gradebook.open(gradebook, kitVersion());
  try {
    if (opts.student) {
      const runs = gb.history(opts.student);
      if (runs.length === 0) throw new Error(`no runs for student ${opts.student}`);
      return runs.map((r) => `${r.graded_at} ${r.notebook} ${r.status} ${r.score}/${r.max_score}${r.reason ? ` (${r.reason})` : ""}` +
        ` ${r.seconds.toFixed(1)} s grader ${r.grader_version}${r.current ? " [current]" : ""}`);
    }
    const specs = loadAssignment(opts.specs);
    const rows = summarizeAll(gb, specs.map((s) => ({ notebook: s.notebook, max: maxScore(s) })));
    const width = Math.max(7, ...rows.map((r) => r.student.length));
    const withBonus = rows.some((r) => r.bonus);
    const lines = [`${"student".padEnd(width)}  final   max  late  status${withBonus ? "  | bonus" : ""}`];
    for (const r of rows) {
      lines.push(`${r.student.padEnd(width)}  ${String(r.final).padStart(5)} ${String(r.max).padStart(5)}  ${r.penalty ? `-${Math.round(r.penalty * 100)}%`.padStart(4) : "    "}  ${r.status}` +
        (withBonus ? `  | ${bonusText(r.bonus) || "-"}` : ""));
    }
    const jobs = gb.jobCounts();
    if (jobs.pending + jobs.running) lines.push(`${jobs.pending + jobs.running} notebook run(s) still queued: run grade again to finish them`);
    return lines;
  } finally {
    gb.close();
  }
}
