/** `grader release`: builds the student kit (see grader/release/release.ts). */
import { Command } from "commander";
import { assignmentOptions } from "./options";
import * as path from "path";
import { loadAssignment } from "../judge/assignment";
import { buildRelease } from "../release/release";
import { KIT_ROOT } from "../core/version";

/** Registers `release` on the CLI program. */
export function registerReleaseCommand(program: Command): void {
  const release = program
    .command("release")
    .description("build the student kit: notebooks without solutions, src, public checks, check/submit, README, setup.sh")
    .option("-o, --out <dir>", "where to build the kit", "release")
    .option("--tar", "also pack the kit as <out>.tar.gz");
  assignmentOptions(release)
    .option("--checks <dir>", "its public checks (default: checks/)")
    .addHelpText("after", "\nThe release fails (exit 1) if any solution line or hidden probe would end up in the kit.")
    .action((opts: { out: string; tar?: boolean; specs?: string; masters?: string; checks?: string }) => {
      const result = buildRelease({
        root: KIT_ROOT,
        out: path.resolve(opts.out),
        specs: loadAssignment(opts.specs),
        mastersDir: opts.masters && path.resolve(opts.masters),
        checksDir: opts.checks && path.resolve(opts.checks),
        tarball: opts.tar,
      });
      process.stdout.write(`student kit: ${result.out} (${result.files.length} files, checked for leaks)\n`);
      if (result.tarball) process.stdout.write(`tarball: ${result.tarball}\n`);
    });
}
