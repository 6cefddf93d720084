/**
 * The LMS CSV's comment columns: `comment:<id>` is what the student is told of a question (its
 * student view: public mismatches summarised, hidden checks only counted, the hint), and
 * `manual-comment:<id>` the grader's comment from the manual-points import.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { checkColumns, gradesCsv, parseCsv } from "../../grader/export/csv";
import { summarize } from "../../grader/export/summary";
import { Gradebook, type RunInput } from "../../grader/gradebook/gradebook";
import { tmpDir } from "./helpers";

const run: RunInput = {
  status: "graded", score: 1, maxScore: 3, log: "", seconds: 1, masterHash: "m",
  questions: [
    {
      id: "sq", title: "Square", points: 2, score: 0, status: "failed", hint: "multiply it by itself",
      message: "0/2 probes passed; first failure, a hidden probe: value at [0]: expected 52.5625, got 0",
      probes: [
        { index: 0, hidden: false, passed: false, expr: "squareAll(x)", label: "squareAll of 2 values", message: "value at [0]: expected 1, got 2", inputs: { x: [1, 2] }, expected: [1, 4], got: [2, 4] },
        { index: 1, hidden: true, passed: false, expr: "squareAll([-7.25])", label: "minus 7.25", message: "value at [0]: expected 52.5625, got 0" },
      ],
    },
    { id: "sc", title: "Scale", points: 1, score: 1, status: "passed", hint: "h", probes: [{ index: 0, hidden: false, passed: true, expr: "scaleAll()" }] },
  ],
};

describe("CSV comment columns", () => {
  let dir: string;
  let gb: Gradebook;
  beforeEach(() => {
    dir = tmpDir("csv-comments");
    gb = Gradebook.open(path.join(dir, "gb.sqlite"), "1.0.0");
    const a = gb.recordSubmission({
      student: "alice", source: "a.zip", kind: "zip", contentHash: "1", submittedAt: null, timeSource: null,
      lateMinutes: 0, lateDays: 0, penalty: 0, kitVersion: null, manifest: null,
    });
    gb.finishJob(gb.enqueue(a.id, "01_tiny.ipynb"), run);
    gb.importManual([{ student_id: "alice", question_id: "why", points: 1, comment: "Good, but say why" }]);
  });
  afterEach(() => {
    gb.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("writes what the student is told of each question, never a hidden value, and the manual comment", () => {
    const s = summarize(gb, "alice", [{ notebook: "01_tiny.ipynb", max: 3 }]);
    const csv = gradesCsv([s], [
      { header: "Student", value: "student" },
      { header: "Square", value: "comment:sq" },
      { header: "Scale", value: "comment:sc" },
      { header: "Why", value: "manual-comment:why" },
    ]);
    expect(parseCsv(csv)).to.deep.equal([
      ["Student", "Square", "Scale", "Why"],
      ["alice", "0/2 checks passed; first failure, squareAll of 2 values: value at [0]: expected 1, got 2 1 hidden check failed. Hint: multiply it by itself", "", "Good, but say why"],
    ]);
    for (const secret of ["52.5625", "7.25", "squareAll([-7.25])"]) expect(csv).to.not.include(secret);
  });

  it("accepts comment columns and rejects an empty question id", () => {
    expect(() => checkColumns([{ header: "c", value: "comment:sq" }, { header: "m", value: "manual-comment:why" }])).to.not.throw();
    expect(() => checkColumns([{ header: "c", value: "comment:" }])).to.throw(/unknown CSV column value "comment:"/);
  });
});
