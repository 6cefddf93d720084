/**
 * Issue 22.3a: no probe computes its verdict in the child. Probes return raw values (both
 * gradients, both weight sets, both sides of an identity, the accuracy, the thrown error) and the
 * parent judges them with the raw-value comparators, internally and against the master's values.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { compareValues, type CompareRule } from "../../grader/judge/compare";
import { gradeNotebook } from "../../grader/judge/grade";
import type { NotebookJson } from "../../grader/core/notebook";
import type { PlainValue, ProbeOutcome } from "../../grader/core/plain";
import { spec as activations } from "../../grader/specs/01_activations";
import { spec as mlp } from "../../grader/specs/02_mlp";
import { spec as descent } from "../../grader/specs/03_gradient_descent";
import { spec as convolution } from "../../grader/specs/04_convolution";
import { spec as fashion } from "../../grader/specs/05_fashion_mnist";
import type { Comparator, NotebookSpec } from "../../grader/core/spec";
import { codeCell, ROOT, TempDir } from "./fixture";

const ok = (value: PlainValue): ProbeOutcome => ({ ok: true, value });
const judge = (e: PlainValue, g: PlainValue, rule: CompareRule) => compareValues(ok(e), ok(g), rule);

describe("judge: raw-value comparators", () => {
  const grad: CompareRule = { kind: "gradcheck", max: 1e-7, rtol: 1e-7, atol: 1e-12 };
  const master = { analytic: [0.25, 0.1966, 0.105], numeric: [0.25, 0.1966, 0.105] };

  it("gradcheck passes when the analytic gradient matches its numeric one and the master's", () => {
    expect(judge(master, { analytic: [0.25, 0.1966, 0.105], numeric: [0.25 + 1e-11, 0.1966, 0.105] }, grad)).to.deep.equal({ passed: true });
  });

  it("gradcheck fails a wrong sign, a factor of two and a transpose, whatever the master says", () => {
    const sign = judge(master, { analytic: [-0.25, -0.1966, -0.105], numeric: [0.25, 0.1966, 0.105] }, grad);
    expect(sign.passed).to.equal(false);
    expect(sign.message).to.match(/numeric gradient of your own function.*max relative error 1\.00e\+0/);
    expect(judge(master, { analytic: [0.5, 0.3932, 0.21], numeric: [0.25, 0.1966, 0.105] }, grad).passed).to.equal(false);
    const m = { analytic: [[1, 2, 3], [4, 5, 6]], numeric: [[1, 2, 3], [4, 5, 6]] };
    const transposed = judge(m, { analytic: [[1, 4], [2, 5], [3, 6]], numeric: [[1, 2, 3], [4, 5, 6]] }, grad);
    expect(transposed.passed).to.equal(false);
    expect(transposed.message).to.match(/wrong shape/);
  });

  it("gradcheck fails a gradient that is consistent with a wrong function (checked against the master's)", () => {
    const v = judge(master, { analytic: [0.2, 0.1, 0.05], numeric: [0.2, 0.1, 0.05] }, grad);
    expect(v.passed).to.equal(false);
    expect(v.message).to.match(/not the reference gradient/);
  });

  it("a probe that reports a verdict of its own (1, true, zeros) fails every raw-value rule", () => {
    expect(judge(master, 1, grad).passed).to.equal(false);
    expect(judge(master, { analytic: 1, numeric: 1 }, grad).passed).to.equal(false);
    const agree: CompareRule = { kind: "agree", parts: ["first", "second"], master: "shape" };
    expect(judge({ first: [[1, 2], [3]], second: [[1, 2], [3]] }, true, agree).passed).to.equal(false);
    expect(judge({ first: [[1, 2], [3]], second: [[1, 2], [3]] }, { first: [], second: [] }, agree).passed).to.equal(false);
    expect(judge(0.9, true, { kind: "atLeast", min: 0.8 }).passed).to.equal(false);
  });

  it("agree checks the two parts against each other and against the master's (values or structure)", () => {
    const weights: CompareRule = { kind: "agree", parts: ["first", "second"], master: "shape" };
    const e = { first: [[0.1, -0.2, 0.3], [0]], second: [[0.1, -0.2, 0.3], [0]] };
    expect(judge(e, { first: [[0.5, 0.6, 0.7], [0]], second: [[0.5, 0.6, 0.7], [0]] }, weights).passed).to.equal(true);
    const differ = judge(e, { first: [[0.5, 0.6, 0.7], [0]], second: [[0.5, 0.61, 0.7], [0]] }, weights);
    expect(differ.passed).to.equal(false);
    expect(differ.message).to.match(/second should equal first/);
    expect(judge(e, { first: [[0.5, 0.6], [0]], second: [[0.5, 0.6], [0]] }, weights).message).to.match(/wrong structure at \[0\] \(length 2 instead of 3\)/);
    const identity: CompareRule = { kind: "agree", parts: ["tanh", "viaSigmoid"], within: { rtol: 1e-9, atol: 1e-12 }, master: { rtol: 1e-7, atol: 1e-12 } };
    const t = { tanh: [[0.5, -0.2]], viaSigmoid: [[0.5, -0.2]] };
    expect(judge(t, { tanh: [[0.5, -0.2]], viaSigmoid: [[0.5 + 1e-13, -0.2]] }, identity).passed).to.equal(true);
    // both sides wrong in the same way: they agree, the master's values catch it
    expect(judge(t, { tanh: [[0, 0]], viaSigmoid: [[0, 0]] }, identity).message).to.match(/^tanh: /);
  });

  it("atLeast judges the number against the bar, and the master's must clear it too", () => {
    const bar: CompareRule = { kind: "atLeast", min: 0.8 };
    expect(judge(0.93, 0.8, bar).passed).to.equal(true);
    expect(judge(0.93, 0.79, bar).message).to.equal("0.79 is below 0.8");
    expect(judge(0.93, NaN, bar).passed).to.equal(false);
    expect(judge(0.5, 0.9, bar).message).to.match(/reference itself is below 0\.8/);
  });

  it("resultOrThrows: a throw is judged in the parent, and the stub's 'not implemented' never counts", () => {
    const rule: CompareRule = { kind: "resultOrThrows" };
    expect(judge({ threw: "N - F + 2P = -2" }, { threw: "bad size" }, rule).passed).to.equal(true);
    expect(judge({ threw: "N - F + 2P = -2" }, { threw: "not implemented: outputSize" }, rule).passed).to.equal(false);
    expect(judge({ threw: "N - F + 2P = -2" }, 3, rule).message).to.match(/expected it to throw an Error, but it returned 3/);
    expect(judge(5, 5, rule).passed).to.equal(true);
    expect(judge(5, { threw: "oops" }, rule).message).to.equal("threw oops");
    expect(judge(5, "throws", rule).passed, "the old self-judged string").to.equal(false);
    const close: CompareRule = { kind: "resultOrThrows", returned: { kind: "allclose", rtol: 1e-12, atol: 0 } };
    expect(judge(0.5, 0.5 + 1e-14, close).passed).to.equal(true);
  });
});

describe("judge: the shipped specs judge nothing in the child", () => {
  const specs: NotebookSpec[] = [activations, mlp, descent, convolution, fashion];

  it("every probe that returns a verdict-like value in parts names the raw-value rule that judges it", () => {
    const raw = new Set(["gradcheck", "agree", "atLeast", "resultOrThrows"]);
    let rawProbes = 0;
    for (const spec of specs) {
      for (const q of spec.questions) {
        q.probes.forEach((p, i) => {
          const rule: Comparator = p.compare ?? q.compare;
          const where = `${spec.notebook} ${q.id} probe ${i}`;
          // the shapes of self-judging probes found before (a verdict computed in the child)
          expect(p.expr, where).to.not.match(/\?\s*1\s*:|worst\s*</);
          expect(p.expr, where).to.not.match(/JSON\.stringify\([^)]*\)\s*===/);
          expect(p.expr, where).to.not.match(/return [^;]*>=\s*0\.\d/);
          expect(p.expr, where).to.not.match(/not implemented/);
          if (/numeric/.test(p.expr)) expect(rule.kind, where).to.equal("gradcheck");
          if (/resultOrThrows|threw/.test(p.expr) || /\{ threw:/.test(p.expr)) expect(rule.kind, where).to.equal("resultOrThrows");
          if (raw.has(rule.kind)) rawProbes++;
        });
      }
    }
    // 01: 5 gradient checks + 1 identity; 02: 1 gradient check + circles; 03: theta0 (public and hidden) and each of the six
    // rules called twice (17.2); 04: 10 outputSize; 05: the same weights twice, hidden and public (17.2), for each model + 2 throws
    expect(rawProbes).to.equal(6 + 2 + (2 + 6) + 10 + (4 + 2));
  });
});

describe("judge: patching what a probe uses cannot make a wrong function pass (real grading)", function () {
  this.timeout(600_000);
  const tmp = new TempDir();
  after(() => tmp.cleanup());
  const MASTER_01 = path.join(ROOT, "notebooks", "01_activations.ipynb");

  function master01(): NotebookJson {
    return JSON.parse(fs.readFileSync(MASTER_01, "utf8")) as NotebookJson;
  }

  function replaceIn(nb: NotebookJson, cellId: string, from: string, to: string): NotebookJson {
    const cell = nb.cells.find((c) => c.id === cellId);
    if (!cell) throw new Error(`no cell ${cellId}`);
    const src = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
    if (!src.includes(from)) throw new Error(`cell ${cellId} has no ${from}`);
    cell.source = src.replace(from, to);
    return nb;
  }

  it("a wrong-sign sigmoidGrad with Math.abs patched to 0 (which made the old in-child check pass) fails its gradient check", async () => {
    const nb = replaceIn(master01(), "sigmoid-impl", "return s * (1 - s);", "return -(s * (1 - s));");
    nb.cells.push(codeCell("patch", "Math.abs = (_: number) => 0;\nMath.max = (..._: number[]) => 0;"));
    const r = await gradeNotebook(activations, tmp.write(nb, "01_activations.ipynb"));
    expect(r.cells.find((c) => c.id === "patch")?.ok, "the patch ran").to.equal(true);
    const q = r.questions.find((x) => x.id === "sigmoid-grad");
    expect(q?.probes[0].passed).to.equal(false);
    expect(q?.score).to.be.lessThan(q?.points ?? 0);
  });

  it("a wrong tanh with elementwise patched to return zeros (which made the old identity probe pass) fails the identity probe", async () => {
    const nb = replaceIn(master01(), "tanh-impl", "return z >= 0 ? t : -t;", "return 0.5 * (z >= 0 ? t : -t);");
    nb.cells.push(codeCell("patch", "function elementwise(x: any, f: any): any {\n  return Array.isArray(x) ? x.map((v: any) => elementwise(v, f)) : 0;\n}"));
    const r = await gradeNotebook(activations, tmp.write(nb, "01_activations.ipynb"));
    expect(r.cells.find((c) => c.id === "patch")?.ok, "the patch ran").to.equal(true);
    const q = r.questions.find((x) => x.id === "tanh");
    const identity = q?.probes.find((p) => /2·sigmoid/.test(p.label ?? ""));
    expect(identity?.passed).to.equal(false);
    expect(q?.score).to.equal(0);
  });
});
