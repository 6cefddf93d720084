#!/usr/bin/env node
/**
 * `grader`: the kit's one command-line program (npm run grader -- <command>, or the aliases
 * npm run release | check | submit | grade | export).
 *
 * Exit codes, for scripts:
 *   0  done, and everything passed or was graded
 *   1  an error stopped the command (message on stderr)
 *   2  bad usage (unknown command or option, missing argument)
 *   3  done, but some results need attention (failed checks, crashed or timed-out runs)
 *
 * Commands are registered only when their module is present, so the student kit (which ships
 * check and submit, not the instructor's commands) runs the same program.
 */
import { Command, CommanderError } from "commander";
import * as fs from "fs";
import * as path from "path";
import { kitVersion } from "../core/version";

/** [module under grader/, the function that registers it] in the order `--help` lists them. */
const COMMANDS: [string, string][] = [
  ["release", "registerReleaseCommand"],
  ["check", "registerCheckCommand"],
  ["submit", "registerSubmitCommand"],
  ["grade", "registerGradeCommand"],
  ["export", "registerExportCommand"],
  ["report", "registerReportCommand"],
  ["bonus", "registerBonusCommand"],
  ["gradescope-run", "registerGradescopeRunCommand"],
  ["gradescope-prepare", "registerGradescopePrepareCommand"],
  ["similarity", "registerSimilarityCommand"],
  ["stats", "registerStatsCommand"],
];

export const EXIT = { ok: 0, error: 1, usage: 2, attention: 3 } as const;

/** The program with every command whose module is present. */
export function buildProgram(): Command {
  const program = new Command("grader")
    .description("ml-exercises-ts: release the student kit, check and submit work, grade a class, export grades")
    .version(kitVersion())
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", "\nExit codes: 0 ok; 1 error; 2 bad usage; 3 done but some checks failed or runs crashed/timed out.");
  for (const [mod, fn] of COMMANDS) {
    const file = path.join(__dirname, mod);
    if (!fs.existsSync(`${file}.ts`) && !fs.existsSync(`${file}.js`)) continue;
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const register = (require(file) as Record<string, unknown>)[fn];
    if (typeof register === "function") (register as (p: Command) => void)(program);
  }
  // every subcommand reports usage errors the same way, with exit code 2
  const override = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  override(program);
  return program;
}

/** Runs the CLI with the given argv and returns its exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    process.stderr.write(`grader: error: ${err instanceof Error ? err.message : String(err)}\n`);
    if (process.env.GRADER_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return EXIT.error;
  }
}

if (require.main === module) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
