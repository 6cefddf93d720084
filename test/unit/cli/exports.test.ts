import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { checkColumns, csvField, gradesCsv, parseCsv } from "../../../grader/export/csv";
import { feedbackHtml, writeFeedbackPages } from "../../../grader/export/feedback";
import { gradescopeResults } from "../../../grader/export/gradescope";
import { summarize } from "../../../grader/export/summary";
import { importManualCsv, parseManualCsv, writeWrittenPages } from "../../../grader/export/written";
import { Gradebook, RunInput } from "../../../grader/gradebook/gradebook";
import { loadSpecsFrom } from "../../../grader/judge/assignment";
import { FIXTURE_SPECS, tmpDir } from "../../cli/helpers";
import { fileNameFor } from "../../../grader/core/student-id";

const partial: RunInput = {
  status: "graded", score: 1, maxScore: 3, log: "", seconds: 1, masterHash: "m",
  questions: [
    {
      id: "sq", title: "Square <b>", points: 2, score: 0, status: "failed", hint: "multiply it by itself",
      probes: [
        { index: 0, hidden: false, passed: false, expr: "squareAll(x)", label: "squareAll of 5 values", inputs: { x: [1, 2] }, expected: [1, 4], got: [2, 4] },
        { index: 1, hidden: true, passed: false, expr: "squareAll([-7.25])", expected: [52.5625], got: [0] },
      ],
    },
    { id: "sc", title: "Scale", points: 1, score: 1, status: "passed", hint: "h", probes: [{ index: 0, hidden: false, passed: true, expr: "scaleAll()", expected: [2], got: [2] }] },
  ],
};
const crashed: RunInput = {
  status: "timeout", reason: "notebook time limit of 60 s exceeded", score: 0, maxScore: 3, seconds: 60, masterHash: "m",
  log: "cell slow-loop started\n<script>alert(1)</script>", questions: [],
};

describe("exports", () => {
  let dir: string;
  let gb: Gradebook;
  const NBS = [{ notebook: "01_tiny.ipynb", max: 3 }];
  beforeEach(() => {
    dir = tmpDir("exports");
    gb = Gradebook.open(path.join(dir, "gb.sqlite"), "1.0.0");
    const a = gb.recordSubmission({
      student: "alice", source: "a.zip", kind: "zip", contentHash: "1", submittedAt: "2026-12-17T10:00:00Z", timeSource: "manifest",
      lateMinutes: 2000, lateDays: 2, penalty: 0.2, kitVersion: "0.1.0", manifest: null,
    });
    gb.finishJob(gb.enqueue(a.id, "01_tiny.ipynb"), partial);
    gb.setWritten(a.id, "01_tiny.ipynb", [{ cellId: "why-answer", text: "Because (-x)^2 = x^2 & more" }]);
    const b = gb.recordSubmission({
      student: "bob", source: "b.zip", kind: "zip", contentHash: "2", submittedAt: null, timeSource: null,
      lateMinutes: 0, lateDays: 0, penalty: 0, kitVersion: null, manifest: null,
    });
    gb.finishJob(gb.enqueue(b.id, "01_tiny.ipynb"), crashed);
  });
  afterEach(() => {
    gb.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("summarizes a student with the late penalty", () => {
    const s = summarize(gb, "alice", NBS);
    expect(s).to.include({ auto: 1, max: 3, penalty: 0.2, final: 0.8, lateDays: 2, status: "graded" });
    expect(s.questions).to.deep.equal({ sq: { score: 0, points: 2 }, sc: { score: 1, points: 1 } });
    expect(summarize(gb, "bob", NBS).status).to.equal("timeout: 01_tiny.ipynb");
  });

  it("writes the LMS CSV with the configured columns", () => {
    const rows = [summarize(gb, "alice", NBS), summarize(gb, "bob", NBS)];
    const csv = gradesCsv(rows, [
      { header: "Username", value: "student" }, { header: "Grade", value: "final" }, { header: "Square", value: "q:sq" },
      { header: "NB1", value: "nb:01_tiny" }, { header: "%", value: "percent" }, { header: "Status", value: "status" },
    ]);
    expect(parseCsv(csv)).to.deep.equal([
      ["Username", "Grade", "Square", "NB1", "%", "Status"],
      ["alice", "0.8", "0", "1", "26.7", "graded"],
      ["bob", "0", "0", "0", "0", "timeout: 01_tiny.ipynb"],
    ]);
    expect(() => checkColumns([{ header: "x", value: "bogus" }])).to.throw(/unknown CSV column value "bogus"/);
  });

  it("quotes and parses CSV fields", () => {
    expect(csvField('a "b", c')).to.equal('"a ""b"", c"');
    expect(parseCsv('x,y\r\n"1,2","say ""hi""\nthere"\n')).to.deep.equal([["x", "y"], ["1,2", 'say "hi"\nthere']]);
    expect(() => parseCsv('"open')).to.throw(/inside a quoted field/);
  });

  it("writes feedback pages with public mismatches and hints, the log of a timed-out run, and no hidden value", () => {
    const files = writeFeedbackPages(gb, [summarize(gb, "alice", NBS), summarize(gb, "bob", NBS)], path.join(dir, "fb"), "tiny");
    // issue 23.4: file names are a short, hashed form of the id
    expect(files.map((f) => path.basename(f))).to.deep.equal([`${fileNameFor("alice")}.html`, `${fileNameFor("bob")}.html`]);
    const alice = fs.readFileSync(files[0], "utf8");
    expect(alice).to.include("Score: <b>0.8</b> / 3");
    expect(alice).to.include("squareAll of 5 values");
    expect(alice).to.include("<code>[1,4]</code>");
    expect(alice).to.include("<code>[2,4]</code>");
    expect(alice).to.include("Hint: multiply it by itself");
    expect(alice).to.include("1 hidden check failed.");
    expect(alice).to.include("Square &lt;b&gt;");
    expect(alice).not.to.include("52.5625");
    expect(alice).not.to.include("-7.25");
    const bob = fs.readFileSync(files[1], "utf8");
    expect(bob).to.include("notebook time limit of 60 s exceeded");
    expect(bob).to.include("cell slow-loop started");
    expect(bob).to.include("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(bob).not.to.include("<script>");
  });

  it("collects written answers per question and imports manual points back", () => {
    const pages = writeWrittenPages(gb, path.join(dir, "written"), "tiny");
    expect(pages.map((p) => path.basename(p))).to.deep.equal(["why-answer.html"]);
    expect(fs.readFileSync(pages[0], "utf8")).to.include("Because (-x)^2 = x^2 &amp; more");
    const template = fs.readFileSync(path.join(dir, "written", "manual-points.csv"), "utf8");
    expect(template).to.equal("student,question,points,comment\nalice,why-answer,,\n");
    const filled = path.join(dir, "points.csv");
    fs.writeFileSync(filled, 'student,question,points,comment\nalice,why-answer,1.5,"Good, but say why"\n');
    expect(importManualCsv(gb, filled, loadSpecsFrom(FIXTURE_SPECS))).to.equal(1);
    const s = summarize(gb, "alice", NBS);
    expect(s.manual).to.deep.equal({ "why-answer": { points: 1.5, comment: "Good, but say why" } });
    expect(s.final).to.equal(2); // (1 + 1.5) * 0.8
    expect(feedbackHtml(gb, s, "tiny")).to.include("Good, but say why");
  });

  it("rejects a manual CSV with bad points, missing columns or unknown students", () => {
    expect(() => parseManualCsv("student,question\nalice,q\n", "p.csv")).to.throw(/p.csv: the header needs a "points" column/);
    expect(() => parseManualCsv("student,question,points\nalice,q,lots\n", "p.csv")).to.throw(/p.csv line 2: points must be a number/);
    expect(parseManualCsv("student,question,points\nalice,q,\n")).to.deep.equal([]);
    const f = path.join(dir, "p.csv");
    fs.writeFileSync(f, "student,question,points\nmallory,q,3\n");
    expect(() => importManualCsv(gb, f, loadSpecsFrom(FIXTURE_SPECS))).to.throw(/unknown student\(s\) not in the gradebook: mallory/);
  });

  it("builds Gradescope results with per-test scores and no hidden value", () => {
    const r = gradescopeResults([{ notebook: "01_tiny.ipynb", run: partial }], 3.4);
    expect(r.score).to.equal(1);
    expect(r.tests.map((t) => [t.name, t.score, t.max_score, t.status, t.visibility])).to.deep.equal([
      ["01_tiny: Square <b> (sq)", 0, 2, "failed", "visible"],
      ["01_tiny: Scale (sc)", 1, 1, "passed", "visible"],
    ]);
    expect(r.tests[0].output).to.include("expected [1,4], got [2,4]");
    expect(JSON.stringify(r)).not.to.include("52.5625");
    const t = gradescopeResults([{ notebook: "01_tiny.ipynb", run: crashed }], 60);
    expect(t.output).to.include("01_tiny.ipynb: timeout (notebook time limit of 60 s exceeded)");
  });
});
