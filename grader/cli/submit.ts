/** `grader submit`: the student's submission's options and what it prints (the public checks, grader/submit/public-checks.ts, then the zip, grader/submit/submit.ts). */
import { Command } from "commander";
import * as path from "path";
import { loadCourseConfig } from "../core/course";
import { packSubmission } from "../submit/submit";
import { runPublicChecks } from "../submit/public-checks";
import { KIT_ROOT, kitVersion } from "../core/version";

/** Registers `submit` on the CLI program. */
export function registerSubmitCommand(program: Command): void {
  program
    .command("submit")
    .description("run the public checks, then pack your notebooks, bonus model and a manifest into one zip for the LMS")
    .option("-s, --student <id>", "your student id (or set NNKIT_STUDENT)")
    .option("-t, --to <dir>", "also copy the zip into this exchange folder (replacing your earlier one)")
    .option("-o, --out <file>", "where to write the zip (default: <assignment>-<student>.zip in the kit)")
    .option("--no-check", "skip the public checks")
    .addHelpText("after", "\nExit codes: 0 packed and every public check passed; 3 packed but some checks failed; 1 nothing packed.")
    .action(async (opts: { student?: string; to?: string; out?: string; check: boolean }) => {
      const student = opts.student ?? process.env.NNKIT_STUDENT;
      if (!student) throw new Error("say who you are: npm run submit -- --student <your id> (or set NNKIT_STUDENT)");
      const course = loadCourseConfig(path.join(KIT_ROOT, "course.json"));
      let checksPassed = true;
      if (opts.check) {
        checksPassed = runPublicChecks(KIT_ROOT);
        if (!checksPassed) process.stderr.write("warning: some public checks fail; submitting anyway (you can submit again later)\n");
      }
      const r = await packSubmission({
        root: KIT_ROOT, student, assignment: course.assignment, kitVersion: kitVersion(), out: opts.out, to: opts.to,
      });
      const n = Object.keys(r.manifest.files).length;
      process.stdout.write(`submission: ${r.zip} (${n} files${r.strippedOutputs ? `, ${r.strippedOutputs} large outputs stripped` : ""})\n`);
      if (r.copiedTo) process.stdout.write(`copied to: ${r.copiedTo}\n`);
      if (r.manifest.history.length) process.stdout.write(`replaces ${r.manifest.history.length} earlier submission(s); their hashes are kept in the manifest\n`);
      if (!checksPassed) process.exitCode = 3;
    });
}
