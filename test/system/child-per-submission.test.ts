/**
 * One sandboxed child per submission (issue 21.1), on the whole shipped course: the masters, the
 * released stubs and a wrong submission are graded both ways (one child per notebook, and one
 * child for the submission's notebooks), and every probe's value, every cell's status and output
 * and every score must be the same. It grades the course six times (minutes), so it lives in the
 * system tier; test/grader/child-per-submission.test.ts covers the runner's rules on small cases.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { limitsFor, loadSpecs, referenceFor } from "../../grader/judge/grade";
import { judgeQuestion } from "../../grader/judge/judge";
import type { RefQuestion } from "../../grader/judge/expected";
import { planCells } from "../../grader/run/cells";
import { readNotebook, type NotebookJson } from "../../grader/core/notebook";
import { toStudentNotebook } from "../../grader/release/release-transform";
import { runNotebook, runNotebooks, type NotebookRun, type RunResult } from "../../grader/run/run";
import { KIT_ROOT } from "../../grader/core/version";
import { masterPath, specsWithMaster } from "../support/masters";
import { withSolution } from "../support/notebook-results";
import { plainRun } from "../support/run-compare";
import { TempDir } from "../grader/fixture";

/** A notebook ready to run, with the reference questions it is judged on (as grader/judge/grade.ts prepares it). */
async function prepare(notebook: string, file: string): Promise<{ run: NotebookRun; questions: RefQuestion[] }> {
  const spec = loadSpecs().find((s) => s.notebook === notebook)!;
  const reference = await referenceFor(spec);
  const questions = reference.questions.filter((q) => spec.questions.some((s) => s.id === q.id));
  const plan = planCells(reference.cells, readNotebook(file));
  return {
    questions,
    run: { planned: plan.cells, questions: questions.filter((q) => q.compare.kind !== "output"), limits: limitsFor(spec, {}), options: { conversions: reference.conversions, profile: true } },
  };
}

describe("grader: one sandboxed child per submission, on the shipped course", function () {
  this.timeout(1_800_000);
  const tmp = new TempDir();
  after(() => tmp.cleanup());

  it("grades the masters, the released stubs and a wrong submission as one child per notebook does, probe by probe", async () => {
    const notebooks = specsWithMaster().map((s) => s.notebook);
    expect(notebooks).to.have.length.greaterThan(1);
    const stubs = path.join(tmp.dir, "stubs");
    const wrong = path.join(tmp.dir, "wrong");
    fs.mkdirSync(stubs);
    fs.mkdirSync(wrong);
    for (const nb of notebooks) {
      const master = JSON.parse(fs.readFileSync(masterPath(nb), "utf8")) as NotebookJson;
      fs.writeFileSync(path.join(stubs, nb), JSON.stringify(toStudentNotebook(master)));
      fs.copyFileSync(masterPath(nb), path.join(wrong, nb));
    }
    // a plausible mistake in 01 (a graded value off, not a throw); the rest of it as the master
    withSolution(masterPath("01_activations.ipynb"), wrong, "sigmoid", "  return 1 / (1 + Math.exp(z));");
    const batch: [string, (nb: string) => string][] = [
      ["masters", masterPath],
      ["stubs", (nb) => path.join(stubs, nb)],
      ["wrong", (nb) => path.join(wrong, nb)],
    ];
    for (const [name, fileOf] of batch) {
      const prepared = await Promise.all(notebooks.map((nb) => prepare(nb, fileOf(nb))));
      const alone: RunResult[] = [];
      for (const p of prepared) alone.push(await runNotebook(KIT_ROOT, p.run.planned, p.run.questions, p.run.limits, p.run.options));
      const shared = await runNotebooks(KIT_ROOT, prepared.map((p) => p.run));
      expect(alone.reduce((n, r) => n + (r.profile?.children ?? 0), 0), `${name}: children, one per notebook`).to.equal(notebooks.length);
      expect(shared.reduce((n, r) => n + (r.profile?.children ?? 0), 0), `${name}: children, one per submission`).to.equal(1);
      const total = { alone: 0, shared: 0, max: 0 };
      notebooks.forEach((nb, k) => {
        expect(plainRun(shared[k]), `${name} ${nb}`).to.deep.equal(plainRun(alone[k]));
        const judged = (r: RunResult) => prepared[k].questions.map((q) => judgeQuestion(q, r));
        expect(judged(shared[k]), `${name} ${nb}: judged`).to.deep.equal(judged(alone[k]));
        total.alone += judged(alone[k]).reduce((s, q) => s + q.score, 0);
        total.shared += judged(shared[k]).reduce((s, q) => s + q.score, 0);
        total.max += prepared[k].questions.reduce((s, q) => s + q.points, 0);
      });
      expect(total.shared).to.equal(total.alone);
      if (name === "masters") expect(total.shared, "the masters get full marks").to.equal(total.max);
      if (name === "stubs") expect(total.shared, "the released stubs score 0").to.equal(0);
      if (name === "wrong") expect(total.shared, "the wrong sigmoid loses points").to.be.greaterThan(0).and.lessThan(total.max);
    }
  });
});
