/**
 * The student view of a question (grader/export/student-view.ts), field by field: what it keeps
 * of public probes, all it says of hidden ones, and that it also holds for records stored by
 * older graders whose question messages named a hidden probe's values.
 */
import { expect } from "chai";
import { studentResult } from "../../grader/export/check";
import { failedCellNotes, questionComment, studentReason, studentLog, studentQuestionView, type QuestionLike } from "../../grader/export/student-view";

const SECRET = "52.5625";

/** A question as an older grader stored it: its message and the hidden probe's fields name the hidden values. */
const oldRecord: QuestionLike = {
  id: "sq",
  title: "Square",
  points: 2,
  score: 1,
  status: "partial",
  message: `1/2 probes passed; first failure, a hidden probe: value at [0]: expected ${SECRET}, got 0`,
  hint: "multiply it by itself",
  probes: [
    { hidden: false, passed: true, expr: "squareAll(x)", inputs: { x: [1, 2] }, expected: [1, 4], got: [1, 4] },
    { hidden: true, passed: false, expr: "squareAll([-7.25])", label: "a negative number -7.25", message: `value at [0]: expected ${SECRET}, got 0`, inputs: { x: [-7.25] }, expected: [52.5625], got: [0] },
  ],
};

describe("student view of a question", () => {
  it("says of a hidden probe only that it failed, plus the hint, even for an old record that named its values", () => {
    const view = studentQuestionView(oldRecord);
    expect(view).to.deep.equal({
      id: "sq", title: "Square", points: 2, score: 1, status: "partial",
      summary: "1/2 checks passed; a hidden check of this question failed",
      publicFailures: [], hiddenFailed: 1, hint: "multiply it by itself",
    });
    const text = JSON.stringify(view) + questionComment(view);
    for (const secret of [SECRET, "-7.25", "squareAll([-7.25])", "a negative number"]) expect(text).to.not.include(secret);
    expect(questionComment(view)).to.equal("1/2 checks passed; a hidden check of this question failed 1 hidden check failed. Hint: multiply it by itself");
  });

  it("keeps a failed public probe's check, message, inputs, expected and got, and nothing else", () => {
    const q: QuestionLike = {
      ...oldRecord, status: "failed", score: 0,
      probes: [{ hidden: false, passed: false, expr: "squareAll(x)", label: "squareAll of 2 values", message: "value at [0]: expected 1, got 2", inputs: { x: [1, 2] }, expected: [1, 4], got: [2, 4], extra: "not copied" } as QuestionLike["probes"][number]],
    };
    const view = studentQuestionView(q);
    expect(view.publicFailures).to.deep.equal([{ check: "squareAll of 2 values", message: "value at [0]: expected 1, got 2", inputs: { x: [1, 2] }, expected: [1, 4], got: [2, 4] }]);
    expect(view.summary).to.equal("0/1 checks passed; first failure, squareAll of 2 values: value at [0]: expected 1, got 2");
  });

  it("treats a probe that does not say hidden: false as hidden", () => {
    const q = { ...oldRecord, probes: [{ passed: false, expr: "secret()", message: `expected ${SECRET}`, expected: SECRET } as unknown as QuestionLike["probes"][number]] };
    const view = studentQuestionView(q);
    expect(view.hiddenFailed).to.equal(1);
    expect(JSON.stringify(view)).to.not.include(SECRET);
  });

  it("passes on the runner's cause of a run without verdicts, and 'not implemented yet' for stubs", () => {
    const crashed: QuestionLike = { ...oldRecord, status: "error", score: 0, message: "could not be graded: the probes of sq did not finish in time",
      probes: oldRecord.probes.map((p) => ({ ...p, passed: false, message: "could not be graded: the probes of sq did not finish in time" })) };
    expect(studentQuestionView(crashed).summary).to.equal("could not be graded: the probes of sq did not finish in time");
    const stub: QuestionLike = { ...oldRecord, status: "error", score: 0, message: "every probe threw, e.g. a hidden probe: not implemented",
      probes: oldRecord.probes.map((p) => ({ ...p, passed: false, message: "threw Error: not implemented: squareAll" })) };
    expect(studentQuestionView(stub).summary).to.equal("not implemented yet");
    expect(studentQuestionView({ ...oldRecord, status: "passed", score: 2 })).to.include({ status: "passed", hiddenFailed: 1 }).and.not.have.property("hint");
  });

  it("cuts a log before the process output, and names cells that raised", () => {
    expect(studentLog("── cell a: ok\nhello\n── process output\nARGS [-7.25]\n")).to.equal("── cell a: ok\nhello");
    expect(studentLog("── cell a: ok\n")).to.equal("── cell a: ok\n");
    expect(failedCellNotes([
      { id: "a", ok: true },
      { id: "boom", ok: false, error: "Error: boom\n    at evalmachine.<anonymous>:1:7" },
      { id: "slow", ok: false, error: "the cell did not finish within 30000 ms (endless loop?)" },
      { id: "later", ok: false, error: "not run: the process ended unexpectedly (signal SIGKILL)" },
    ])).to.deep.equal([
      "cell boom raised Error: boom; in Jupyter, Run All stops here",
      "cell slow: the cell did not finish within 30000 ms (endless loop?); in Jupyter, Run All stops here until you interrupt the kernel",
      "cell later was not run: the process ended unexpectedly (signal SIGKILL)",
    ]);
  });

  it("is what npm run check --json prints", () => {
    const r = studentResult({
      notebook: "01_tiny.ipynb", status: "graded", score: 1, maxScore: 2, log: `── process output\nARGS ${SECRET}`, seconds: 1, masterHash: "m",
      cells: [{ id: "boom", ok: false, error: "Error: boom" }],
      questions: [{ ...oldRecord, status: "partial", probes: oldRecord.probes.map((p, index) => ({ ...p, index, expr: p.expr })) }],
    } as Parameters<typeof studentResult>[0]);
    expect(JSON.stringify(r)).to.not.include(SECRET);
    expect(r.failedCells).to.deep.equal(["cell boom raised Error: boom; in Jupyter, Run All stops here"]);
    expect(Object.keys(r)).to.deep.equal(["notebook", "status", "score", "maxScore", "questions", "failedCells"]);
  });

  it("shows only the kind of a kit error, which can name a hidden probe", () => {
    const kit = "master 01_activations.ipynb: probe 3 of softmax (softmax([-1000, -1001, -999])) threw RangeError";
    expect(studentReason(kit)).to.match(/^the grader's reference for this notebook could not be computed/);
    expect(studentReason(`not graded: ${kit}`)).to.not.include("softmax(");
    const q: QuestionLike = { ...oldRecord, status: "error", score: 0, message: kit, probes: oldRecord.probes.map((p) => ({ ...p, passed: false, message: kit })) };
    expect(JSON.stringify(studentQuestionView(q))).to.not.include("-1001");
    expect(studentReason("the notebook did not finish within 180000 ms")).to.equal("the notebook did not finish within 180000 ms");
  });
});
