/**
 * Before packing, the student's `submit` runs the public checks (`grader check`) over the kit, so
 * that the student sees their table first. They run as their own process, as the student would
 * run them: the submit stage starts the command rather than importing the check (a later stage).
 */
import { spawnSync } from "child_process";
import * as path from "path";

/** Runs the public checks of the kit at `root` in a child process, its output on this terminal; true when they all pass. */
export function runPublicChecks(root: string): boolean {
  const r = spawnSync(process.execPath, ["-r", "tsx/cjs", path.join(root, "grader", "cli", "main.ts"), "check"], {
    cwd: root,
    stdio: "inherit",
  });
  return r.status === 0;
}
