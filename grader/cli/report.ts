/** `grader report`: the command's options and what it prints; the lines come from reportLines (grader/export/report.ts). */
import { Command } from "commander";
import { reportLines } from "../export/report";

/** Registers `report` on the CLI program. */
export function registerReportCommand(program: Command): void {
  program
    .command("report")
    .description("print the gradebook: one line per student, or a student's full grading history")
    .option("-g, --gradebook <file>", "SQLite gradebook", "gradebook.sqlite")
    .option("-s, --student <id>", "show every run of this student")
    .option("--specs <dir>", "spec modules of another assignment (default: grader/specs)")
    .action((opts: { gradebook: string; student?: string; specs?: string }) => {
      process.stdout.write(reportLines(opts.gradebook, opts).join("\n") + "\n");
    });
}
