// The wasm training kernels against the cpu backend's own gradients.
import { expect } from "chai";
import * as tf from "@tensorflow/tfjs";
import { onWasmBackend } from "../../support/wasm-backend";

/** Deterministic pseudo-random values in [-1, 1) (no dependency on src/random). */
function values(n: number, seed: number, round = false): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const v = s / 2 ** 32 * 2 - 1;
    // Rounded values make ties inside pooling windows likely.
    out[i] = round ? Math.round(v * 2) / 2 : v;
  }
  return out;
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Runs `f` with `backend` current and returns its tensors' values. */
async function on(backend: string, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const out = tf.tidy(f);
  const data = await Promise.all(out.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(out);
  return data;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).to.equal(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function sameOnWasmAndCpu(f: () => tf.Tensor[], tol = 1e-4): Promise<void> {
  const ref = await on("cpu", f);
  const got = await on("wasm", f);
  expect(got.length).to.equal(ref.length);
  for (let i = 0; i < ref.length; i++) {
    expect(got[i].some(Number.isNaN), `output ${i} has NaN`).to.equal(false);
    expect(maxAbsDiff(got[i], ref[i]), `output ${i}`).to.be.below(tol);
  }
}

interface ConvCase {
  x: [number, number, number, number];
  f: [number, number, number, number];
  stride: number;
  pad: "valid" | "same";
}

const CONV_CASES: ConvCase[] = [
  { x: [2, 7, 7, 1], f: [3, 3, 1, 4], stride: 1, pad: "valid" },
  { x: [2, 8, 8, 3], f: [3, 3, 3, 5], stride: 1, pad: "same" },
  { x: [3, 8, 8, 3], f: [3, 3, 3, 5], stride: 2, pad: "same" },
  { x: [2, 9, 9, 2], f: [2, 2, 2, 3], stride: 2, pad: "valid" },
  { x: [2, 10, 9, 2], f: [3, 3, 2, 6], stride: 2, pad: "valid" },
  { x: [1, 6, 6, 4], f: [5, 5, 4, 2], stride: 1, pad: "same" },
  { x: [4, 10, 10, 8], f: [3, 3, 8, 16], stride: 1, pad: "valid" },
  { x: [2, 11, 11, 6], f: [4, 4, 6, 7], stride: 2, pad: "same" },
  // Batch 1 with one input channel (the course CNN's first layer), odd sizes, a non-square filter.
  { x: [1, 7, 9, 1], f: [3, 2, 1, 3], stride: 1, pad: "same" },
  { x: [1, 9, 7, 1], f: [3, 3, 1, 2], stride: 2, pad: "valid" },
  { x: [3, 5, 6, 2], f: [2, 3, 2, 1], stride: 1, pad: "valid" },
  // The SIMD kernels' tiles and tails (dW: 4 ci by 8 co; dx: 4 positions by 8 ci, stride 1):
  // the course CNN's second layer at a small size, Cin 12 (8 + 4), Cout 12 (8 + 4) at stride 2.
  { x: [2, 10, 9, 32], f: [3, 3, 32, 64], stride: 1, pad: "valid" },
  { x: [2, 12, 11, 12], f: [3, 3, 12, 8], stride: 1, pad: "same" },
  { x: [2, 9, 9, 5], f: [3, 3, 5, 12], stride: 2, pad: "same" },
];

describe("wasm training kernels vs the cpu backend", function () {
  onWasmBackend();

  for (const c of CONV_CASES) {
    it(`conv2d gradients (dx, dW, db) for x ${c.x.join("x")}, filter ${c.f.join("x")}, stride ${c.stride}, ${c.pad}`, async function () {
      const xv = values(size(c.x), 1);
      const fv = values(size(c.f), 2);
      await sameOnWasmAndCpu(() => {
        const x = tf.tensor4d(xv, c.x);
        const w = tf.tensor4d(fv, c.f);
        const b = tf.tensor1d(values(c.f[3], 3));
        const loss = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor): tf.Scalar => {
          const y = tf.add(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.stride, c.pad), bb);
          // A non-uniform upstream gradient, so every position matters.
          return tf.sum(tf.mul(y, tf.sin(tf.range(0, y.size).reshape(y.shape))));
        };
        const [dx, dw, db] = tf.grads(loss)([x, w, b]);
        return [dx, dw, db];
      });
    });
  }

  it("conv2d forward as the cpu backend computes it, for every case above, explicit padding and dilation", async function () {
    await sameOnWasmAndCpu(() => {
      const out: tf.Tensor[] = [];
      for (const c of CONV_CASES) {
        out.push(tf.conv2d(tf.tensor4d(values(size(c.x), 1), c.x), tf.tensor4d(values(size(c.f), 2), c.f), c.stride, c.pad));
      }
      // Padding 2 above, 0 below, 1 left, 3 right (wider than the filter's reach), and a dilated filter (the original's case).
      const x = tf.tensor4d(values(2 * 7 * 6 * 8, 4), [2, 7, 6, 8]);
      const f = tf.tensor4d(values(3 * 3 * 8 * 12, 5), [3, 3, 8, 12]);
      out.push(tf.conv2d(x, f, 1, [[0, 0], [2, 0], [1, 3], [0, 0]]));
      out.push(tf.conv2d(x, f, 1, "same", "NHWC", 2));
      return out;
    });
  });

  const POOL_CASES: { x: [number, number, number, number]; size: number; stride: number; pad: "valid" | "same" }[] = [
    { x: [2, 6, 6, 3], size: 2, stride: 2, pad: "valid" },
    { x: [2, 7, 7, 2], size: 3, stride: 2, pad: "same" },
    { x: [1, 5, 5, 4], size: 2, stride: 1, pad: "valid" },
    { x: [2, 9, 8, 5], size: 3, stride: 3, pad: "same" },
    { x: [1, 7, 5, 1], size: 2, stride: 2, pad: "same" },
    { x: [1, 8, 8, 1], size: 2, stride: 2, pad: "valid" },
  ];
  for (const c of POOL_CASES) {
    it(`maxPool gradient with ties and all-negative windows, x ${c.x.join("x")}, pool ${c.size}, stride ${c.stride}, ${c.pad}`, async function () {
      // Shifted down so many windows have a maximum <= 0.
      const xv = values(size(c.x), 4, true).map((v) => v - 0.6);
      await sameOnWasmAndCpu(() => {
        const x = tf.tensor4d(xv, c.x);
        const g = tf.grad((xx: tf.Tensor) => {
          const y = tf.maxPool(xx as tf.Tensor4D, c.size, c.stride, c.pad);
          return tf.sum(tf.mul(y, tf.cos(tf.range(0, y.size).reshape(y.shape))));
        })(x);
        return [g];
      }, 1e-6);
    });
  }

  it("routes a tie to the first maximum of its window, as the cpu backend does", async function () {
    const [g] = await on("wasm", () => [tf.grad((x: tf.Tensor) => tf.sum(tf.maxPool(x as tf.Tensor4D, 2, 2, "valid")))(tf.tensor4d([-3, -3, -3, -3], [1, 2, 2, 1]))]);
    expect(Array.from(g)).to.deep.equal([1, 0, 0, 0]);
  });

  for (const [ta, tb] of [[true, false], [false, true], [true, true]]) {
    it(`matMul with transposeA=${ta}, transposeB=${tb} (batched and not)`, async function () {
      await sameOnWasmAndCpu(() => {
        const a2 = tf.tensor2d(values(6 * 5, 5), ta ? [6, 5] : [5, 6]);
        const b2 = tf.tensor2d(values(6 * 7, 6), tb ? [7, 6] : [6, 7]);
        const a3 = tf.tensor3d(values(2 * 6 * 5, 7), ta ? [2, 6, 5] : [2, 5, 6]);
        const b3 = tf.tensor3d(values(2 * 6 * 7, 8), tb ? [2, 7, 6] : [2, 6, 7]);
        return [tf.matMul(a2, b2, ta, tb), tf.matMul(a3, b3, ta, tb)];
      });
    });
  }

  it("sums over every axis but the last (conv bias gradient), with and without keepDims", async function () {
    await sameOnWasmAndCpu(() => {
      const x = tf.tensor4d(values(4 * 5 * 6 * 7, 9), [4, 5, 6, 7]);
      const y = tf.tensor3d(values(3 * 4 * 5, 10), [3, 4, 5]);
      const k = tf.sum(x, [0, 1, 2], true);
      expect(k.shape).to.deep.equal([1, 1, 1, 7]);
      return [tf.sum(x, [0, 1, 2]), k, tf.sum(x, [2, 0, -3]), tf.sum(y, [0, 1]), tf.sum(x, [1, 2]), tf.sum(x)];
    });
  });

  it("clones and casts to the same type without copying (the data is shared), and the copy outlives its source", async function () {
    await tf.setBackend("wasm");
    const xv = values(6 * 5, 13);
    const x = tf.tensor2d(xv, [6, 5]);
    const before = tf.memory();
    const y = tf.clone(x);
    // One more tensor, no more data buffer: the heap holds the values once.
    expect(tf.memory().numTensors).to.equal(before.numTensors + 1);
    expect(tf.memory().numDataBuffers).to.equal(before.numDataBuffers);
    x.dispose();
    expect(Array.from(await y.data())).to.deep.equal(Array.from(xv));
    const z = tf.add(y, 1);
    expect((await z.data())[0]).to.be.closeTo(xv[0] + 1, 1e-6);
    tf.dispose([y, z]);
    // A cast to the same type shares the data too; a real conversion still converts.
    const f = tf.tensor1d([1.75, -2.5, 3]);
    const buffers = tf.memory().numDataBuffers;
    const same = tf.cast(f, "float32");
    expect(tf.memory().numDataBuffers).to.equal(buffers);
    const ints = tf.cast(f, "int32");
    expect(ints.dtype).to.equal("int32");
    expect(Array.from(await ints.data())).to.deep.equal([1, -2, 3]);
    f.dispose();
    expect(Array.from(await same.data())).to.deep.equal([1.75, -2.5, 3]);
    tf.dispose([same, ints]);
    // Strings still go through the original kernel.
    const s = tf.clone(tf.tensor1d(["a", "b"], "string"));
    expect(await s.data()).to.deep.equal(["a", "b"]);
    s.dispose();
  });

  it("adds a bias along the last axis (either order, leading 1s) and every other Add as the cpu backend does", async function () {
    const x = values(3 * 5 * 8, 14);
    const y = values(3 * 5 * 6, 15);
    await sameOnWasmAndCpu(() => {
      const x4 = tf.tensor3d(x, [3, 5, 8]);
      const b = tf.tensor1d(values(8, 16));
      const y4 = tf.tensor3d(y, [3, 5, 6]);
      return [
        tf.add(x4, b), tf.add(b, x4), tf.add(x4, b.reshape([1, 1, 8])), tf.add(b.reshape([1, 8]), x4),
        // Not a bias the kit's kernel takes: 6 channels, same shapes, a broadcast along another axis, int32.
        tf.add(y4, tf.tensor1d(values(6, 17))), tf.add(x4, x4), tf.add(x4, tf.ones([3, 5, 1])),
        tf.add(tf.tensor1d([1, 2, 3, 4], "int32"), tf.tensor2d([[1, 1, 1, 1]], [1, 4], "int32")).toFloat(),
      ];
    }, 1e-6);
  });

  it("keeps the tensor and memory counts stable over repeated gradient steps", async function () {
    await tf.setBackend("wasm");
    const x = tf.tensor4d(values(4 * 12 * 12 * 3, 11), [4, 12, 12, 3]);
    const w = tf.variable(tf.tensor4d(values(3 * 3 * 3 * 8, 12), [3, 3, 3, 8]));
    const step = (): void => {
      tf.tidy(() => {
        const g = tf.grad((ww: tf.Tensor) => tf.sum(tf.maxPool(tf.relu(tf.conv2d(x, ww as tf.Tensor4D, 1, "same")), 2, 2, "valid")))(w);
        w.assign(tf.sub(w, tf.mul(g, 0.01)));
      });
    };
    step();
    const before = tf.memory();
    for (let i = 0; i < 5; i++) step();
    const after = tf.memory();
    expect(after.numTensors).to.equal(before.numTensors);
    expect(after.numBytes).to.equal(before.numBytes);
    tf.dispose([x, w]);
  });
});
