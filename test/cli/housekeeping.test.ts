/**
 * Housekeeping (issue 16.8): `.grader-work` removed after a run (another run's folders left
 * alone), zips written 0644, and `grade --help` showing a whole term's workflow.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { packSubmission } from "../../grader/submit/submit";
import { FIXTURE_MASTERS, FIXTURE_SPECS, TINY, grader, makeZip, readJson, tmpDir, type NotebookJsonLike } from "./helpers";

describe("housekeeping", function () {
  this.timeout(600_000);
  let tmp: string;
  beforeEach(() => {
    tmp = tmpDir("housekeeping");
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("removes .grader-work after a grade run, leaving another run's folder alone", () => {
    const subs = path.join(tmp, "subs");
    fs.mkdirSync(subs);
    const master = readJson<NotebookJsonLike>(path.join(FIXTURE_MASTERS, TINY));
    makeZip(path.join(subs, "ada.zip"), "ada", { [TINY]: JSON.stringify(master) });
    fs.writeFileSync(path.join(tmp, "course.json"), JSON.stringify({ assignment: "tiny", dueDate: null, late: { graceMinutes: 0, penaltyPerDay: 0, maxDaysLate: 1 } }));
    const gb = path.join(tmp, "gradebook.sqlite");
    const args = ["grade", subs, "-g", gb, "-c", path.join(tmp, "course.json"), "--specs", FIXTURE_SPECS, "--masters", FIXTURE_MASTERS, "-j", "1"];
    const first = grader(args);
    expect(first.code, first.err).to.equal(0);
    expect(first.out).to.match(/graded 1/);
    expect(fs.existsSync(path.join(tmp, ".grader-work")), "work folder left behind").to.equal(false);

    // a concurrent run's unpacked submission is not this run's to delete
    const other = path.join(tmp, ".grader-work", "bo-123456789abc");
    fs.mkdirSync(other, { recursive: true });
    fs.writeFileSync(path.join(other, "x.ipynb"), "{}");
    const again = grader([...args, "--force"]);
    expect(again.code, again.err).to.equal(0);
    expect(fs.readdirSync(path.join(tmp, ".grader-work"))).to.deep.equal(["bo-123456789abc"]);
  });

  it("writes the submission zip with mode 0644", async () => {
    fs.mkdirSync(path.join(tmp, "notebooks"));
    fs.copyFileSync(path.join(FIXTURE_MASTERS, TINY), path.join(tmp, "notebooks", TINY));
    const prev = process.umask(0);
    try {
      const r = await packSubmission({ root: tmp, student: "ada", assignment: "tiny", kitVersion: "0.1.0" });
      expect(fs.statSync(r.zip).mode & 0o777).to.equal(0o644);
    } finally {
      process.umask(prev);
    }
  });

  it("grade --help shows a whole term: release, collect, grade, regrade one student, manual points, export, upload", () => {
    const r = grader(["grade", "--help"]);
    expect(r.code).to.equal(0);
    const steps = ["npm run release", "collect", "npm run grade -- subs/", "--student <id>", "manual-import", "npm run export -- all", "upload", "gradescope"];
    let at = -1;
    for (const s of steps) {
      const i = r.out.indexOf(s, at + 1);
      expect(i, `${s} after the previous step`).to.be.greaterThan(at);
      at = i;
    }
    const readme = fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
    for (const s of ["**Release**", "**Collect**", "**Grade**", "**Regrade one student**", "**Manual points**", "**Export**", "**Upload**"]) expect(readme).to.include(s);
  });
});
