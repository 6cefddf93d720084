/** `grader gradescope-prepare` (hidden; the autograder's setup.sh calls it): its options; the work is prepareGradescope (grader/export/gradescope-prepare.ts). */
import { Command } from "commander";
import * as fs from "fs";
import * as path from "path";
import type { GradescopeConfig } from "../export/gradescope";
import { prepareGradescope } from "../export/gradescope-prepare";

/** Registers the hidden `gradescope-prepare` command. */
export function registerGradescopePrepareCommand(program: Command): void {
  program
    .command("gradescope-prepare", { hidden: true })
    .description("build the runner and the expected values once, in the autograder image (called by its setup.sh)")
    .option("--config <file>", "gradescope.json of the exported kit", "gradescope.json")
    .action(async (opts: { config: string }) => {
      const config = fs.existsSync(opts.config) ? (JSON.parse(fs.readFileSync(opts.config, "utf8")) as GradescopeConfig) : {};
      await prepareGradescope(config, path.dirname(path.resolve(opts.config)), (l) => process.stdout.write(`${l}\n`));
    });
}
