/** `grader check [notebooks...]` (npm run check): the command's options; the checks themselves are runCheck (grader/export/check.ts). */
import { Command } from "commander";
import { ISOLATION_ENV } from "../run/isolation";
import { runCheck } from "../export/check";

/** Registers `check [notebooks...]` on the grader CLI. */
export function registerCheckCommand(program: Command): void {
  program
    .command("check")
    .description("run the public checks on your notebooks, sandboxed like the real grader (exit 0: all passed, 3: some failed)")
    .argument("[notebooks...]", "notebooks to check (default: all of notebooks/)")
    .option("--json", "print the results as JSON (per question: what the feedback shows)")
    .action(async (notebooks: string[], options: { json?: boolean }) => {
      // A student's own machine may lack bubblewrap or user namespaces: check then runs with
      // Node's permission model only and says so once (grader/run/isolation.ts), unless told otherwise.
      if (!process.env[ISOLATION_ENV]) process.env[ISOLATION_ENV] = "fallback";
      process.exitCode = await runCheck(notebooks, { json: options.json });
    });
}
