/**
 * `grader stats`: per question, how the class did (score distribution, probes failed, common
 * failure messages, grading time). `--out DIR` also writes the HTML page and the CSVs, as
 * `grader export stats` does.
 */
import { Command } from "commander";
import * as fs from "fs";
import * as path from "path";
import { Gradebook } from "../gradebook";
import { writeStatsExport } from "../stats/report";
import { classStats, statsText, type QuestionStat } from "../stats/stats";
import { kitVersion } from "../version";

/** The class statistics of a gradebook file (which must exist). */
export function statsOf(gradebook: string): QuestionStat[] {
  if (!fs.existsSync(gradebook)) throw new Error(`gradebook not found: ${gradebook} (run grade first)`);
  const gb = Gradebook.open(gradebook, kitVersion());
  try {
    return classStats(gb);
  } finally {
    gb.close();
  }
}

/** Registers `stats` on the CLI program. */
export function registerStatsCommand(program: Command): void {
  program
    .command("stats")
    .description("class statistics per question: score distribution, probes failed, common failure messages, grading time")
    .option("-g, --gradebook <file>", "SQLite gradebook", "gradebook.sqlite")
    .option("-o, --out <dir>", "also write stats.html, stats.csv and probes.csv into this folder")
    .option("-t, --title <text>", "title of the HTML page", "Class statistics")
    .action((opts: { gradebook: string; out?: string; title: string }) => {
      const stats = statsOf(opts.gradebook);
      if (stats.length === 0) process.stderr.write("no graded runs in the gradebook yet\n");
      process.stdout.write(statsText(stats));
      if (opts.out) for (const f of writeStatsExport(stats, path.resolve(opts.out), opts.title)) process.stderr.write(`${f}\n`);
    });
}
