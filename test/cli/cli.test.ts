import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { Gradebook } from "../../grader/gradebook/gradebook";
import { KIT_ROOT } from "../../grader/core/version";
import { FIXTURE_SPECS, grader, makeZip, tmpDir } from "./helpers";

describe("grader CLI", function () {
  // every case starts the CLI in a new process, which is slow on a busy machine
  this.timeout(600_000);
  let dir: string;
  beforeEach(() => (dir = tmpDir("cli")));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("lists its commands and documents exit codes in --help", () => {
    const r = grader(["--help"]);
    expect(r.code).to.equal(0);
    for (const c of ["release", "submit", "grade", "export", "report"]) expect(r.out).to.match(new RegExp(`^  ${c}\\b`, "m"));
    expect(r.out).to.include("Exit codes: 0 ok; 1 error; 2 bad usage; 3 done but");
    expect(r.out).not.to.include("gradescope-run");
    const g = grader(["grade", "--help"]);
    expect(g.code).to.equal(0);
    expect(g.out).to.include("--workers <n>");
    expect(g.out).to.include("--force");
    expect(g.out).to.include("--student <id...>");
  });

  it("exits 2 on bad usage and 1 on errors, with a message", () => {
    const unknown = grader(["regrade"]);
    expect(unknown.code).to.equal(2);
    expect(unknown.err).to.match(/unknown command 'regrade'/);
    const badOpt = grader(["grade", dir, "--workers", "zero"]);
    expect(badOpt.code).to.equal(2);
    expect(badOpt.err).to.match(/must be a whole number >= 1/);
    const missing = grader(["grade", path.join(dir, "nope"), "--specs", FIXTURE_SPECS, "-g", path.join(dir, "gb.sqlite")]);
    expect(missing.code).to.equal(1);
    expect(missing.err).to.match(/grader: error: submissions folder not found/);
    const noGb = grader(["export", "csv", "-g", path.join(dir, "none.sqlite"), "--specs", FIXTURE_SPECS]);
    expect(noGb.code).to.equal(1);
    expect(noGb.err).to.match(/gradebook not found/);
    const badWhat = grader(["export", "pdf"]);
    expect(badWhat.code).to.equal(1);
    expect(badWhat.err).to.match(/unknown export "pdf"/);
    const anon = grader(["submit", "--no-check"], KIT_ROOT, { NNKIT_STUDENT: "" });
    expect(anon.code).to.equal(1);
    expect(anon.err).to.match(/--student <your id>/);
  });

  it("prints the gradebook report and a student's history", () => {
    const file = path.join(dir, "gb.sqlite");
    const gb = Gradebook.open(file, "9.9.9");
    const { id } = gb.recordSubmission({
      student: "zoe", source: "z.zip", kind: "zip", contentHash: "h", submittedAt: null, timeSource: null, lateMinutes: 0,
      lateDays: 0, penalty: 0, kitVersion: null, manifest: null,
    });
    gb.finishJob(gb.enqueue(id, "01_tiny.ipynb"), { status: "crash", reason: "boom", score: 0, maxScore: 3, questions: [], log: "", seconds: 2, masterHash: "" });
    gb.close();
    const r = grader(["report", "-g", file, "--specs", FIXTURE_SPECS]);
    expect(r.code).to.equal(0);
    expect(r.out).to.match(/^zoe\s+0\s+3\s+crash: 01_tiny.ipynb$/m);
    const h = grader(["report", "-g", file, "--student", "zoe"]);
    expect(h.out).to.match(/01_tiny.ipynb crash 0\/3 \(boom\) 2.0 s grader 9.9.9 \[current\]/);
  });

  it("lists every submission in the bonus report, with the reason when there is no usable model", () => {
    const subs = path.join(dir, "subs");
    fs.mkdirSync(subs);
    makeZip(path.join(subs, "ann.zip"), "ann", { "01_tiny.ipynb": "{}" });
    fs.writeFileSync(path.join(subs, "ben.zip"), "not a zip");
    const r = grader(["bonus", subs, "--specs", FIXTURE_SPECS]);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/^-\tann\t-\t-\t-\tno valid model: no bonus model folder/m);
    expect(r.out).to.match(/^-\tben\t-\t-\t-\tno valid model: /m);
  });
});
