/** Class statistics from a gradebook built through its API (no grading): values, medians, what stays hidden. */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Gradebook, type QuestionRecord, type RunInput } from "../../grader/gradebook/gradebook";
import { classMedians, classStats, median, messageKey, statsText } from "../../grader/gradebook/stats/stats";
import { statsHtml } from "../../grader/gradebook/stats/report";

function question(score: number, probes: [boolean, boolean], message = "value: expected 1.5, got 2"): QuestionRecord {
  return {
    id: "q-sum", title: "Sum <b>it</b>", points: 2, score, status: score === 2 ? "passed" : "partial", hint: "",
    probes: [
      { index: 0, hidden: false, passed: probes[0], expr: "sum([1, 2])", label: "sum of two", message: probes[0] ? undefined : message },
      // what a hidden probe's verdict says must never reach the statistics
      { index: 1, hidden: true, passed: probes[1], expr: "sum([7.125, 9])", message: probes[1] ? undefined : "value: expected 16.125, got 7.125" },
    ],
  };
}

describe("class statistics", () => {
  let dir: string;
  let gb: Gradebook;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "stats-"));
    gb = Gradebook.open(path.join(dir, "gb.sqlite"), "test");
    const runs: [string, RunInput["status"], number, QuestionRecord][] = [
      ["ann", "graded", 2, question(2, [true, true])],
      ["bob", "graded", 3, question(1, [false, true])],
      ["cat", "graded", 5, question(1, [true, false], "value: expected 3, got 4")],
      ["dov", "timeout", 9, question(0, [false, false], "value: expected 0.25, got 7")],
    ];
    for (const [student, status, seconds, q] of runs) {
      const { id } = gb.recordSubmission({ student, source: `${student}.zip`, kind: "zip", contentHash: student, submittedAt: null, timeSource: null,
        lateMinutes: 0, lateDays: 0, penalty: 0, kitVersion: null, manifest: null });
      gb.recordDirect(id, "01_nb.ipynb", { status, score: q.score, maxScore: 2, questions: [q], log: "", seconds, masterHash: "m" });
    }
    // a regrade: only the current run counts
    const { id } = gb.recordSubmission({ student: "ann", source: "ann2.zip", kind: "zip", contentHash: "ann2", submittedAt: null, timeSource: null,
      lateMinutes: 0, lateDays: 0, penalty: 0, kitVersion: null, manifest: null });
    gb.recordDirect(id, "01_nb.ipynb", { status: "graded", score: 2, maxScore: 2, questions: [question(2, [true, true])], log: "", seconds: 4, masterHash: "m" });
  });
  after(() => {
    gb.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("computes the distribution, probe failure shares and the median time from current runs only", () => {
    const [s] = classStats(gb);
    expect(s.scores).to.deep.equal([0, 1, 1, 2]);
    expect([s.median, s.mean, s.fullMarks, s.zero]).to.deep.equal([1, 1, 1, 1]);
    expect(s.probes.map((p) => [p.name, p.failed, p.total])).to.deep.equal([["#1 sum of two", 2, 4], ["#2 (hidden)", 2, 4]]);
    expect(s.medianSeconds).to.equal(4.5); // 3, 4, 5, 9 (ann's first run, 2 s, is history)
    expect(s.messages).to.deep.equal([{ message: "a hidden probe failed", count: 2 }, { message: "sum of two: value: expected #, got #", count: 2 }]);
    expect(classMedians(gb.db).get("q-sum")).to.equal(1);
  });

  it("never shows a hidden probe's expression, inputs or values", () => {
    const stats = classStats(gb);
    for (const out of [statsText(stats), statsHtml(stats, "t").slice(-20_000), JSON.stringify(stats)]) {
      for (const secret of ["7.125", "16.125", "sum([7"]) expect(out).to.not.include(secret);
    }
  });

  it("escapes titles in the page and keeps data from closing its script", () => {
    const html = statsHtml(classStats(gb), "class </script><script>alert(1)</script>");
    expect(html).to.include("Sum &lt;b&gt;it&lt;/b&gt;").and.include("class &lt;/script&gt;");
    expect(html.slice(html.lastIndexOf("<script>"))).to.not.include("</script><script>");
  });

  it("medians and message keys", () => {
    expect([median([]), median([3]), median([4, 1, 3]), median([1, 2, 3, 10])]).to.deep.equal([0, 3, 3, 2.5]);
    expect(messageKey("value at [2]: expected -0.5, got 1e-3")).to.equal("value at [#]: expected #, got #");
  });
});
