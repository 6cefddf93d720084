import { expect } from "chai";
import * as tf from "@tensorflow/tfjs";
import { numericGradient, numericGradientArray, relError } from "../../../src/gradcheck";

describe("gradcheck", () => {
  it("numericGradient of a sum of squares is 2x, in the input's shape", () => {
    const f = (w: number[][]): number => w.flat().reduce((s, v) => s + v * v, 0);
    const g = numericGradient(f, [[1, -2], [3, 0.5]]);
    expect(g).to.have.length(2);
    g.flat().forEach((v, i) => expect(v).to.be.closeTo([2, -4, 6, 1][i], 1e-8));
  });

  it("works on Float64Array and leaves the input unchanged", () => {
    const x = Float64Array.from([0.3, -1.2]);
    const g = numericGradient((v: Float64Array) => Math.sin(v[0]) * v[1], x);
    expect(g).to.be.instanceOf(Float64Array);
    expect(g[0]).to.be.closeTo(Math.cos(0.3) * -1.2, 1e-9);
    expect(g[1]).to.be.closeTo(Math.sin(0.3), 1e-9);
    expect(Array.from(x)).to.deep.equal([0.3, -1.2]);
  });

  it("promises float64 precision: against the exact gradient the relative error is below 1e-7 with the default h", () => {
    const f = (v: Float64Array): number => v.reduce((s, x) => s + Math.sin(x) * x * x, 0);
    const x = Float64Array.from([0.3, -1.2, 2.5, -0.7]);
    const exact = Array.from(x, (t) => Math.cos(t) * t * t + 2 * t * Math.sin(t));
    expect(relError(numericGradient(f, x), exact)).to.be.below(1e-7);
  });

  it("refuses float32 inputs with the default h, saying why and what to do", () => {
    const t = tf.tensor1d([0.5, -0.25, 1.5], "float32");
    const f = (v: tf.Tensor) => tf.sum(tf.square(v));
    expect(() => numericGradient(f, t)).to.throw(/a tfjs tensor .*about 7 significant digits.*h = 0\.00001.*Float64Array.*h >= 0\.001/);
    expect(() => numericGradient((v: Float32Array) => v[0] * v[0], Float32Array.of(0.5))).to.throw(/a Float32Array, which keeps only about 7 significant digits/);
    expect(() => numericGradientArray((v: Float32Array) => Array.from(v), Float32Array.of(1, 2), [1, 1])).to.throw(/a Float32Array/);
    t.dispose();
  });

  it("with a float32 input and h >= 1e-3 it computes, to about 1e-4", () => {
    const x = Float32Array.from([0.5, -0.25, 1.5]);
    const g = numericGradient((v: Float32Array) => Math.fround(v.reduce((s, t) => Math.fround(s + Math.fround(t * t)), 0)), x, 1e-3);
    expect(relError(g, [1, -0.5, 3])).to.be.below(1e-4);
  });

  it("works on tensors with a tensor-valued function", () => {
    const x = tf.tensor2d([[0.5, -0.25]], [1, 2], "float32");
    const g = numericGradient((t: tf.Tensor) => tf.sum(tf.square(t)), x, 1e-2);
    expect(g).to.be.instanceOf(Float64Array);
    expect(g[0]).to.be.closeTo(1, 1e-3);
    expect(g[1]).to.be.closeTo(-0.5, 1e-3);
    x.dispose();
  });

  it("numericGradientArray matches the analytic backward pass of a dense layer", () => {
    // y = x W, dL/dx = dout W^T
    const W = [[1, 2, -1], [0.5, -3, 2]];
    const forward = (x: number[][]): number[][] => x.map((row) => W[0].map((_, j) => row.reduce((s, v, k) => s + v * W[k][j], 0)));
    const x = [[0.1, -0.7], [1.5, 0.2]];
    const dout = [[1, 0.5, -2], [0.3, 0.1, 1]];
    const analytic = dout.map((row) => W.map((wk) => row.reduce((s, v, j) => s + v * wk[j], 0)));
    const numeric = numericGradientArray(forward, x, dout);
    expect(relError(numeric, analytic)).to.be.below(1e-8);
  });

  it("relError follows CS231n's definition", () => {
    expect(relError([1, 2], [1, 2])).to.equal(0);
    expect(relError([1], [3])).to.be.closeTo(0.5, 1e-15);
    expect(relError([0, 1e-10], [0, 0])).to.be.closeTo(1e-2, 1e-12);
    expect(relError([[1, 2]], Float64Array.from([1, 2.2]))).to.be.closeTo(0.2 / 4.2, 1e-12);
    expect(() => relError([1, 2], [1])).to.throw(/2 and 1 values/);
  });

  it("rejects bad arguments", () => {
    expect(() => numericGradient(() => 1, [1], 0)).to.throw(/h must be > 0/);
    expect(() => numericGradient(() => tf.zeros([2]), [1])).to.throw(/must return a scalar, got a tensor of shape \[2\]/);
    expect(() => numericGradientArray((x: number[]) => x, [1, 2], [1])).to.throw(/f returned 2 values but dout has 1/);
  });
});
