/**
 * Every master notebook that has a spec: it runs top to bottom in the real tslab kernel
 * without errors or stderr; its released student version runs until the first exercise and
 * stops there with "not implemented"; the grader gives the master full marks and the student
 * version 0 on the exercises. The masters' runs are shared with the per-notebook tests
 * (test/support/masters.ts); the kernel run of a master that trains for minutes
 * (LONG_KERNEL_RUNS) is checked in test/e2e, which CI runs.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { executeNotebook, stderrOf, streamText } from "../support/kernel";
import { executedMaster, gradedMaster, LONG_KERNEL_RUNS, masterPath, specsWithMaster, workFolder } from "../support/masters";
import { gradeNotebook } from "../../grader/judge/grade";
import { readNotebook } from "../../grader/core/notebook";
import { hasSolution, toStudentNotebook } from "../../grader/release/release-transform";
import { cellSource } from "../../grader/core/notebook";

for (const spec of specsWithMaster()) {
  describe(`master ${spec.notebook}`, function () {
    this.timeout(30 * 60 * 1000);
    const master = masterPath(spec.notebook);
    let tmp: string;
    let student: string;
    before(async () => {
      // A working folder laid out like the kit (nnkit, checks/), outside it.
      tmp = await workFolder("masters");
      student = path.join(tmp, spec.notebook);
      fs.writeFileSync(student, JSON.stringify(toStudentNotebook(readNotebook(master)), null, 1));
    });

    if (!LONG_KERNEL_RUNS.has(spec.notebook)) {
      it("runs top to bottom in the tslab kernel without errors or stderr", async () => {
        const nb = await executedMaster(spec.notebook);
        expect(nb.metadata.nnkit_execution.error_cell, "failing cell").to.equal(null);
        expect(stderrOf(nb)).to.deep.equal([]);
      });
    }

    it("released, runs until the first exercise's check cell and stops there with a short 'not implemented', without internal stack frames", async () => {
      const nb = await executeNotebook(student, { cwd: tmp });
      const failing = nb.metadata.nnkit_execution.error_cell;
      expect(failing, "the student version should stop at an exercise").to.be.a("string");
      const index = nb.cells.findIndex((c) => c.id === failing);
      const stderr = streamText(nb.cells[index], "stderr");
      for (const c of nb.cells.slice(0, index)) {
        if (c.cell_type === "code") expect(streamText(c, "stderr"), `stderr of cell ${c.id}`).to.equal("");
      }
      // the first cell after the first exercise that calls check(): Run All must not stop earlier or later (17.3)
      const cells = readNotebook(master).cells;
      const firstStub = cells.findIndex((c) => c.cell_type === "code" && hasSolution(cellSource(c)));
      const firstCheck = cells.findIndex((c, i) => i > firstStub && c.cell_type === "code" && /\bcheck\("/.test(cellSource(c)));
      expect(firstStub).to.be.at.least(0);
      expect(failing, "it must stop at the first exercise's check cell").to.equal(cells[firstCheck].id);
      // one short line that names the exercise: "<name> is not implemented yet" from check(), or the stub's own error
      expect(stderr).to.match(/^Error: (\w+ is not implemented yet|not implemented: \w+)$/m);
      const frames = stderr.split("\n").filter((l) => /^\s*at /.test(l));
      expect(frames.filter((l) => /[\\/]tslab[\\/]|[\\/]src[\\/]dist[\\/]|[\\/]nnkit[\\/]|\(node:|at node:/.test(l)), "frames of tslab, nnkit or Node").to.deep.equal([]);
      expect(frames.every((l) => /evalmachine|<anonymous>/.test(l)), `only the notebook's own frames:\n${stderr}`).to.equal(true);
    });

    it("gets full marks from the grader", async () => {
      const r = await gradedMaster(spec);
      const lost = r.questions.filter((q) => q.score !== q.points).map((q) => `${q.id}: ${q.message}`);
      expect(lost).to.deep.equal([]);
      expect(r.status).to.equal("graded");
      expect(r.score).to.equal(r.maxScore);
    });

    it("released, scores 0 on every exercise", async () => {
      const r = await gradeNotebook(spec, student);
      const scored = r.questions.filter((q) => q.score > 0).map((q) => `${q.id}: ${q.score}`);
      expect(scored).to.deep.equal([]);
      expect(r.score).to.equal(0);
    });
  });
}
