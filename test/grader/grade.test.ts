import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { gradeNotebook, type NotebookResult } from "../../grader/judge/grade";
import { buildChecks } from "../../grader/judge/build-checks";
import { runCheck } from "../../grader/export/check";
import { toStudentNotebook } from "../../grader/release/release-transform";
import { check, type ChecksFile } from "../../src/check";
import { spec } from "../fixtures/grader/spec";
import { FIXTURE_OPTIONS, TempDir, WRONG_DOT, fixtureMaster, setSource, FIXTURE_MASTER } from "./fixture";

function byId(r: NotebookResult): Record<string, number> {
  return Object.fromEntries(r.questions.map((q) => [q.id, q.score]));
}

describe("grader: grading the fixture", function () {
  this.timeout(300_000);
  const tmp = new TempDir();
  after(() => tmp.cleanup());

  it("gives the master full marks, hidden probes included", async () => {
    const r = await gradeNotebook(spec, FIXTURE_MASTER, FIXTURE_OPTIONS);
    expect(r.status).to.equal("graded");
    expect(r.score).to.equal(8);
    expect(r.maxScore).to.equal(8);
    expect(r.questions.every((q) => q.status === "passed")).to.equal(true);
    expect(r.questions.find((q) => q.id === "fx-square")!.probes.map((p) => p.hidden)).to.deep.equal([false, false, true]);
    expect(r.cells.map((c) => c.id)).to.deep.equal(["setup", "square-impl", "dot-impl", "lse-impl", "report"]);
    expect(r.masterHash).to.match(/^[0-9a-f]{64}$/);
    // hidden probes carry no values, public ones do
    const dot = r.questions.find((q) => q.id === "fx-dot")!;
    expect(dot.probes[0].expected).to.be.an("array");
    expect(dot.probes[1]).to.not.have.any.keys("inputs", "expected", "got");
  });

  it("gives the released student version 0 with 'not implemented' on every exercise", async () => {
    const r = await gradeNotebook(spec, tmp.write(toStudentNotebook(fixtureMaster())), FIXTURE_OPTIONS);
    expect(r.status).to.equal("graded");
    expect(r.score).to.equal(0);
    for (const id of ["fx-square", "fx-dot", "fx-lse"]) {
      const q = r.questions.find((x) => x.id === id)!;
      expect(q.status, id).to.equal("error");
      expect(q.message, id).to.match(/^not implemented yet \(Error: not implemented: /);
    }
    expect(r.questions.find((q) => q.id === "fx-report")!.message).to.match(/cell report failed: Error: not implemented: square/);
  });

  it("takes exactly the points of the one wrong exercise", async () => {
    const r = await gradeNotebook(spec, tmp.write(setSource(fixtureMaster(), "dot-impl", WRONG_DOT)), FIXTURE_OPTIONS);
    expect(byId(r)).to.deep.equal({ "fx-square": 2, "fx-dot": 0, "fx-lse": 2, "fx-report": 1 });
    const dot = r.questions.find((q) => q.id === "fx-dot")!;
    expect(dot.status).to.equal("failed");
    expect(dot.message).to.match(/0\/2 probes passed; first failure, dot\(a, b\): value at \[0, 0\]: expected -0\.46123\d*, got 0/);
  });

  it("gives partial credit per probe", async () => {
    // right on the public probes' lengths only: wrong for the 7-element hidden probe
    const partial = "function square(x: number[]): number[] {\n  return x.length === 7 ? x : x.map((v) => v * v);\n}";
    const r = await gradeNotebook(spec, tmp.write(setSource(fixtureMaster(), "square-impl", partial)), FIXTURE_OPTIONS);
    const sq = r.questions.find((q) => q.id === "fx-square")!;
    expect(sq.status).to.equal("partial");
    expect(sq.score).to.be.closeTo((2 * 2) / 3, 1e-6);
    expect(sq.message).to.match(/2\/3 probes passed; first failure, a hidden probe/);
    expect(r.score).to.be.closeTo(6 + 4 / 3, 1e-6);
  });

  it("scores a missing function 0 with a specific message and a type error with tslab's diagnostic", async () => {
    const nb = setSource(fixtureMaster(), "lse-impl", "// deleted");
    setSource(nb, "square-impl", "function square(x: number[]): number[] {\n  const s: string = 1;\n  return x;\n}");
    const r = await gradeNotebook(spec, tmp.write(nb), FIXTURE_OPTIONS);
    const lse = r.questions.find((q) => q.id === "fx-lse")!;
    expect(lse.status).to.equal("missing");
    expect(lse.message).to.equal("logSumExp is not defined (did the cell that defines it fail or get deleted?)");
    expect(r.cells.find((c) => c.id === "square-impl")!.error).to.match(/Type 'number' is not assignable to type 'string'/);
    expect(byId(r)).to.deep.equal({ "fx-square": 0, "fx-dot": 3, "fx-lse": 0, "fx-report": 0 });
  });

  it("grades public probes only for the student's check", async () => {
    const r = await gradeNotebook(spec, FIXTURE_MASTER, { ...FIXTURE_OPTIONS, includeHidden: false });
    expect(r.score).to.equal(8);
    expect(r.questions.flatMap((q) => q.probes).some((p) => p.hidden)).to.equal(false);
    expect(r.questions.find((q) => q.id === "fx-square")!.probes.length).to.equal(2);
  });

  it("turns bad files into 'invalid' results with the reason", async () => {
    const r = await gradeNotebook(spec, tmp.write("not json"), FIXTURE_OPTIONS);
    expect(r.status).to.equal("invalid");
    expect(r.reason).to.match(/is not valid JSON/);
    expect(r.score).to.equal(0);
    expect(r.maxScore).to.equal(8);
    expect(r.questions.every((q) => q.status === "error" && /not graded/.test(q.message ?? ""))).to.equal(true);
  });

  it("writes public checks without hidden probes and grades from them alone", async () => {
    const out = path.join(tmp.dir, "checks");
    const files = await buildChecks({ specs: [spec], mastersDir: path.dirname(FIXTURE_MASTER), outDir: out });
    expect(files).to.deep.equal([path.join(out, "90_fixture.json")]);
    const checks = JSON.parse(fs.readFileSync(files[0], "utf8")) as ChecksFile;
    const square = checks.questions.find((q) => q.id === "fx-square")!;
    expect(square.probes.map((p) => p.index)).to.deep.equal([0, 1]);
    expect(square.hiddenProbes).to.equal(1);
    const text = fs.readFileSync(files[0], "utf8");
    expect(text).to.not.contain("v * v");
    expect(text).to.not.contain("1000.5");
    const lines: string[] = [];
    const code = await runCheck([tmp.write(setSource(fixtureMaster(), "dot-impl", WRONG_DOT))], { checksDir: out, specs: [spec], out: (t) => lines.push(t) });
    expect(code).to.equal(3);
    const table = lines.join("\n");
    expect(table).to.match(/90_fixture\.ipynb: 5\/8 on the public checks/);
    expect(table).to.match(/✗ fx-dot\s+0\/3\s+failed/);
    expect(table).to.match(/hint: out\[i\]\[j\] is the sum over k/);
    const okCode = await runCheck([tmp.write(fixtureMaster())], { checksDir: out, specs: [spec], out: () => undefined });
    expect(okCode).to.equal(0);
  });

  it("check() in the notebook runs the public probes against checks/ and prints the first mismatch", () => {
    // built by the previous test into <tmp>/checks; check() finds it from the working directory
    const printed: string[] = [];
    const log = console.log;
    const cwd = process.cwd();
    const kernel = globalThis as { __tslab__?: { exports: Record<string, unknown> } };
    const saved = kernel.__tslab__;
    const run = (exportsOf: Record<string, unknown>, id: string): string => {
      printed.length = 0;
      kernel.__tslab__ = { exports: exportsOf };
      check(id);
      return printed.join("\n");
    };
    console.log = (...args: unknown[]) => printed.push(args.join(" "));
    process.chdir(tmp.dir);
    try {
      expect(run({ square: (x: number[]) => x.map((v) => v * v) }, "fx-square")).to.match(/✓ square\(x\)\n.*✓ square of 4 evenly spaced numbers\n  all 2 public checks passed \(the grader also runs 1 hidden probe\)/);
      const wrong = run({ dot: (a: number[][], b: number[][]) => a.map(() => b[0].map(() => 0)) }, "fx-dot");
      expect(wrong).to.match(/✗ dot\(a, b\): value at \[0, 0\]: expected -0\.461231, got 0/);
      expect(wrong).to.match(/input a = \[\[-0\.0163869, 0\.556451, 0\.575517\], /);
      expect(wrong).to.match(/expected: \[\[-0\.461231, 0\.830316\], \[0\.778298, -2\.82567\]\]/);
      expect(wrong).to.match(/got: {6}\[\[0, 0\], \[0, 0\]\]/);
      expect(wrong).to.match(/0\/1 public checks passed\. Hint: out\[i\]\[j\] is the sum over k/);
      // a released stub stops the cell (and Run All) with one short line instead of a list of ✗
      expect(() => run({ logSumExp: () => { throw new Error("not implemented: logSumExp"); } }, "fx-lse")).to.throw(/^logSumExp is not implemented yet$/);
      expect(run({}, "fx-lse")).to.match(/not defined yet: logSumExp\. Run the cell that defines it first\./);
      expect(run({}, "nope")).to.match(/there is no check named "nope"\. Known checks: fx-square, fx-dot, fx-lse, fx-report/);
      expect(run({}, "fx-report")).to.match(/grades the printed output of cell "report": run `npm run check`/);
      expect(printed.join("\n")).to.not.contain("1000.5");
    } finally {
      console.log = log;
      process.chdir(cwd);
      kernel.__tslab__ = saved;
    }
  });
});
