/**
 * Issue 15.4: a gradient with the wrong sign, twice too large or transposed fails its question.
 * Each case takes a shipped master (notebooks 01 and 02), changes only the student's gradient
 * code, grades it with the real grader and checks which questions lose points: the changed
 * question loses every gradient probe whose right answer is not 0 (the gradient check among
 * them), and every other question that does not call the changed function keeps full marks.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { gradeNotebook, referenceFor, type NotebookResult } from "../../grader/judge/grade";
import type { PlainValue } from "../../grader/core/plain";
import { readNotebook, type NotebookJson } from "../../grader/core/notebook";
import { spec as activations } from "../../grader/specs/01_activations";
import { spec as mlp } from "../../grader/specs/02_mlp";
import type { NotebookSpec } from "../../grader/core/spec";
import { gradedMaster } from "../support/masters";
import { ROOT, TempDir } from "./fixture";

const MASTER_01 = path.join(ROOT, "notebooks", "01_activations.ipynb");
const MASTER_02 = path.join(ROOT, "notebooks", "02_mlp.ipynb");

/** The master with one line of one cell replaced (the line must occur exactly once in that cell). */
function mutated(master: string, cellId: string, line: string, replacement: string): NotebookJson {
  const nb = JSON.parse(fs.readFileSync(master, "utf8")) as NotebookJson;
  const cell = nb.cells.find((c) => c.id === cellId);
  if (!cell) throw new Error(`${path.basename(master)} has no cell ${cellId}`);
  const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
  if (source.split(line).length !== 2) throw new Error(`cell ${cellId} does not hold exactly one ${JSON.stringify(line)}`);
  cell.source = source.replace(line, replacement);
  return nb;
}

/** True when some number in the value is clearly not zero (a wrong gradient cannot match it by luck). */
function nonZero(v: PlainValue): boolean {
  if (typeof v === "number") return Math.abs(v) > 1e-6;
  if (Array.isArray(v)) return v.some(nonZero);
  if (v !== null && typeof v === "object") return Object.values(v).some(nonZero);
  return false;
}

/**
 * Asserts that the question did not pass and that every probe whose master value is not all
 * zeros failed (the gradient check included): a wrong gradient keeps only the points of probes
 * where the right gradient is 0 (saturated inputs, a single score), as partial credit per probe.
 */
async function expectWrongGradient(spec: NotebookSpec, r: NotebookResult, id: string): Promise<void> {
  const ref = (await referenceFor(spec)).questions.find((q) => q.id === id);
  if (!ref) throw new Error(`no question ${id}`);
  const q = r.questions.find((x) => x.id === id);
  if (!q) throw new Error(`no result for ${id}`);
  expect(q.status).to.not.equal("passed");
  let mustFail = 0;
  for (const p of ref.probes) {
    if (p.expected.ok && nonZero(p.expected.value)) {
      mustFail++;
      expect(q.probes[p.index].passed, `${id} probe ${p.index} (${p.label ?? p.expr.slice(0, 60)})`).to.equal(false);
    }
  }
  expect(mustFail).to.be.greaterThan(ref.probes.length / 2);
}

function byId(r: NotebookResult): Record<string, NotebookResult["questions"][number]> {
  return Object.fromEntries(r.questions.map((q) => [q.id, q]));
}

/** Asserts full marks on every question but `changed`, and returns those. */
function expectOthersFull(r: NotebookResult, spec: NotebookSpec, changed: string[]): void {
  expect(r.status).to.equal("graded");
  const q = byId(r);
  for (const s of spec.questions) {
    if (changed.includes(s.id)) continue;
    expect(q[s.id].score, `${s.id}: ${q[s.id].message ?? ""}`).to.equal(s.points);
  }
}

describe("grader: sign errors and other wrong gradients fail their question (15.4)", function () {
  this.timeout(600_000);
  const tmp = new TempDir();
  after(() => tmp.cleanup());

  async function grade(spec: NotebookSpec, nb: NotebookJson, name: string): Promise<NotebookResult> {
    const file = tmp.write(nb, name);
    readNotebook(file); // a broken mutation must fail here, not look like a grading result
    return gradeNotebook(spec, file);
  }

  describe("notebook 01", () => {
    it("the master itself scores full marks (the cases below start from it)", async () => {
      // The run shared with the other tests of the masters (test/support/masters.ts).
      const r = await gradedMaster(activations);
      expect(r.score).to.equal(r.maxScore);
    });

    it("sigmoidGrad with the wrong sign fails sigmoid-grad: its gradient check and every probe where the gradient is not 0", async () => {
      const r = await grade(activations, mutated(MASTER_01, "sigmoid-impl", "return s * (1 - s);", "return -(s * (1 - s));"), "01_activations.ipynb");
      await expectWrongGradient(activations, r, "sigmoid-grad");
      const q = byId(r)["sigmoid-grad"];
      expect(q.probes[0].passed, "the gradient check probe").to.equal(false);
      expect(q.probes[0].message).to.match(/does not match the numeric gradient of your own function/);
      expectOthersFull(r, activations, ["sigmoid-grad"]);
    });

    it("tanhGrad twice too large fails tanh-grad", async () => {
      const r = await grade(activations, mutated(MASTER_01, "tanh-impl", "return 1 - t * t;", "return 2 * (1 - t * t);"), "01_activations.ipynb");
      await expectWrongGradient(activations, r, "tanh-grad");
      const q = byId(r)["tanh-grad"];
      expect(q.probes[0].passed, "the gradient check probe").to.equal(false);
      expectOthersFull(r, activations, ["tanh-grad"]);
    });

    it("softmaxBackward with the wrong sign or twice too large fails its gradient check and every probe where the gradient is not 0", async () => {
      for (const wrong of ["return s.map((sj, j) => -sj * (g[j] - dot));", "return s.map((sj, j) => 2 * sj * (g[j] - dot));"]) {
        const r = await grade(activations, mutated(MASTER_01, "softmax-impl", "return s.map((sj, j) => sj * (g[j] - dot));", wrong), "01_activations.ipynb");
        await expectWrongGradient(activations, r, "softmax-backward");
        const q = byId(r)["softmax-backward"];
        expect(q.probes[0].message, wrong).to.match(/numeric gradient/);
        expectOthersFull(r, activations, ["softmax-backward"]);
      }
    });

    it("a gradient consistent with a wrong forward function still fails against the master's gradient", async () => {
      // leakyRelu and its gradient both use alpha = 0.5 instead of the argument: they agree
      // with each other, so only the comparison with the master's gradient can catch it.
      const nb = mutated(MASTER_01, "relu-impl", "return z > 0 ? z : alpha * z;", "return z > 0 ? z : 0.5 * z;");
      const cell = nb.cells.find((c) => c.id === "relu-impl") as { source: string };
      cell.source = cell.source.replace("return z > 0 ? 1 : alpha;", "return z > 0 ? 1 : 0.5;");
      const r = await grade(activations, nb, "01_activations.ipynb");
      const q = byId(r)["leaky-relu-grad"];
      expect(q.probes[0].passed).to.equal(false);
      expect(q.probes[0].message).to.match(/not the reference gradient/);
    });
  });

  describe("notebook 02", () => {
    const GRADS = "return { loss, grads: { w1: withL2(layer1.dw, p.w1), b1: layer1.db, w2: withL2(layer2.dw, p.w2), b2: layer2.db } };";
    /** mlpLoss's gradient check and its hidden gradient probes (all but the loss value, probe 1). */
    const GRADIENT_PROBES = [0, 2, 3, 4];

    function expectGradientProbesFail(r: NotebookResult): void {
      const q = byId(r)["mlp-loss"];
      for (const i of GRADIENT_PROBES) expect(q.probes[i].passed, `mlp-loss probe ${i}`).to.equal(false);
      expect(q.probes[1].passed, "the loss value itself is right").to.equal(true);
      expect(q.score).to.be.at.most(q.points / 5 + 1e-9);
      // trainMlp descends along mlpLoss's gradient, so it goes wrong too; nothing else may.
      expectOthersFull(r, mlp, ["mlp-loss", "train-mlp"]);
    }

    it("the master itself scores full marks", async () => {
      const r = await gradedMaster(mlp);
      expect(r.score).to.equal(r.maxScore);
    });

    it("mlpLoss with the wrong sign on dW2 loses every gradient probe of mlp-loss", async () => {
      const r = await grade(mlp, mutated(MASTER_02, "mlp-loss-impl", GRADS, GRADS.replace("w2: withL2(layer2.dw, p.w2)", "w2: withL2(layer2.dw, p.w2).map((row) => row.map((v) => -v))")), "02_mlp.ipynb");
      expect(byId(r)["mlp-loss"].probes[0].message).to.match(/numeric gradient/);
      expectGradientProbesFail(r);
    });

    it("mlpLoss with dW1 twice too large loses every gradient probe of mlp-loss", async () => {
      const r = await grade(mlp, mutated(MASTER_02, "mlp-loss-impl", GRADS, GRADS.replace("w1: withL2(layer1.dw, p.w1)", "w1: withL2(layer1.dw, p.w1).map((row) => row.map((v) => 2 * v))")), "02_mlp.ipynb");
      expectGradientProbesFail(r);
    });

    it("mlpLoss with a transposed dW2 loses every gradient probe of mlp-loss", async () => {
      const transposed = "w2: ((m: number[][]) => m[0].map((_, j) => m.map((row) => row[j])))(withL2(layer2.dw, p.w2))";
      const r = await grade(mlp, mutated(MASTER_02, "mlp-loss-impl", GRADS, GRADS.replace("w2: withL2(layer2.dw, p.w2)", transposed)), "02_mlp.ipynb");
      expectGradientProbesFail(r);
    });

    it("affineBackward with a transposed dw loses the dw probes of affine-backward (and its callers), nothing else", async () => {
      const r = await grade(mlp, mutated(MASTER_02, "affine-backward-impl", "return { dx, dw, db };", "return { dx, dw: dw[0].map((_, j) => dw.map((row) => row[j])), db };"), "02_mlp.ipynb");
      const q = byId(r)["affine-backward"];
      // probes 4..7 are dw (dx, dw and db have 4 probes each)
      for (let i = 0; i < 12; i++) expect(q.probes[i].passed, `affine-backward probe ${i}`).to.equal(i < 4 || i >= 8 ? true : i === 6);
      expectOthersFull(r, mlp, ["affine-backward", "mlp-loss", "train-mlp"]);
      expect(byId(r)["mlp-loss"].probes[0].passed, "mlpLoss's gradient check").to.equal(false);
    });
  });
});
