/**
 * Two `grade` runs on one gradebook at once (issue 15.7), with real processes: the second one
 * stops at once with a message naming the run that holds the gradebook, and writes nothing; the
 * first finishes normally; the lock is gone afterwards, also after a kill -9.
 */
import Database from "better-sqlite3";
import { expect } from "chai";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { lockFileOf, lockGradebook } from "../../grader/gradebook/gradebook-lock";
import { KIT_ROOT } from "../../grader/core/version";
import { FIXTURE_MASTERS, FIXTURE_SPECS, grader, makeZip, masterWith, TINY, tmpDir } from "./helpers";

/**
 * A cell that keeps the run going for a few seconds, so that a second run can meet the first. It
 * sleeps rather than spins: the window is the same, without taking a core from the rest of the suite.
 */
const SLOW = "await new Promise((resolve) => setTimeout(resolve, 6000));\nconsole.log(squareAll([1, 2, 3]).join(\" \"));";

function count(gbFile: string, sql: string): number {
  if (!fs.existsSync(gbFile)) return 0;
  try {
    const db = new Database(gbFile, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare(sql).get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // no schema yet
  }
}

interface Running {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
}

function startGrade(args: string[]): Running {
  const child = spawn(process.execPath, ["-r", "tsx/cjs", path.join(KIT_ROOT, "grader", "cli", "main.ts"), ...args], { cwd: KIT_ROOT, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, stderr: () => err };
}

/** Resolves once the gradebook has a job in the running state (the first run is grading). */
async function untilRunning(gbFile: string, run: Running): Promise<void> {
  while (count(gbFile, "SELECT COUNT(*) AS n FROM jobs WHERE state = 'running'") === 0) {
    if (run.child.exitCode !== null) throw new Error(`the first grade run ended before it graded: ${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("one grade run per gradebook", function () {
  this.timeout(600_000);
  let tmp: string;
  let subs: string;
  let gbFile: string;
  let args: string[];

  before(() => {
    tmp = tmpDir("lock");
    subs = path.join(tmp, "subs");
    fs.mkdirSync(subs);
    gbFile = path.join(tmp, "gradebook.sqlite");
    // the fixture's zips are made for the assignment "tiny": grade checks that against the course
    const course = path.join(tmp, "course.json");
    fs.writeFileSync(course, JSON.stringify({ assignment: "tiny" }));
    makeZip(path.join(subs, "slow.zip"), "slow", { [TINY]: JSON.stringify(masterWith({ "square-demo": SLOW })) });
    args = ["grade", subs, "-g", gbFile, "-c", course, "--specs", FIXTURE_SPECS, "--masters", FIXTURE_MASTERS, "--workers", "1", "--cell-timeout", "60"];
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("stops a second run at once, naming the first, and lets the first finish", async () => {
    const first = startGrade(args);
    await untilRunning(gbFile, first);
    const second = grader(args);
    expect(second.code, second.err).to.equal(1);
    expect(second.err).to.include(`grader: error: gradebook ${gbFile} is being graded by another grade run (pid ${first.child.pid} on `);
    expect(second.err).to.include("wait for that run to finish (or stop it), then run grade again");
    // the second run wrote nothing: still the one job of the first run, running
    expect(count(gbFile, "SELECT COUNT(*) AS n FROM jobs")).to.equal(1);
    expect(await first.exited, first.stderr()).to.equal(0);
    expect(count(gbFile, "SELECT COUNT(*) AS n FROM runs")).to.equal(1);
    expect(count(gbFile, "SELECT COUNT(*) AS n FROM runs WHERE score = 3")).to.equal(1);
    // released: the next run takes it and finds nothing to do
    const third = grader(args);
    expect(third.code, third.err).to.equal(0);
    expect(third.out).to.match(/1 unchanged and skipped/);
    expect(fs.existsSync(`${lockFileOf(gbFile)}.json`)).to.equal(false);
  });

  it("is released by the operating system when the run holding it is killed with kill -9", async () => {
    const holder = startGrade([...args, "--force"]);
    await untilRunning(gbFile, holder);
    expect(() => lockGradebook(gbFile)).to.throw(new RegExp(`pid ${holder.child.pid} on`));
    holder.child.kill("SIGKILL");
    await holder.exited;
    const lock = lockGradebook(gbFile); // no stale lock left behind
    lock.release();
    const resumed = grader(args);
    expect(resumed.code, resumed.err).to.equal(0);
    expect(resumed.out).to.match(/1 interrupted runs resumed/);
    expect(count(gbFile, "SELECT COUNT(*) AS n FROM runs")).to.equal(2);
  });
});
