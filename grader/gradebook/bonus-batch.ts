/**
 * The bonus competition over a folder of submissions (`grader bonus DIR` parses its options in
 * grader/cli/bonus.ts). Finds every submission's saved bonus model (as `grade` finds
 * submissions), has grader/judge/bonus.ts measure its test accuracy in the sandbox, stores the
 * ranking in the gradebook, and reruns the top students' bonus cells with their saved seeds to see
 * whether the accuracy is reproducible.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadAssignment } from "../judge/assignment";
import { BONUS_DIR, BONUS_NOTEBOOK, bonusReport, formatBonusReport, reproduceBonus, type BonusSubmission } from "../judge/bonus";
import { loadCourseConfig } from "../core/course";
import { discoverSubmissions } from "../submit/discover";
import { Gradebook } from "./gradebook";
import { storeBonusReport, storeBonusReproduction } from "./gradebook-bonus";
import { intakeSubmission } from "../submit/intake";
import { fileNameFor } from "../core/student-id";
import { kitVersion } from "../core/version";

export interface BonusBatchOptions {
  /** Evaluate on the first n test images only. */
  limit?: number;
  /** Accuracy needed to qualify (default: grader/judge/bonus.ts's). */
  threshold?: number;
  /** Rerun the bonus cell of this many top-ranked students. */
  reproduce?: number;
  specs?: string;
  masters?: string;
  /** The gradebook the results go into, unless `store` is false. */
  gradebook: string;
  store: boolean;
  /** course.json: its assignment name turns <assignment>-<id>.zip into the id grade uses. */
  course: string;
}

/** Ranks the bonus models of the submissions in `dir`, printing through `out`; false when a reproduction failed. */
export async function runBonusBatch(dir: string, opts: BonusBatchOptions, out: (line: string) => void): Promise<boolean> {
  let allReproduced = true;
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
    out(formatBonusReport(report));
    const gb = opts.store ? Gradebook.open(opts.gradebook, kitVersion()) : undefined;
    if (gb) {
      try {
        storeBonusReport(gb.db, report);
      } finally {
        gb.close();
      }
      out(`bonus results of ${report.entries.length} student(s) stored in ${opts.gradebook}`);
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
        out(`reproduce ${e.student}: saved ${r.savedAccuracy.toFixed(4)}, rerun ${r.rerunAccuracy.toFixed(4)} (${r.difference >= 0 ? "+" : ""}${r.difference.toFixed(4)}), ${r.seconds.toFixed(0)} s`);
      } catch (err) {
        out(`reproduce ${e.student}: failed: ${(err as Error).message}`);
        allReproduced = false;
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return allReproduced;
}
