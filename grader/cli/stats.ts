/** `grader stats`: the command's options and what it prints; the statistics come from statsOf (grader/gradebook/stats/gradebook-stats.ts). */
import { Command } from "commander";
import * as path from "path";
import { writeStatsExport } from "../gradebook/stats/report";
import { statsText } from "../gradebook/stats/stats";
import { statsOf } from "../gradebook/stats/gradebook-stats";

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
