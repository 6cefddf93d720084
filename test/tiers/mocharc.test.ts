/**
 * The test tiers of .mocharc.js, read back from mocha itself (a dry run lists what would run,
 * in order): one named file runs alone, the unit tier holds only test/unit, the default run puts
 * the unit tier first and leaves test/system and test/e2e out, and a file in a new folder needs no registration
 * (this one lives in test/tiers/ and is found by the default run).
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");
const MOCHA = path.join(ROOT, "node_modules", "mocha", "bin", "mocha.js");

/** The test files mocha would run, in order, for these arguments and tier. */
function plannedFiles(args: string[], tier?: string): string[] {
  const env = { ...process.env };
  delete env.NNKIT_TEST_TIER;
  // In this process, so that the report lists the files in the order they run.
  env.NNKIT_TEST_JOBS = "1";
  if (tier) env.NNKIT_TEST_TIER = tier;
  const r = spawnSync(process.execPath, [MOCHA, "--dry-run", "--reporter", "json", ...args], { cwd: ROOT, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  expect(r.status, r.stderr).to.equal(0);
  const report = JSON.parse(r.stdout.slice(r.stdout.indexOf("{"))) as { tests: { file: string }[] };
  const files: string[] = [];
  for (const t of report.tests) {
    const rel = path.relative(ROOT, t.file);
    if (files[files.length - 1] !== rel) files.push(rel);
  }
  return files;
}

describe("test tiers (.mocharc.js)", function () {
  this.timeout(300_000);

  it("runs only the file named on the command line, options and their values aside", () => {
    expect(plannedFiles(["test/unit/lib/random.test.ts"])).to.deep.equal(["test/unit/lib/random.test.ts"]);
    expect(plannedFiles(["--timeout", "5000", "test/unit/lib/random.test.ts", "-g", "seed"])).to.deep.equal(["test/unit/lib/random.test.ts"]);
  });

  it("runs every test file below a folder named on the command line, its subfolders' too", () => {
    const unit = plannedFiles([], "unit");
    expect(unit.some((f) => path.dirname(f) !== "test/unit"), "the unit tier has subfolders").to.equal(true);
    expect(plannedFiles(["test/unit"]).sort()).to.deep.equal([...unit].sort());
    expect(plannedFiles(["test/unit/bench"])).to.deep.equal(unit.filter((f) => f.startsWith("test/unit/bench/")));
  });

  it("holds only test/unit in the unit tier, only test/system in the system tier and only test/e2e in the e2e tier", () => {
    const unit = plannedFiles([], "unit");
    expect(unit).to.include("test/unit/lib/random.test.ts");
    expect(unit.filter((f) => !f.startsWith("test/unit/"))).to.deep.equal([]);
    const system = plannedFiles([], "system");
    expect(system).to.include.members(["test/system/term.test.ts", "test/system/student-kit.test.ts"]);
    expect(system.filter((f) => !f.startsWith("test/system/"))).to.deep.equal([]);
    const e2e = plannedFiles([], "e2e");
    expect(e2e).to.include("test/e2e/notebooks.test.ts");
    expect(e2e.filter((f) => !f.startsWith("test/e2e/"))).to.deep.equal([]);
  });

  it("runs the unit tier first by default, then the longest integration files, then every other folder, new ones included, and never test/system or test/e2e", () => {
    const all = plannedFiles([]);
    const firstOther = all.findIndex((f) => !f.startsWith("test/unit/"));
    expect(firstOther).to.be.greaterThan(0);
    expect(all.slice(firstOther).filter((f) => f.startsWith("test/unit/"))).to.deep.equal([]);
    expect(all.filter((f) => f.startsWith("test/e2e/") || f.startsWith("test/system/"))).to.deep.equal([]);
    expect(all).to.include.members(["test/tiers/mocharc.test.ts", "test/grader/grade.test.ts", "test/notebooks/masters.test.ts"]);
    // then the longest integration files (.mocharc.js LONG_FIRST), the masters' shared runs first
    expect(all.slice(firstOther, firstOther + 3)).to.deep.equal(["test/notebooks/masters.test.ts", "test/notebooks/05_visuals.test.ts", "test/grader/hostile.test.ts"]);
    expect(all.indexOf("test/cli/release-shipped.test.ts")).to.be.lessThan(all.indexOf("test/backend/backend.test.ts"));
    expect(new Set(all).size, "no file twice").to.equal(all.length);
  });

  it("runs a tier in 2 worker processes, named files in this process, N workers with NNKIT_TEST_JOBS=N, and refuses a value that is not a whole number", () => {
    const config = (jobs?: string, files: string[] = []): { status: number | null; stdout: string; stderr: string } => {
      const env = { ...process.env };
      delete env.NNKIT_TEST_JOBS;
      if (jobs !== undefined) env.NNKIT_TEST_JOBS = jobs;
      const script = "const c = require('./.mocharc.js'); console.log(JSON.stringify({ parallel: c.parallel, jobs: c.jobs }))";
      // `node -e` puts its extra arguments from process.argv[1] on; .mocharc.js reads them from [2] on, as mocha's.
      return spawnSync(process.execPath, ["-e", script, "mocha", ...files], { cwd: ROOT, env, encoding: "utf8" });
    };
    const one = ["test/unit/lib/random.test.ts"];
    expect(JSON.parse(config().stdout)).to.deep.equal({ parallel: true, jobs: 2 });
    expect(JSON.parse(config(undefined, one).stdout)).to.deep.equal({});
    expect(JSON.parse(config("3").stdout)).to.deep.equal({ parallel: true, jobs: 3 });
    expect(JSON.parse(config("2", one).stdout)).to.deep.equal({ parallel: true, jobs: 2 });
    expect(JSON.parse(config("1").stdout)).to.deep.equal({});
    const bad = config("two");
    expect(bad.status).to.not.equal(0);
    expect(bad.stderr).to.include("NNKIT_TEST_JOBS=two is not a whole number of jobs");
  });

  it("names the tiers when asked for one that does not exist", () => {
    const r = spawnSync(process.execPath, [MOCHA, "--dry-run"], { cwd: ROOT, env: { ...process.env, NNKIT_TEST_TIER: "nope" }, encoding: "utf8" });
    expect(r.status).to.not.equal(0);
    expect(r.stderr).to.include("NNKIT_TEST_TIER=nope is not a tier; use one of unit, integration, system, e2e, default");
  });
});
