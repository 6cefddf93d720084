// The kit's hand-emitted WebAssembly (src/wasm-kernels/wasm-module.ts): each
// function against a plain JavaScript reference, on a memory of its own that
// is not shared (what the single-threaded gradient workers run) and on a
// shared one (the threaded build), the SIMD functions included (and a module
// built without SIMD, which lacks them); then the kernels built on them
// (the filter gradient, direct and in chunks; the forward convolution and the
// input gradient through inputGrad) against the cpu backend.
import { expect } from "chai";
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { kitModuleBytes, KitWasm, wasmSimdSupported } from "../../../src/wasm-kernels/wasm-module";
import { conv2dBackpropFilterKernel } from "../../../src/wasm-kernels/conv2d-backprop-filter";
import { conv2dBackpropInputKernel } from "../../../src/wasm-kernels/conv2d-backprop-input";
import { conv2dKernel } from "../../../src/wasm-kernels/conv2d";
import { KernelCall } from "../../../src/wasm-kernels/kernel-call";
import { onWasmBackend } from "../../support/wasm-backend";

function values(n: number, seed: number, round = false): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const v = (s / 2 ** 32) * 2 - 1;
    out[i] = round ? Math.round(v * 2) / 2 - 0.5 : v;
  }
  return out;
}

/** An instance over a fresh memory, and a bump allocator on it (byte offsets). */
function instance(shared: boolean, simd = true): { fns: KitWasm; heap: () => Float32Array; alloc: (data: Float32Array | number) => number } {
  const memory = shared
    ? new WebAssembly.Memory({ initial: 64, maximum: 256, shared: true })
    : new WebAssembly.Memory({ initial: 64 });
  const fns = new WebAssembly.Instance(new WebAssembly.Module(kitModuleBytes(shared, simd)), { env: { memory } }).exports as unknown as KitWasm;
  let next = 64; // offset 0 stays unused, so a wrong zero address shows
  const heap = (): Float32Array => new Float32Array(memory.buffer);
  return {
    fns,
    heap,
    alloc: (data) => {
      const at = next;
      const n = typeof data === "number" ? data : data.length;
      if (typeof data !== "number") heap().set(data, at / 4);
      else heap().fill(Number.NaN, at / 4, at / 4 + n); // garbage the function must overwrite
      next += Math.ceil((n * 4) / 16) * 16 + 16;
      return at;
    },
  };
}

interface Geometry {
  b: number; h: number; w: number; c: number; fh: number; fw: number; sh: number; sw: number; top: number; left: number;
}

function outSize(g: Geometry, pads: [number, number]): [number, number] {
  return [Math.floor((g.h + pads[0] - g.fh) / g.sh) + 1, Math.floor((g.w + pads[1] - g.fw) / g.sw) + 1];
}

function refMaxPoolGrad(x: Float32Array, dy: Float32Array, g: Geometry, oh: number, ow: number): Float32Array {
  const dx = new Float32Array(x.length);
  for (let b = 0; b < g.b; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let c = 0; c < g.c; c++) {
    let best = -Infinity;
    let where = -1;
    for (let fy = 0; fy < g.fh; fy++) for (let fx = 0; fx < g.fw; fx++) {
      const yy = oy * g.sh + fy - g.top;
      const xx = ox * g.sw + fx - g.left;
      if (yy < 0 || yy >= g.h || xx < 0 || xx >= g.w) continue;
      const at = ((b * g.h + yy) * g.w + xx) * g.c + c;
      if (x[at] > best) {
        best = x[at];
        where = at;
      }
    }
    if (where >= 0) dx[where] += dy[((b * oh + oy) * ow + ox) * g.c + c];
  }
  return dx;
}

function refIm2colT(x: Float32Array, g: Geometry, oh: number, ow: number, b0: number, nb: number): Float32Array {
  const n = nb * oh * ow;
  const out = new Float32Array(g.fh * g.fw * g.c * n);
  for (let fy = 0; fy < g.fh; fy++) for (let fx = 0; fx < g.fw; fx++) for (let c = 0; c < g.c; c++) {
    const row = ((fy * g.fw + fx) * g.c + c) * n;
    for (let b = 0; b < nb; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
      const yy = oy * g.sh + fy - g.top;
      const xx = ox * g.sw + fx - g.left;
      const inside = yy >= 0 && yy < g.h && xx >= 0 && xx < g.w;
      out[row + (b * oh + oy) * ow + ox] = inside ? x[(((b0 + b) * g.h + yy) * g.w + xx) * g.c + c] : 0;
    }
  }
  return out;
}

/** dW[fy, fx, ci, co] summed in double precision from the definition, with the padding skipped. */
function refFilterGrad(x: Float32Array, dy: Float32Array, g: Geometry, co: number, oh: number, ow: number): Float64Array {
  const dw = new Float64Array(g.fh * g.fw * g.c * co);
  for (let b = 0; b < g.b; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
    for (let fy = 0; fy < g.fh; fy++) for (let fx = 0; fx < g.fw; fx++) {
      const yy = oy * g.sh + fy - g.top;
      const xx = ox * g.sw + fx - g.left;
      if (yy < 0 || yy >= g.h || xx < 0 || xx >= g.w) continue;
      for (let c = 0; c < g.c; c++) {
        const xv = x[((b * g.h + yy) * g.w + xx) * g.c + c];
        for (let o = 0; o < co; o++) dw[((fy * g.fw + fx) * g.c + c) * co + o] += xv * dy[((b * oh + oy) * ow + ox) * co + o];
      }
    }
  }
  return dw;
}

/** x in [B, H, W, C] to [C, B, H, W], the layout im2colT reads. */
function channelsFirst(x: Float32Array, g: Geometry): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < g.b; b++) for (let y = 0; y < g.h; y++) for (let xx = 0; xx < g.w; xx++) for (let c = 0; c < g.c; c++) {
    out[((c * g.b + b) * g.h + y) * g.w + xx] = x[((b * g.h + y) * g.w + xx) * g.c + c];
  }
  return out;
}

const GEOMETRIES: { name: string; g: Geometry; pads: [number, number] }[] = [
  { name: "2x2 pool stride 2, valid, 3 channels", g: { b: 2, h: 6, w: 6, c: 3, fh: 2, fw: 2, sh: 2, sw: 2, top: 0, left: 0 }, pads: [0, 0] },
  { name: "3x3 stride 1, same (padding 1), batch 1, 1 channel", g: { b: 1, h: 5, w: 7, c: 1, fh: 3, fw: 3, sh: 1, sw: 1, top: 1, left: 1 }, pads: [2, 2] },
  { name: "3x2 stride 2x1, padding top 1 left 0, 4 channels", g: { b: 3, h: 7, w: 6, c: 4, fh: 3, fw: 2, sh: 2, sw: 1, top: 1, left: 0 }, pads: [1, 0] },
  { name: "2x3 stride 1x3, odd sizes, 2 channels", g: { b: 2, h: 5, w: 9, c: 2, fh: 2, fw: 3, sh: 1, sw: 3, top: 0, left: 1 }, pads: [0, 1] },
];

for (const shared of [false, true]) {
  describe(`the kit's WebAssembly module (${shared ? "shared" : "unshared"} memory)`, function () {
    for (const { name, g, pads } of GEOMETRIES) {
      const [oh, ow] = outSize(g, pads);
      it(`maxPoolGrad matches the reference with ties and windows <= 0: ${name}`, function () {
        const { fns, heap, alloc } = instance(shared);
        const x = values(g.b * g.h * g.w * g.c, 3, true);
        const dy = values(g.b * oh * ow * g.c, 4);
        const xAt = alloc(x);
        const dyAt = alloc(dy);
        const dxAt = alloc(x.length);
        fns.maxPoolGrad(xAt, dyAt, dxAt, g.b, g.h, g.w, g.c, oh, ow, g.fh, g.fw, g.sh, g.sw, g.top, g.left);
        const got = heap().slice(dxAt / 4, dxAt / 4 + x.length);
        expect(Array.from(got)).to.deep.equal(Array.from(refMaxPoolGrad(x, dy, g, oh, ow)));
      });

      it(`maxPoolGrad4 (SIMD) matches the reference with ties and windows <= 0, 4 and 8 channels: ${name}`, function () {
        for (const c of [4, 8]) {
          const gc = { ...g, c };
          const { fns, heap, alloc } = instance(shared);
          if (fns.maxPoolGrad4 === undefined) throw new Error("the module has no maxPoolGrad4 although SIMD was asked for");
          const x = values(gc.b * gc.h * gc.w * c, 3, true);
          const dy = values(gc.b * oh * ow * c, 4);
          const xAt = alloc(x);
          const dyAt = alloc(dy);
          const dxAt = alloc(x.length);
          fns.maxPoolGrad4(xAt, dyAt, dxAt, gc.b, gc.h, gc.w, c, oh, ow, gc.fh, gc.fw, gc.sh, gc.sw, gc.top, gc.left);
          const got = heap().slice(dxAt / 4, dxAt / 4 + x.length);
          expect(Array.from(got)).to.deep.equal(Array.from(refMaxPoolGrad(x, dy, gc, oh, ow)));
        }
      });

      it(`im2colT matches the reference, whole batch and a chunk of it: ${name}`, function () {
        const { fns, heap, alloc } = instance(shared);
        const x = values(g.b * g.h * g.w * g.c, 5);
        const xtAt = alloc(channelsFirst(x, g));
        for (const [b0, nb] of [[0, g.b], [g.b - 1, 1]]) {
          const want = refIm2colT(x, g, oh, ow, b0, nb);
          const outAt = alloc(want.length);
          fns.im2colT(xtAt, outAt, g.b, b0, nb, g.h, g.w, g.c, g.fh, g.fw, oh, ow, g.sh, g.sw, g.top, g.left);
          expect(Array.from(heap().slice(outAt / 4, outAt / 4 + want.length))).to.deep.equal(Array.from(want));
        }
      });
    }

    // Cin 1 (the first layer), Cin and Cout off the 4 x 8 tile, stride 2, padding on one side only, blocks of rows
    // that do not divide OH, and a padding wider than the filter's reach on some rows.
    const FILTER_GRAD: { name: string; g: Geometry; pads: [number, number]; co: number; rows: number }[] = [
      ...GEOMETRIES.map(({ name, g, pads }, i) => ({ name, g, pads, co: [4, 8, 12, 20][i], rows: [1, 2, 3, 100][i] })),
      { name: "3x3 stride 1, valid, 1 channel in, 32 out, batch 3", g: { b: 3, h: 8, w: 7, c: 1, fh: 3, fw: 3, sh: 1, sw: 1, top: 0, left: 0 }, pads: [0, 0], co: 32, rows: 4 },
      { name: "3x3 stride 2, same, 9 channels in (two tiles and a tail), 12 out", g: { b: 2, h: 9, w: 10, c: 9, fh: 3, fw: 3, sh: 2, sw: 2, top: 1, left: 0 }, pads: [2, 1], co: 12, rows: 2 },
      { name: "5x5 with padding 3, wider than the image's border", g: { b: 1, h: 4, w: 5, c: 6, fh: 5, fw: 5, sh: 1, sw: 1, top: 3, left: 3 }, pads: [6, 6], co: 4, rows: 3 },
    ];
    for (const { name, g, pads, co, rows } of FILTER_GRAD) {
      it(`filterGrad matches the definition (Cout ${co}, ${rows} rows per block): ${name}`, function () {
        const [oh, ow] = outSize(g, pads);
        const { fns, heap, alloc } = instance(shared);
        if (fns.filterGrad === undefined) throw new Error("the module has no filterGrad although SIMD was asked for");
        const x = values(g.b * g.h * g.w * g.c, 9);
        const dy = values(g.b * oh * ow * co, 10);
        const xAt = alloc(x);
        const dyAt = alloc(dy);
        const n = g.fh * g.fw * g.c * co;
        const dwAt = alloc(n);
        fns.filterGrad(xAt, dyAt, dwAt, g.b, g.h, g.w, g.c, co, g.fh, g.fw, oh, ow, g.sh, g.sw, g.top, g.left, rows);
        const got = heap().slice(dwAt / 4, dwAt / 4 + n);
        const want = refFilterGrad(x, dy, g, co, oh, ow);
        for (let i = 0; i < n; i++) expect(Math.abs(got[i] - want[i]), `dW[${i}] = ${got[i]}, want ${want[i]}`).to.be.below(1e-5);
        // Nothing past dW was written.
        expect(heap()[dwAt / 4 + n]).to.equal(0);
      });
    }

    // inputGrad: stride 1, Cin a multiple of 4 (8 + 4 gives the tail), rows narrower than a tile of 4
    // positions, filters wider than the row, and padding on one side.
    const INPUT_GRAD: { name: string; g: Geometry; pads: [number, number]; co: number }[] = [
      { name: "3x3 same, 12 channels in, 3 out", g: { b: 2, h: 7, w: 6, c: 12, fh: 3, fw: 3, sh: 1, sw: 1, top: 1, left: 1 }, pads: [2, 2], co: 3 },
      { name: "3x3 valid, 4 in, 5 out, a row of 11", g: { b: 2, h: 9, w: 11, c: 4, fh: 3, fw: 3, sh: 1, sw: 1, top: 0, left: 0 }, pads: [0, 0], co: 5 },
      { name: "2x3, padding left 1 only, 8 in, 1 out", g: { b: 1, h: 4, w: 13, c: 8, fh: 2, fw: 3, sh: 1, sw: 1, top: 0, left: 1 }, pads: [0, 1], co: 1 },
      { name: "5x5 on a 3x2 image with padding 2, 16 in", g: { b: 1, h: 3, w: 2, c: 16, fh: 5, fw: 5, sh: 1, sw: 1, top: 2, left: 2 }, pads: [4, 4], co: 2 },
    ];
    for (const { name, g, pads, co } of INPUT_GRAD) {
      it(`inputGrad matches the definition: ${name}`, function () {
        const [oh, ow] = outSize(g, pads);
        const { fns, heap, alloc } = instance(shared);
        if (fns.inputGrad === undefined) throw new Error("the module has no inputGrad although SIMD was asked for");
        const dy = values(g.b * oh * ow * co, 11);
        const wt = values(g.fh * g.fw * co * g.c, 12); // [FH, FW, CO, CI]
        const dyAt = alloc(dy);
        const wtAt = alloc(wt);
        const n = g.b * g.h * g.w * g.c;
        const dxAt = alloc(n);
        fns.inputGrad(dyAt, wtAt, dxAt, g.b, g.h, g.w, g.c, co, g.fh, g.fw, oh, ow, g.top, g.left);
        const got = heap().slice(dxAt / 4, dxAt / 4 + n);
        for (let b = 0; b < g.b; b++) for (let y = 0; y < g.h; y++) for (let x = 0; x < g.w; x++) for (let c = 0; c < g.c; c++) {
          let want = 0;
          for (let fy = 0; fy < g.fh; fy++) for (let fx = 0; fx < g.fw; fx++) {
            const oy = y + g.top - fy;
            const ox = x + g.left - fx;
            if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
            for (let o = 0; o < co; o++) want += dy[((b * oh + oy) * ow + ox) * co + o] * wt[((fy * g.fw + fx) * co + o) * g.c + c];
          }
          const at = ((b * g.h + y) * g.w + x) * g.c + c;
          expect(Math.abs(got[at] - want), `dx[${b}, ${y}, ${x}, ${c}] = ${got[at]}, want ${want}`).to.be.below(1e-5);
        }
        expect(heap()[dxAt / 4 + n]).to.equal(0);
      });
    }

    it("biasAdd4 adds one value per channel to every row", function () {
      const { fns, heap, alloc } = instance(shared);
      if (fns.biasAdd4 === undefined) throw new Error("the module has no biasAdd4 although SIMD was asked for");
      for (const [n, c] of [[7, 4], [3, 12], [1, 8]]) {
        const x = values(n * c, 14);
        const bias = values(c, 15);
        const xAt = alloc(x);
        const biasAt = alloc(bias);
        const outAt = alloc(n * c);
        fns.biasAdd4(xAt, biasAt, outAt, n, c);
        const want = x.map((v, i) => v + bias[i % c]);
        expect(Array.from(heap().slice(outAt / 4, outAt / 4 + n * c))).to.deep.equal(Array.from(want));
        expect(heap()[outAt / 4 + n * c]).to.equal(0);
      }
    });

    it("without SIMD the module still builds, with no filterGrad", function () {
      const { fns } = instance(shared, false);
      expect(fns.filterGrad).to.equal(undefined);
      expect(fns.inputGrad).to.equal(undefined);
      expect(fns.maxPoolGrad4).to.equal(undefined);
      expect(fns.biasAdd4).to.equal(undefined);
      expect(fns.columnSum).to.be.a("function");
    });

    it("columnSum sums each column of an [N, C] matrix, for C = 1 and C > 1", function () {
      const { fns, heap, alloc } = instance(shared);
      for (const [n, c] of [[37, 1], [5, 7], [1, 3]]) {
        const x = values(n * c, 6);
        const xAt = alloc(x);
        const outAt = alloc(c);
        fns.columnSum(xAt, outAt, n, c);
        const want = new Float32Array(c);
        for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) want[j] += x[i * c + j];
        expect(Array.from(heap().slice(outAt / 4, outAt / 4 + c))).to.deep.equal(Array.from(want));
      }
    });
  });
}

describe("Conv2DBackpropFilter on wasm, direct (SIMD) and in chunks of images", function () {
  onWasmBackend();

  it("runs on an engine with WebAssembly SIMD (Node's), so the direct gradient is the one that ships", function () {
    expect(wasmSimdSupported()).to.equal(true);
  });

  const cases = [
    { stride: 1, pad: "same", direct: false },
    { stride: 2, pad: "valid", direct: false },
    { stride: 1, pad: "same", direct: true },
    { stride: 2, pad: "valid", direct: true },
  ] as const;
  for (const { stride, pad, direct } of cases) {
    const how = direct ? "filterGrad's direct gradient" : "the sum of the chunks' products";
    it(`${how} is the cpu backend's gradient (stride ${stride}, ${pad})`, async function () {
      const xShape: [number, number, number, number] = [5, 9, 8, 3];
      const filterShape: [number, number, number, number] = [3, 3, 3, 4];
      const xv = values(5 * 9 * 8 * 3, 7);
      const attrs = { strides: [stride, stride], pad, dataFormat: "NHWC", dimRoundingMode: undefined, filterShape };
      await tf.setBackend("cpu");
      const cpuX = tf.tensor4d(xv, xShape);
      const dyShape = tf.conv2d(cpuX, tf.zeros(filterShape) as tf.Tensor4D, stride, pad).shape;
      const dyv = values(dyShape.reduce((a, b) => a * b, 1), 8);
      const cpuDy = tf.tensor(dyv, dyShape);
      const want = (tf.engine().runKernel("Conv2DBackpropFilter", { x: cpuX, dy: cpuDy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor).dataSync();
      await tf.setBackend("wasm");
      const backend = tf.backend() as unknown as BackendWasm;
      const kernels = new Map<string, tf.KernelFunc>();
      // The direct path calls no other kernel: it gets none, so a fall back to the product would throw.
      if (!direct) for (const name of ["Transpose", "Reshape", "Slice", "BatchMatMul"]) kernels.set(name, (tf.getKernel(name, "wasm") as tf.KernelConfig).kernelFunc);
      const call = new KernelCall(backend, kernels);
      const x = tf.tensor4d(xv, xShape);
      const dy = tf.tensor(dyv, dyShape);
      // One image's patch matrix is 9*3 rows by OH*OW columns: a chunk of 2 images, then 2, then 1.
      const positions = dyShape[1] * dyShape[2];
      const kernel = conv2dBackpropFilterKernel(() => call, 2 * positions * 27, direct);
      const before = tf.memory().numBytes;
      const info = kernel({ inputs: { x, dy }, backend, attrs: attrs as unknown as tf.NamedAttrMap }) as tf.TensorInfo;
      const got = tf.engine().makeTensorFromTensorInfo(info);
      expect(got.shape).to.deep.equal(filterShape);
      const data = got.dataSync();
      let diff = 0;
      for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(data[i] - want[i]));
      expect(diff).to.be.below(1e-4);
      got.dispose();
      // Every intermediate was released.
      expect(tf.memory().numBytes).to.equal(before);
      tf.dispose([x, dy, cpuX, cpuDy]);
    });
  }
});

describe("Conv2D and Conv2DBackpropInput through the kit's inputGrad", function () {
  onWasmBackend();

  // On a threaded backend (the tests' default) the registered kernels keep XNNPACK; built here
  // with onThreads, and with an "original" that throws, each case must go through inputGrad.
  const cases: { x: [number, number, number, number]; f: [number, number, number, number]; pad: "same" | "valid" }[] = [
    { x: [2, 9, 8, 8], f: [3, 3, 8, 12], pad: "same" },
    { x: [1, 7, 10, 12], f: [3, 2, 12, 4], pad: "valid" },
    { x: [3, 6, 6, 32], f: [3, 3, 32, 64], pad: "valid" },
  ];
  const notTaken: tf.KernelFunc = () => {
    throw new Error("the kit's kernel handed this case to the original");
  };

  for (const c of cases) {
    it(`forward and input gradient as on the cpu backend: x ${c.x.join("x")}, filter ${c.f.join("x")}, ${c.pad}`, async function () {
      const xv = values(c.x.reduce((a, b) => a * b, 1), 21);
      const fv = values(c.f.reduce((a, b) => a * b, 1), 22);
      await tf.setBackend("cpu");
      const cx = tf.tensor4d(xv, [...c.x]);
      const cf = tf.tensor4d(fv, [...c.f]);
      const cy = tf.conv2d(cx, cf, 1, c.pad);
      const dyv = values(cy.size, 23);
      const wantY = cy.dataSync();
      const wantDx = tf.conv2dTranspose(tf.tensor(dyv, cy.shape) as tf.Tensor4D, cf, [...c.x], 1, c.pad).dataSync();
      await tf.setBackend("wasm");
      const backend = tf.backend() as unknown as BackendWasm;
      const kernels = new Map<string, tf.KernelFunc>();
      for (const name of ["Reverse", "Transpose"]) kernels.set(name, (tf.getKernel(name, "wasm") as tf.KernelConfig).kernelFunc);
      const call = new KernelCall(backend, kernels);
      const x = tf.tensor4d(xv, [...c.x]);
      const filter = tf.tensor4d(fv, [...c.f]);
      const dy = tf.tensor(dyv, cy.shape);
      const before = tf.memory().numBytes;
      const yInfo = conv2dKernel(() => call, notTaken, true)({
        inputs: { x, filter }, backend, attrs: { strides: [1, 1], pad: c.pad, dataFormat: "NHWC", dilations: [1, 1] } as unknown as tf.NamedAttrMap,
      }) as tf.TensorInfo;
      const dxInfo = conv2dBackpropInputKernel(() => call, notTaken, true)({
        inputs: { dy, filter }, backend, attrs: { strides: [1, 1], pad: c.pad, dataFormat: "NHWC", inputShape: [...c.x] } as unknown as tf.NamedAttrMap,
      }) as tf.TensorInfo;
      const y = tf.engine().makeTensorFromTensorInfo(yInfo);
      const dx = tf.engine().makeTensorFromTensorInfo(dxInfo);
      expect(y.shape).to.deep.equal(cy.shape);
      expect(dx.shape).to.deep.equal([...c.x]);
      const gotY = y.dataSync();
      const gotDx = dx.dataSync();
      for (let i = 0; i < wantY.length; i++) expect(Math.abs(gotY[i] - wantY[i]), `y[${i}]`).to.be.below(1e-4);
      for (let i = 0; i < wantDx.length; i++) expect(Math.abs(gotDx[i] - wantDx[i]), `dx[${i}]`).to.be.below(1e-4);
      // Only the two outputs are left: the flipped and transposed filters were released.
      expect(tf.memory().numBytes).to.equal(before + (y.size + dx.size) * 4);
      tf.dispose([x, filter, dy, y, dx, cx, cf, cy]);
    });
  }
});
