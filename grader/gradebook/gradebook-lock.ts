/**
 * One `grade` run per gradebook at a time. A second run on the same gradebook stops at once
 * with a message naming the run that holds it, rather than waiting: a batch can take an hour,
 * a silent wait looks like a hang, and an instructor who starts a second run most likely
 * started the same batch twice (the first run grades what the second would).
 *
 * The lock is an exclusive SQLite transaction on a small file beside the gradebook
 * (<gradebook>.lock), held for the whole run. The operating system drops it when the process
 * ends in any way (kill -9 included), so there is no stale lock to clean up and a killed batch
 * is resumed by the next run as before. Who holds it is written to <gradebook>.lock.json for
 * the message.
 */
import Database from "better-sqlite3";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface GradebookLock {
  file: string;
  release(): void;
}

/** The lock file of a gradebook. */
export function lockFileOf(gradebook: string): string {
  return `${path.resolve(gradebook)}.lock`;
}

function holderText(infoFile: string): string {
  try {
    const info = JSON.parse(fs.readFileSync(infoFile, "utf8")) as { pid?: unknown; host?: unknown; since?: unknown };
    return `pid ${String(info.pid)} on ${String(info.host)}, since ${String(info.since)}`;
  } catch {
    return "a run that is just starting";
  }
}

/**
 * Takes the gradebook's lock or throws naming the run that holds it. Released by `release()`,
 * and by the operating system when the process ends.
 */
export function lockGradebook(gradebook: string): GradebookLock {
  const file = lockFileOf(gradebook);
  const infoFile = `${file}.json`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma("busy_timeout = 0");
    db.exec("BEGIN EXCLUSIVE");
  } catch (e) {
    db.close();
    if ((e as { code?: string }).code !== "SQLITE_BUSY") throw e;
    throw new Error(
      `gradebook ${gradebook} is being graded by another grade run (${holderText(infoFile)}): ` +
      "this run stops rather than grade the same submissions twice; wait for that run to finish (or stop it), then run grade again.",
    );
  }
  fs.writeFileSync(infoFile, JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() }));
  let released = false;
  return {
    file,
    release(): void {
      if (released) return;
      released = true;
      fs.rmSync(infoFile, { force: true });
      db.exec("ROLLBACK");
      db.close();
    },
  };
}
