/** `grader bonus DIR`: the command's options; the competition itself is runBonusBatch (grader/gradebook/bonus-batch.ts). */
import { Command } from "commander";
import { runBonusBatch, type BonusBatchOptions } from "../gradebook/bonus-batch";
import { assignmentOptions, fraction, positiveWholeNumber } from "./options";

/** Registers `bonus` on the CLI program. */
export function registerBonusCommand(program: Command): void {
  const bonus = program
    .command("bonus")
    .description("measure every submission's saved bonus model on the test set and rank them")
    .argument("<dir>", "folder of submissions (as for grade)")
    .option("--limit <n>", "evaluate on the first n test images only (quick look)", positiveWholeNumber)
    .option("--threshold <accuracy>", "accuracy needed to qualify (default: grader/judge/bonus.ts's)", fraction)
    .option("--reproduce <n>", "rerun the bonus cell of the top n ranked students with their seeds", positiveWholeNumber);
  assignmentOptions(bonus)
    .option("-g, --gradebook <file>", "store the results in this gradebook (CSV, report and feedback show them)", "gradebook.sqlite")
    .option("--no-store", "only print the ranking, store nothing")
    .option("-c, --course <file>", "course config (its assignment name turns <assignment>-<id>.zip into the id grade uses)", "course.json")
    .action(async (dir: string, opts: BonusBatchOptions) => {
      const reproduced = await runBonusBatch(dir, opts, (line) => process.stdout.write(line + "\n"));
      if (!reproduced) process.exitCode = 3;
    });
}
