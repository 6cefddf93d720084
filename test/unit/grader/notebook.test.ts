import { expect } from "chai";
import { planCells, masterCells } from "../../../grader/run/cells";
import { readNotebook, parseNotebook, NotebookError, cellSource, type NotebookJson } from "../../../grader/core/notebook";
import { stubSolutions, toStudentNotebook } from "../../../grader/release/release-transform";
import { TempDir, fixtureMaster, codeCell } from "../../grader/fixture";

describe("grader notebooks: reading", () => {
  const tmp = new TempDir();
  after(() => tmp.cleanup());

  it("reads the fixture master", () => {
    const nb = readNotebook(tmp.write(fixtureMaster()));
    expect(nb.cells.length).to.be.greaterThan(5);
  });

  const bad: [string, string, RegExp][] = [
    ["invalid JSON", '{"cells": [', /90_fixture\.ipynb is not valid JSON .*is it really a \.ipynb notebook\?/],
    ["nbformat 3", JSON.stringify({ nbformat: 3, nbformat_minor: 0, metadata: {}, worksheets: [] }), /old notebook format 3 \(nbformat 4 is needed\)/],
    [
      "a Python notebook",
      JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: "python3", language: "python" } }, cells: [{ cell_type: "code", source: "print(1)", metadata: {} }] }),
      /is a python notebook \(kernel "python3"\), not a TypeScript notebook on the tslab kernel/,
    ],
    ["no cells", JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: "tslab" } }, cells: [] }), /has no cells/],
    ["a JSON array", "[1, 2]", /not a notebook: its JSON is not an object/],
    ["a cell without source", JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: "code", metadata: {} }] }), /cell 1 has no valid source/],
  ];
  for (const [what, text, message] of bad) {
    it(`rejects ${what} with a clear NotebookError`, () => {
      const file = tmp.write(text);
      expect(() => readNotebook(file)).to.throw(NotebookError, message);
    });
  }

  it("names a missing file", () => {
    expect(() => readNotebook("/nonexistent/nb.ipynb")).to.throw(NotebookError, /cannot read \/nonexistent\/nb\.ipynb: ENOENT/);
  });
});

describe("grader notebooks: release transform", () => {
  it("stubs solution regions at their indentation, named after the region or the cell", () => {
    const src = "function f(x: number): number {\n  const y = 1;\n    // BEGIN SOLUTION f\n    return x + y;\n    // END SOLUTION\n}\n// BEGIN SOLUTION\nconst z = 2;\n// END SOLUTION";
    expect(stubSolutions(src, "cell-f")).to.equal(
      'function f(x: number): number {\n  const y = 1;\n    // YOUR CODE HERE\n    throw new Error("not implemented: f");\n}\n// YOUR CODE HERE\nthrow new Error("not implemented: cell-f");',
    );
  });

  it("rejects unbalanced markers naming the cell and line", () => {
    expect(() => stubSolutions("// BEGIN SOLUTION\nx", "c1")).to.throw(/cell c1: BEGIN SOLUTION on line 1 is never closed/);
    expect(() => stubSolutions("x\n// END SOLUTION", "c2")).to.throw(/cell c2: END SOLUTION on line 2 without a BEGIN SOLUTION/);
    expect(() => stubSolutions("// BEGIN SOLUTION\n// BEGIN SOLUTION\n// END SOLUTION", "c3")).to.throw(/inside the region opened on line 1/);
  });

  it("keeps ids, tags and markdown, clears outputs, leaves the master untouched", () => {
    const master = fixtureMaster();
    master.cells[1].outputs = [{ output_type: "stream", name: "stdout", text: "x" }];
    const before = JSON.stringify(master);
    const student = toStudentNotebook(master);
    expect(JSON.stringify(master)).to.equal(before);
    expect(student.cells.map((c) => c.id)).to.deep.equal(master.cells.map((c) => c.id));
    expect(student.cells[1].outputs).to.deep.equal([]);
    const square = cellSource(student.cells.find((c) => c.id === "square-impl")!);
    expect(square).to.contain('  // YOUR CODE HERE\n  throw new Error("not implemented: square");');
    expect(square).to.contain("function square(x: number[]): number[] {");
    expect(square).to.not.contain("v * v");
    expect(cellSource(student.cells.find((c) => c.id === "dot-impl")!)).to.contain('"not implemented: dot-impl"');
    expect(student.cells.find((c) => c.id === "report")!.metadata.tags).to.deep.equal(["graded-output"]);
  });
});

describe("grader notebooks: matching cells with the master", () => {
  const master = fixtureMaster();
  const cells = masterCells(master, toStudentNotebook(master));
  const ids = (nb: NotebookJson): string[] => planCells(cells, nb).cells.map((c) => c.id);
  const runOrder = ["setup", "square-impl", "dot-impl", "lse-impl", "report"];

  it("matches by id, takes tags from the master and leaves out skip-in-grader cells", () => {
    const sub = fixtureMaster();
    sub.cells.find((c) => c.id === "report")!.metadata.tags = [];
    sub.cells.find((c) => c.id === "slow")!.metadata.tags = [];
    const plan = planCells(cells, sub);
    expect(plan.cells.map((c) => c.id)).to.deep.equal(runOrder);
    expect(plan.cells.find((c) => c.id === "report")!.tags).to.deep.equal(["graded-output"]);
    expect(plan.notes).to.deep.equal([]);
  });

  it("matches cells without ids by source and position, and says so", () => {
    const sub = fixtureMaster();
    for (const c of sub.cells) delete c.id;
    sub.cells.find((c) => cellSource(c).includes("function dot"))!.source = "function dot(a: number[][], b: number[][]): number[][] { return []; }";
    const plan = planCells(cells, sub);
    expect(plan.cells.map((c) => c.id)).to.deep.equal(runOrder);
    expect(plan.cells.find((c) => c.id === "dot-impl")!.source).to.contain("return []");
    expect(plan.notes.join(" ")).to.match(/6 cell\(s\) had a missing or changed cell id/);
  });

  it("runs the student version of a deleted cell and runs added cells in place", () => {
    const sub = fixtureMaster();
    sub.cells = sub.cells.filter((c) => c.id !== "setup");
    sub.cells.splice(3, 0, codeCell("my-helper", "const helper = 1;"));
    const plan = planCells(cells, sub);
    expect(plan.cells.map((c) => c.id)).to.deep.equal(["setup", "square-impl", "my-helper", "dot-impl", "lse-impl", "report"]);
    expect(plan.cells[0].origin).to.equal("released");
    expect(plan.notes.join(" ")).to.match(/cell setup is missing from the submission/);
    expect(ids(fixtureMaster())).to.deep.equal(runOrder);
  });
});
