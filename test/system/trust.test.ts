/**
 * A copied kit grades right, or not at all (issue 15.3). Every cache is keyed by all it depends
 * on (the kit's real path among them), and before a batch `grade` makes sure that every master
 * scores full marks under the runner that will grade the students, else it stops naming the
 * master and the failing question, writing nothing.
 *
 * The copy is the real kit: this work tree copied with its .cache (as `cp -r` copies it, stale
 * snapshots and expected values of the original included) and node_modules hard-linked, its
 * nnkit link resolving inside the copy.
 */
import Database from "better-sqlite3";
import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { maxScore } from "../../grader/judge/assignment";
import { environmentKey, environmentParts } from "../../grader/run/child-bundle";
import { referenceKey } from "../../grader/judge/expected";
import { loadSpecs } from "../../grader/judge/grade";
import { checkMastersFullMarks } from "../../grader/judge/master-check";
import { KIT_ROOT } from "../../grader/core/version";
import { FIXTURE_MASTERS, grader, makeZip, masterWith, TINY, tmpDir } from "../cli/helpers";

describe("a copied kit and the master full-marks precheck", function () {
  this.timeout(1_800_000);
  let tmp: string;
  let copy: string;

  before(async () => {
    // the original kit's caches are warm first (free when they are), so that the copy carries
    // snapshots and expected values built for the original folder, as a real `cp -r` would
    await checkMastersFullMarks(loadSpecs());
    tmp = tmpDir("trust");
    copy = path.join(tmp, "kit copy");
    fs.mkdirSync(copy);
    for (const name of fs.readdirSync(KIT_ROOT)) {
      if (name === "node_modules" || name === ".git") continue;
      fs.cpSync(path.join(KIT_ROOT, name), path.join(copy, name), { recursive: true, verbatimSymlinks: true });
    }
    // hard links: the same packages at new paths; nnkit is a relative link (../src), so it lands in the copy
    execFileSync("cp", ["-al", path.join(KIT_ROOT, "node_modules"), path.join(copy, "node_modules")]);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("keys the runner's environment by the kit's real path and the nnkit it resolves", () => {
    expect(fs.realpathSync(path.join(copy, "node_modules", "nnkit"))).to.equal(fs.realpathSync(path.join(copy, "src")));
    expect(environmentParts(copy)).to.include(`root=${fs.realpathSync(copy)}`);
    expect(environmentParts(copy)).to.include(`nnkit=${fs.realpathSync(path.join(copy, "src"))}`);
    expect(environmentKey(copy)).not.to.equal(environmentKey(KIT_ROOT));
    const parts = environmentParts(KIT_ROOT).map(String);
    expect(parts.some((p) => p.startsWith(`node=${process.version} ${process.arch}`) && p.includes(fs.realpathSync(process.execPath)))).to.equal(true);
    for (const pkg of ["tslab", "@tslab/typescript-for-tslab", "typescript", "package-lock.json", "index.d.ts", "index.js"]) expect(parts, pkg).to.include(pkg);
    // the original's caches came along, as with cp -r
    expect(fs.readdirSync(path.join(copy, ".cache", "runner")).some((f) => f.endsWith(".blob"))).to.equal(true);
  });

  it("keys a master's expected values by the master, the spec, the limits and the folder", async () => {
    const spec = loadSpecs()[0];
    const master = path.join(KIT_ROOT, "notebooks", spec.notebook);
    const limits = { cellTimeoutMs: 30_000, notebookTimeoutMs: 180_000, probeTimeoutMs: 10_000, memoryMb: 2048 };
    const key = await referenceKey(spec, master, KIT_ROOT, limits);
    expect(await referenceKey(spec, master, KIT_ROOT, limits)).to.equal(key);
    const probe = { ...spec.questions[0].probes[0], expr: `${spec.questions[0].probes[0].expr} ` };
    const changed = { ...spec, questions: [{ ...spec.questions[0], probes: [probe, ...spec.questions[0].probes.slice(1)] }, ...spec.questions.slice(1)] };
    expect(await referenceKey(changed, master, KIT_ROOT, limits)).not.to.equal(key);
    expect(await referenceKey(spec, master, KIT_ROOT, { ...limits, cellTimeoutMs: 29_000 })).not.to.equal(key);
    const otherMaster = path.join(tmp, "master.ipynb");
    fs.writeFileSync(otherMaster, `${fs.readFileSync(master, "utf8")}\n`);
    expect(await referenceKey(spec, otherMaster, KIT_ROOT, limits)).not.to.equal(key);
    expect(await referenceKey(spec, path.join(copy, "notebooks", spec.notebook), copy, limits)).not.to.equal(key);
  });

  it("grades the shipped masters in the copy at full marks, and checks the masters once per key", () => {
    const specs = loadSpecs();
    const subs = path.join(tmp, "subs");
    fs.mkdirSync(path.join(subs, "teacher"), { recursive: true });
    for (const s of specs) fs.copyFileSync(path.join(copy, "notebooks", s.notebook), path.join(subs, "teacher", s.notebook));
    const gbFile = path.join(tmp, "gradebook.sqlite");
    const r = grader(["grade", subs, "-g", gbFile, "-c", path.join(tmp, "none.json"), "--workers", "2"], copy);
    expect(r.code, r.err).to.equal(0);
    expect(r.err).to.include(`masters at full marks under this runner: ${specs.length} (0 known from the cache)`);
    const db = new Database(gbFile, { readonly: true });
    try {
      const runs = db.prepare("SELECT notebook, status, score, max_score FROM runs WHERE current = 1 ORDER BY notebook").all() as
        { notebook: string; status: string; score: number; max_score: number }[];
      expect(runs.map((x) => x.notebook)).to.deep.equal(specs.map((s) => s.notebook));
      for (const run of runs) expect(run, run.notebook).to.deep.include({ status: "graded", score: run.max_score });
      const total = runs.reduce((n, x) => n + x.score, 0);
      expect(total).to.equal(specs.reduce((n, s) => n + maxScore(s), 0));
      expect(total).to.equal(70);
    } finally {
      db.close();
    }
    // the copy made its own caches: a snapshot and master checks under keys of its own folder
    const checks = fs.readdirSync(path.join(copy, ".cache", "master-check"));
    const original = fs.existsSync(path.join(KIT_ROOT, ".cache", "master-check")) ? fs.readdirSync(path.join(KIT_ROOT, ".cache", "master-check")) : [];
    const fresh = checks.filter((f) => !original.includes(f));
    expect(fresh).to.have.length(specs.length);
    // a second batch finds every master's pass in the cache
    const again = grader(["grade", subs, "-g", gbFile, "-c", path.join(tmp, "none.json"), "--force"], copy);
    expect(again.code, again.err).to.equal(0);
    expect(again.err).to.include(`masters at full marks under this runner: ${specs.length} (${specs.length} known from the cache)`);
    expect(fs.readdirSync(path.join(copy, ".cache", "master-check"))).to.have.length(checks.length);
  });

  it("stops before grading when a master does not score full marks, naming the master and the question", () => {
    // a fixture assignment whose spec has a probe the master cannot pass twice (unseeded randomness)
    const specsDir = path.join(tmp, "bad-specs");
    fs.mkdirSync(specsDir);
    fs.writeFileSync(path.join(specsDir, "01_tiny.ts"), `export const spec = {
  notebook: "01_tiny.ipynb",
  questions: [
    { id: "tiny-square", title: "Square", points: 2, requires: ["squareAll"], probes: [{ expr: "squareAll([1, 2])" }], compare: { kind: "allclose" }, hint: "h" },
    { id: "tiny-random", title: "Scale a random value", points: 1, requires: ["scaleAll"], probes: [{ expr: "scaleAll([Math.random()], 2)" }], compare: { kind: "allclose" }, hint: "h" },
  ],
  notebookTimeoutMs: 60000,
};
`);
    const subs = path.join(tmp, "tiny-subs");
    fs.mkdirSync(subs);
    makeZip(path.join(subs, "ada.zip"), "ada", { [TINY]: JSON.stringify(masterWith({})) });
    const gbFile = path.join(tmp, "bad.sqlite");
    const r = grader(["grade", subs, "-g", gbFile, "--specs", specsDir, "--masters", FIXTURE_MASTERS]);
    expect(r.code, r.out).to.equal(1);
    expect(r.err).to.include(`grader: error: master ${path.join(FIXTURE_MASTERS, TINY)} does not score full marks under this runner: 2 of 3`);
    expect(r.err).to.match(/question tiny-random scored 0 of 1/);
    expect(r.err).not.to.match(/question tiny-square/);
    expect(r.err).to.include("Grading stopped before any submission was recorded");
    expect(r.out).to.equal("");
    expect(fs.existsSync(gbFile), "a gradebook was written").to.equal(false);
    // nothing cached for a failure: the next run checks again and stops again
    const r2 = grader(["grade", subs, "-g", gbFile, "--specs", specsDir, "--masters", FIXTURE_MASTERS]);
    expect(r2.code).to.equal(1);
    expect(r2.err).to.match(/question tiny-random scored 0 of 1/);
  });
});
