import { expect } from "chai";
import * as tf from "@tensorflow/tfjs";
import { compareValues, decodePlain, encodePlain, shapeOf, toPlain, type ProbeOutcome } from "../../../src/check";
import { generateInput, generateInputs, hashSeed } from "../../../grader/core/inputs";

const ok = (value: ReturnType<typeof toPlain>): ProbeOutcome => ({ ok: true, value });

describe("grader values: plain data", () => {
  it("turns tensors, typed arrays, Maps, Sets and undefined into plain data", () => {
    const t = tf.tensor2d([[1, 2], [3, 4]]);
    expect(toPlain(t)).to.deep.equal([[1, 2], [3, 4]]);
    expect(toPlain(tf.scalar(2.5))).to.equal(2.5);
    t.dispose();
    expect(toPlain(new Float32Array([0.5, 1.5]))).to.deep.equal([0.5, 1.5]);
    expect(toPlain(new Int32Array([1, -2]))).to.deep.equal([1, -2]);
    expect(toPlain({ a: undefined, b: new Set([1]), c: new Map([["k", 2]]) })).to.deep.equal({ a: null, b: [1], c: { k: 2 } });
    expect(toPlain(BigInt(7))).to.equal(7);
  });

  it("refuses a disposed tensor with a clear error and survives cycles", () => {
    const t = tf.tensor1d([1]);
    t.dispose();
    expect(() => toPlain(t)).to.throw(/disposed tensor/);
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    expect(toPlain(cyclic)).to.deep.equal({ self: "[circular]" });
  });

  it("keeps NaN and ±Infinity through JSON", () => {
    const value = [1, NaN, Infinity, -Infinity, { x: NaN }];
    const back = decodePlain(JSON.parse(JSON.stringify(encodePlain(value))));
    expect(back).to.deep.equal(value);
    expect(Number.isNaN((back as number[])[1])).to.equal(true);
  });

  it("rejects data that is not plain", () => {
    expect(() => decodePlain({ $nonfinite: "huge" })).to.throw(/non-finite/);
  });

  it("computes shapes of numeric nested arrays only", () => {
    expect(shapeOf(3)).to.deep.equal([]);
    expect(shapeOf([[1, 2, 3], [4, 5, 6]])).to.deep.equal([2, 3]);
    expect(shapeOf([[1], [2, 3]])).to.equal(null);
    expect(shapeOf(["a"])).to.equal(null);
  });
});

describe("grader values: comparators", () => {
  it("allclose passes within rtol/atol and names the first mismatch otherwise", () => {
    expect(compareValues(ok([1, 2]), ok([1 + 1e-9, 2]), { kind: "allclose" }).passed).to.equal(true);
    const v = compareValues(ok([[1, 2], [3, 4]]), ok([[1, 2], [3, 5]]), { kind: "allclose" });
    expect(v.passed).to.equal(false);
    expect(v.message).to.match(/at \[1, 1\]: expected 4, got 5 \(1 of 4 values differ/);
  });

  it("allclose checks the shape first", () => {
    const v = compareValues(ok([[1, 2, 3]]), ok([[1], [2], [3]]), { kind: "allclose" });
    expect(v).to.deep.equal({ passed: false, message: "wrong shape: expected shape [1, 3], got shape [3, 1]" });
    expect(compareValues(ok(1), ok([1]), { kind: "allclose" }).message).to.match(/expected a number, got shape \[1\]/);
  });

  it("treats NaN as equal to NaN and Infinity only to itself", () => {
    expect(compareValues(ok([NaN, Infinity]), ok([NaN, Infinity]), { kind: "allclose" }).passed).to.equal(true);
    expect(compareValues(ok([Infinity]), ok([1e308]), { kind: "allclose" }).passed).to.equal(false);
    expect(compareValues(ok([NaN]), ok([0]), { kind: "exact" }).passed).to.equal(false);
  });

  it("compares objects key by key with the numeric tolerance", () => {
    const e = ok({ shape: [2], data: [0.1, 0.2] });
    expect(compareValues(e, ok({ shape: [2], data: [0.1, 0.2 + 1e-12] }), { kind: "allclose" }).passed).to.equal(true);
    expect(compareValues(e, ok({ shape: [1, 2], data: [0.1, 0.2] }), { kind: "allclose" }).message).to.match(/\.shape/);
    expect(compareValues(e, ok({ data: [0.1, 0.2] }), { kind: "allclose" }).message).to.match(/keys data instead of data, shape/);
  });

  it("relerr uses CS231n's relative error", () => {
    expect(compareValues(ok([1000]), ok([1000.0000001]), { kind: "relerr", max: 1e-9 }).passed).to.equal(true);
    expect(compareValues(ok([1]), ok([1.001]), { kind: "relerr", max: 1e-6 }).passed).to.equal(false);
  });

  it("exact and shape", () => {
    expect(compareValues(ok({ a: [1, "x"] }), ok({ a: [1, "x"] }), { kind: "exact" }).passed).to.equal(true);
    expect(compareValues(ok("throws"), ok(3), { kind: "exact" }).passed).to.equal(false);
    expect(compareValues(ok([[1, 2]]), ok([[5, 6]]), { kind: "shape" }).passed).to.equal(true);
    expect(compareValues(ok([[1, 2]]), ok([5, 6]), { kind: "shape" }).message).to.equal("wrong shape: expected shape [1, 2], got shape [2]");
  });

  it("output compares normalized text and names the first differing line", () => {
    const rule = { kind: "output" as const, cell: "c", normalize: "trim" as const };
    expect(compareValues(ok("a  \nb\n"), ok("a\nb"), rule).passed).to.equal(true);
    expect(compareValues(ok("a\nb\n"), ok("a\nc\n"), rule).message).to.equal('output differs at line 2: expected "b", got "c"');
  });

  it("reports a thrown error as the failure", () => {
    const v = compareValues(ok(1), { ok: false, error: "Error: not implemented: sigmoid" }, { kind: "allclose" });
    expect(v).to.deep.equal({ passed: false, message: "threw Error: not implemented: sigmoid" });
  });
});

describe("grader values: seeded inputs", () => {
  it("are deterministic per seed and name, and differ across names", () => {
    const gen = { kind: "uniform" as const, shape: [3], low: 0, high: 1 };
    expect(generateInput(gen, 1, "x")).to.deep.equal(generateInput(gen, 1, "x"));
    expect(generateInput(gen, 1, "x")).to.not.deep.equal(generateInput(gen, 1, "y"));
    expect(hashSeed("1:x")).to.not.equal(hashSeed("2:x"));
  });

  it("produce every representation with the right shape and range", () => {
    const inputs = generateInputs(
      {
        n: { kind: "uniform", shape: [], low: 2, high: 3 },
        a: { kind: "int", shape: [4], low: -2, high: 2 },
        m: { kind: "normal", shape: [2, 3] },
        f: { kind: "linspace", start: 0, stop: 1, shape: [3], as: "float32array" },
        v: { kind: "value", value: [1, NaN] },
      },
      7,
    );
    expect(inputs.n.as).to.equal("number");
    expect(inputs.n.value as number).to.be.within(2, 3);
    expect(inputs.a.as).to.equal("array");
    for (const x of inputs.a.value as number[]) expect(Number.isInteger(x) && x >= -2 && x < 2).to.equal(true);
    expect(shapeOf(inputs.m.value as number[][])).to.deep.equal([2, 3]);
    expect(inputs.f).to.deep.equal({ as: "float32array", value: [0, 0.5, 1] });
    expect(decodePlain(inputs.v.value)).to.deep.equal([1, NaN]);
  });

  it("reject bad generator settings clearly", () => {
    expect(() => generateInput({ kind: "uniform", shape: [2], low: 0, high: 1, as: "number" }, 1, "x")).to.throw(/"number" needs shape \[\]/);
    expect(() => generateInput({ kind: "int", shape: [2], low: 3, high: 3 }, 1, "k")).to.throw(/high > low/);
    expect(() => generateInputs({ "bad name": { kind: "value", value: 1 } }, 1)).to.throw(/not a valid identifier/);
    expect(() => generateInput({ kind: "normal", shape: [1.5] }, 1, "x")).to.throw(/non-negative integers/);
  });
});
