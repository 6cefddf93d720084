/**
 * `grader export <what>`: the gradebook's results for the outside world. `csv` (the LMS, columns
 * from course.json), `feedback` (an HTML page per student), `written` (one page per written
 * question + a CSV to fill in), `manual-import FILE` (points and comments back in),
 * `gradescope` (the autograder zip), `all` (csv, feedback and written).
 */
import * as fs from "fs";
import * as path from "path";
import { loadAssignment, maxScore } from "../judge/assignment";
import { loadCourseConfig } from "../core/course";
import { checkColumns, gradesCsv } from "./csv";
import { writeFeedbackPages } from "./feedback";
import { buildGradescopeZip } from "./gradescope";
import { summarizeAll } from "./summary";
import { importManualCsv, writeWrittenPages } from "./written";
import { Gradebook } from "../gradebook/gradebook";
import { writeStatsExport } from "../gradebook/stats/report";
import { classStats } from "../gradebook/stats/stats";
import { KIT_ROOT, kitVersion } from "../core/version";

export const WHAT = ["csv", "feedback", "written", "manual-import", "gradescope", "all", "stats"];

export interface ExportOptions {
  gradebook: string;
  course: string;
  out: string;
  specs?: string;
  masters?: string;
}

/** Runs one export; returns the files written. */
export async function runExport(what: string, file: string | undefined, o: ExportOptions): Promise<string[]> {
  if (!WHAT.includes(what)) throw new Error(`unknown export ${JSON.stringify(what)}: use one of ${WHAT.join(", ")}`);
  if (what === "gradescope") {
    const out = path.join(o.out, "gradescope-autograder.zip");
    await buildGradescopeZip({ root: KIT_ROOT, out, specsDir: o.specs && path.resolve(o.specs), mastersDir: o.masters && path.resolve(o.masters) });
    return [out];
  }
  if (!fs.existsSync(o.gradebook)) throw new Error(`gradebook not found: ${o.gradebook} (run grade first)`);
  const course = loadCourseConfig(path.resolve(o.course));
  const gb = Gradebook.open(o.gradebook, kitVersion());
  try {
    if (what === "manual-import") {
      if (!file) throw new Error("manual-import needs the CSV file: grader export manual-import points.csv");
      const n = importManualCsv(gb, file, loadAssignment(o.specs));
      process.stdout.write(`imported ${n} manual grade(s) from ${file}\n`);
      return [];
    }
    // insight (issue 20): class statistics, from the gradebook alone
    if (what === "stats") return writeStatsExport(classStats(gb), path.join(o.out, "stats"), `${course.assignment}: class statistics`);
    const specs = loadAssignment(o.specs);
    const notebooks = specs.map((s) => ({ notebook: s.notebook, max: maxScore(s) }));
    const summaries = summarizeAll(gb, notebooks);
    const written: string[] = [];
    fs.mkdirSync(o.out, { recursive: true });
    if (what === "csv" || what === "all") {
      checkColumns(course.csv.columns);
      const f = path.join(o.out, "grades.csv");
      // with a roster, every row says whether its student is on it (unless the course's columns already do)
      const columns = gb.roster().length && !course.csv.columns.some((c) => c.value === "roster")
        ? [...course.csv.columns, { header: "On roster", value: "roster" }] : course.csv.columns;
      fs.writeFileSync(f, gradesCsv(summaries, columns));
      written.push(f);
    }
    if (what === "feedback" || what === "all") written.push(...writeFeedbackPages(gb, summaries, path.join(o.out, "feedback"), course.assignment));
    if (what === "written" || what === "all") {
      written.push(...writeWrittenPages(gb, path.join(o.out, "written"), course.assignment), path.join(o.out, "written", "manual-points.csv"));
    }
    return written;
  } finally {
    gb.close();
  }
}
