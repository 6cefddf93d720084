/** `grader gradescope-run` (hidden; Gradescope's run_autograder calls it): its options; the grading is runGradescope (grader/export/gradescope-run.ts). */
import { Command } from "commander";
import * as fs from "fs";
import * as path from "path";
import { GradescopeConfig } from "../export/gradescope";
import { runGradescope } from "../export/gradescope-run";

/** Registers the hidden `gradescope-run` command. */
export function registerGradescopeRunCommand(program: Command): void {
  program
    .command("gradescope-run", { hidden: true })
    .description("grade one Gradescope submission folder into results.json (called by run_autograder)")
    .requiredOption("--submission <dir>", "the submission folder")
    .requiredOption("--results <file>", "results.json to write")
    .option("--config <file>", "gradescope.json of the exported kit", "gradescope.json")
    .action(async (opts: { submission: string; results: string; config: string }) => {
      const config = fs.existsSync(opts.config) ? (JSON.parse(fs.readFileSync(opts.config, "utf8")) as GradescopeConfig) : {};
      const r = await runGradescope(opts.submission, opts.results, config, path.dirname(path.resolve(opts.config)));
      process.stdout.write(`score ${r.score} -> ${opts.results}\n`);
    });
}
