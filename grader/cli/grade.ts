/** `grader grade DIR`: the command's options and what it prints; the batch itself is gradeFolder (grader/gradebook/grade-folder.ts). */
import { Command } from "commander";
import { assignmentOptions, positiveWholeNumber } from "./options";
import * as path from "path";
import { loadCourseConfig } from "../core/course";
import { readRoster } from "../gradebook/roster";
import { TERM_WORKFLOW } from "./term-workflow";
import { gradeFolder, ISOLATION_NONE } from "../gradebook/grade-folder";

/** Registers `grade` on the CLI program. */
export function registerGradeCommand(program: Command): void {
  const grade = program
    .command("grade")
    .description("grade a folder of submissions (zips, notebooks, or an LMS download with one folder per student) into the gradebook")
    .argument("<dir>", "folder of submissions")
    .option("-g, --gradebook <file>", "SQLite gradebook", "gradebook.sqlite")
    .option("-c, --course <file>", "course config (due date, late rule, CSV columns)", "course.json")
    .option("-j, --workers <n>", "parallel grading workers (default: one per core)", positiveWholeNumber)
    .option("-f, --force", "regrade submissions that are already graded (history is kept)")
    .option("-s, --student <id...>", "grade (or regrade) only these students");
  assignmentOptions(grade)
    .option("--notebook-timeout <seconds>", "time limit per notebook", positiveWholeNumber)
    .option("--cell-timeout <seconds>", "time limit per cell", positiveWholeNumber)
    .option("--memory <mb>", "memory cap per notebook run", positiveWholeNumber)
    .option("--times <file>", "CSV of student id and submission time from the LMS (header row; ISO 8601, \"2026-12-15 23:59\", Moodle's \"Monday, 15 December 2026, 11:59 PM\" or Unix seconds; no zone = the due date's); without it a submission's time is when grade first saw it")
    .option("--roster <file>", "class roster CSV (id, name, email as the LMS exports it): the grades CSV lists every student on it")
    .option("--no-isolation", "run student code without bubblewrap (Node's permission model only), where user namespaces are not available; recorded in every gradebook row")
    .addHelpText("after", "\nExit codes: 0 every submission graded; 1 bad usage or input; 3 some runs failed, timed out or were corrupt or missing (all are in the gradebook with a reason).")
    .addHelpText("after", TERM_WORKFLOW)
    .action(async (dir: string, opts: {
      gradebook: string; course: string; workers?: number; force?: boolean; student?: string[]; specs?: string; masters?: string;
      notebookTimeout?: number; cellTimeout?: number; memory?: number; times?: string; roster?: string; isolation: boolean;
    }) => {
      // read before grading: a bad roster stops here, naming the line, with nothing graded
      const roster = opts.roster ? readRoster(path.resolve(opts.roster)) : undefined;
      const summary = await gradeFolder({
        dir, gradebook: opts.gradebook, course: loadCourseConfig(path.resolve(opts.course)), workers: opts.workers,
        force: opts.force || Boolean(opts.student?.length), students: opts.student, specsDir: opts.specs, mastersDir: opts.masters,
        notebookTimeoutMs: opts.notebookTimeout ? opts.notebookTimeout * 1000 : undefined, memoryMb: opts.memory,
        cellTimeoutMs: opts.cellTimeout ? opts.cellTimeout * 1000 : undefined, timesFile: opts.times, roster, noIsolation: opts.isolation === false,
      });
      const m = summary.masters;
      process.stderr.write(`masters at full marks under this runner: ${m.graded.length + m.cached.length} (${m.cached.length} known from the cache)\n`);
      if (summary.lateByFirstSeen.length > 0) {
        process.stderr.write(`warning: ${summary.lateByFirstSeen.length} submission(s) are late by the time grade first saw them (no --times entry): ` +
          `${summary.lateByFirstSeen.slice(0, 10).join(", ")}${summary.lateByFirstSeen.length > 10 ? ", ..." : ""}; give the LMS's submission times with --times FILE\n`);
      }
      if (opts.isolation === false) process.stderr.write(`graded without isolation (--no-isolation): recorded as "${ISOLATION_NONE}" in every row\n`);
      for (const w of summary.ignored) process.stderr.write(`ignored: ${w}\n`);
      if (summary.roster) {
        const r = summary.roster;
        if (r.missing.length) process.stderr.write(`roster: ${r.missing.length} student(s) without a submission (status "missing" in the CSV)\n`);
        if (r.notOnRoster.length) process.stderr.write(`roster: ${r.notOnRoster.length} submission(s) from ids not on the roster: ${r.notOnRoster.map((id) => JSON.stringify(id)).join(", ")}\n`);
      }
      const c = summary.counts;
      process.stdout.write(
        `${summary.submissions} submissions: ${summary.jobs} notebook runs (graded ${c.graded}, failed ${c.failed}, timed out ${c.timedOut}), ` +
        `${summary.unusable} corrupt or missing, ${summary.skipped} unchanged and skipped, ${summary.resumed} interrupted runs resumed, ${summary.seconds.toFixed(1)} s -> ${opts.gradebook}\n`,
      );
      if (c.failed + c.timedOut + summary.unusable > 0) process.exitCode = 3;
    });
}
