/** `grader export <what>`: the command's options; each export is runExport (grader/export/run-export.ts). */
import { Command } from "commander";
import { assignmentOptions } from "./options";
import { ExportOptions, runExport, WHAT } from "../export/run-export";

/** Registers `export` on the CLI program. */
export function registerExportCommand(program: Command): void {
  const exportCommand = program
    .command("export")
    .description("export the gradebook: csv | feedback | written | manual-import FILE | gradescope | all | stats")
    .argument("<what>", WHAT.join(" | "))
    .argument("[file]", "the CSV to import (manual-import)")
    .option("-g, --gradebook <file>", "SQLite gradebook", "gradebook.sqlite")
    .option("-c, --course <file>", "course config (assignment name, CSV columns)", "course.json")
    .option("-o, --out <dir>", "output folder", "export");
  assignmentOptions(exportCommand, "its master notebooks, for the Gradescope zip (default: notebooks/)")
    .addHelpText("after", `
Files: <out>/grades.csv, <out>/feedback/<student>.html, <out>/written/<cell id>.html and
<out>/written/manual-points.csv (fill in points and comments, then export manual-import it),
<out>/gradescope-autograder.zip (upload as the assignment's autograder on Gradescope),
<out>/stats/stats.html, stats.csv and probes.csv (class statistics per question).`)
    .action(async (what: string, file: string | undefined, opts: ExportOptions) => {
      const files = await runExport(what, file, opts);
      for (const f of files) process.stdout.write(`${f}\n`);
    });
}
