/**
 * `grader bonus DIR`: the bonus competition in one command. Finds every submission's saved
 * bonus model (as `grade` finds submissions), has grader/judge/bonus.ts measure its test accuracy in
 * the sandbox, prints the ranking, and with `--reproduce N` reruns the top N students' bonus
 * cells with their saved seeds to see whether the accuracy is reproducible.
 */
import { Command } from "commander";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadAssignment } from "../judge/assignment";
import { BONUS_DIR, BONUS_NOTEBOOK, bonusReport, formatBonusReport, reproduceBonus, type BonusSubmission } from "../judge/bonus";
import { loadCourseConfig } from "../core/course";
import { discoverSubmissions } from "../submit/discover";
import { Gradebook } from "../gradebook/gradebook";
import { storeBonusReport, storeBonusReproduction } from "../gradebook/gradebook-bonus";
import { intakeSubmission } from "../submit/intake";
import { fileNameFor } from "../core/student-id";
import { kitVersion } from "../core/version";
import { fraction, wholeNumber } from "./options";

const count = wholeNumber(1);

/** Registers `bonus` on the CLI program. */
export function registerBonusCommand(program: Command): void {
  program
    .command("bonus")
    .description("measure every submission's saved bonus model on the test set and rank them")
    .argument("<dir>", "folder of submissions (as for grade)")
    .option("--limit <n>", "evaluate on the first n test images only (quick look)", count)
    .option("--threshold <accuracy>", "accuracy needed to qualify (default: grader/judge/bonus.ts's)", fraction)
    .option("--reproduce <n>", "rerun the bonus cell of the top n ranked students with their seeds", count)
    .option("--specs <dir>", "spec modules of another assignment (default: grader/specs)")
    .option("--masters <dir>", "its master notebooks (default: notebooks/)")
    .option("-g, --gradebook <file>", "store the results in this gradebook (CSV, report and feedback show them)", "gradebook.sqlite")
    .option("--no-store", "only print the ranking, store nothing")
    .option("-c, --course <file>", "course config (its assignment name turns <assignment>-<id>.zip into the id grade uses)", "course.json")
    .action(async (dir: string, opts: { limit?: number; threshold?: number; reproduce?: number; specs?: string; masters?: string; gradebook: string; store: boolean; course: string }) => {
      const notebooks = loadAssignment(opts.specs).map((s) => s.notebook);
      const work = fs.mkdtempSync(path.join(os.tmpdir(), "grader-bonus-"));
      try {
        // the same ids as grade gives them, so the stored results land on the right rows
        const { submissions } = discoverSubmissions(dir, notebooks, { assignment: loadCourseConfig(path.resolve(opts.course)).assignment });
        const entries: (BonusSubmission & { notebook: string | null })[] = [];
        for (const s of submissions) {
          const target = path.join(work, fileNameFor(s.student));
          let notebook: string | null = null;
          if (!s.problem) {
            try {
              // read in the intake worker with its limits: a zip bomb is "no valid model", not a dead command
              const r = await intakeSubmission(s, target, notebooks);
              notebook = r.ok ? r.notebooks[BONUS_NOTEBOOK] ?? null : null;
            } catch {
              // an unusable zip: bonusReport lists the student with "no valid model"
            }
          }
          entries.push({ student: s.student, modelDir: path.join(target, "notebooks", BONUS_DIR), notebook });
        }
        const report = await bonusReport(entries, { limit: opts.limit, threshold: opts.threshold });
        process.stdout.write(formatBonusReport(report) + "\n");
        const gb = opts.store ? Gradebook.open(opts.gradebook, kitVersion()) : undefined;
        if (gb) {
          try {
            storeBonusReport(gb.db, report);
          } finally {
            gb.close();
          }
          process.stdout.write(`bonus results of ${report.entries.length} student(s) stored in ${opts.gradebook}\n`);
        }
        const ranked = report.entries.filter((e) => e.status === "ranked").slice(0, opts.reproduce ?? 0);
        for (const e of ranked) {
          const entry = entries.find((x) => x.student === e.student);
          if (!entry?.notebook) continue;
          try {
            const r = await reproduceBonus(entry.notebook, entry.modelDir, {
              student: e.student, savedAccuracy: e.accuracy, limit: opts.limit,
              masterPath: opts.masters ? path.join(opts.masters, BONUS_NOTEBOOK) : undefined,
            });
            if (opts.store) {
              const book = Gradebook.open(opts.gradebook, kitVersion());
              try {
                storeBonusReproduction(book.db, e.student, r.rerunAccuracy);
              } finally {
                book.close();
              }
            }
            process.stdout.write(`reproduce ${e.student}: saved ${r.savedAccuracy.toFixed(4)}, rerun ${r.rerunAccuracy.toFixed(4)} (${r.difference >= 0 ? "+" : ""}${r.difference.toFixed(4)}), ${r.seconds.toFixed(0)} s\n`);
          } catch (err) {
            process.stdout.write(`reproduce ${e.student}: failed: ${(err as Error).message}\n`);
            process.exitCode = 3;
          }
        }
      } finally {
        fs.rmSync(work, { recursive: true, force: true });
      }
    });
}
