/**
 * Every master notebook that has a spec: it runs top to bottom in the real tslab kernel
 * without errors or stderr; its released student version runs until the first exercise and
 * stops there with "not implemented"; the grader gives the master full marks and the student
 * version 0 on the exercises.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { executeNotebook, streamText, type ExecutedNotebook } from "../support/kernel";
import { gradeNotebook, loadSpecs } from "../../grader/grade";
import { readNotebook } from "../../grader/notebook";
import { hasSolution, toStudentNotebook } from "../../grader/release-transform";
import { cellSource } from "../../grader/notebook";

const ROOT = path.resolve(__dirname, "../..");
const NOTEBOOKS = path.join(ROOT, "notebooks");

function stderrOf(nb: ExecutedNotebook): string[] {
  return nb.cells.filter((c) => c.cell_type === "code").map((c) => streamText(c, "stderr")).filter((t) => t.trim() !== "");
}

for (const spec of loadSpecs().filter((s) => fs.existsSync(path.join(NOTEBOOKS, s.notebook)))) {
  describe(`master ${spec.notebook}`, function () {
    this.timeout(15 * 60 * 1000);
    const master = path.join(NOTEBOOKS, spec.notebook);
    let tmp: string;
    let student: string;
    before(() => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "nnkit-masters-"));
      // The kernel runs it from notebooks/ (cwd), where it finds nnkit and checks/ as in the kit.
      student = path.join(tmp, spec.notebook);
      fs.writeFileSync(student, JSON.stringify(toStudentNotebook(readNotebook(master)), null, 1));
    });
    after(() => {
      fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("runs top to bottom in the tslab kernel without errors or stderr", async () => {
      const nb = await executeNotebook(master);
      expect(nb.metadata.nnkit_execution.error_cell, "failing cell").to.equal(null);
      expect(stderrOf(nb)).to.deep.equal([]);
    });

    it("released, runs until the first exercise and stops there with 'not implemented'", async () => {
      const nb = await executeNotebook(student, { cwd: NOTEBOOKS });
      const failing = nb.metadata.nnkit_execution.error_cell;
      expect(failing, "the student version should stop at an exercise").to.be.a("string");
      const index = nb.cells.findIndex((c) => c.id === failing);
      expect(streamText(nb.cells[index], "stderr")).to.match(/not implemented/);
      for (const c of nb.cells.slice(0, index)) {
        if (c.cell_type === "code") expect(streamText(c, "stderr"), `stderr of cell ${c.id}`).to.equal("");
      }
      const firstStub = readNotebook(master).cells.findIndex((c) => c.cell_type === "code" && hasSolution(cellSource(c)));
      expect(index, "it must stop at or after the first exercise").to.be.at.least(firstStub);
    });

    it("gets full marks from the grader", async () => {
      const r = await gradeNotebook(spec, master);
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
