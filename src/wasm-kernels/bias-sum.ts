// Sum over every axis but the last of a float32 tensor: the bias gradient of a
// conv layer (dy summed over batch, rows and columns). wasm's Sum transposes
// the reduced axes innermost with a scalar copy first; this one sums dy viewed
// as [N, C] column by column in the kit's own WebAssembly (wasm-module.ts). A
// row of ones times dy on XNNPACK, as before, spent most of its time packing dy.
import * as tf from "@tensorflow/tfjs";
import { type ReplacementKernel, unpack } from "./kernel-call";
import { addressOf, kitWasm } from "./wasm-module";

/** True when `axis` names exactly the axes 0..rank-2 (in any order, negatives allowed). */
function reducesAllButLast(axis: number | number[], rank: number): boolean {
  const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a));
  const unique = new Set(axes);
  if (unique.size !== rank - 1 || axes.length !== rank - 1) return false;
  for (let i = 0; i < rank - 1; i++) if (!unique.has(i)) return false;
  return true;
}

/** The kernel function over the original Sum. */
export const biasSumKernel: ReplacementKernel = (call, original) => (args) => {
  const { inputs: { x }, attrs } = unpack<tf.SumAttrs>(args);
  const rank = x.shape.length;
  if (rank < 3 || x.dtype !== "float32" || !reducesAllButLast(attrs.axis, rank)) return original(args);
  const c = x.shape[rank - 1];
  const n = x.shape.reduce((p, d) => p * d, 1) / c;
  if (n === 0 || c === 0) return original(args);
  const backend = call(args).backend;
  const shape = attrs.keepDims ? [...Array<number>(rank - 1).fill(1), c] : [c];
  const out = backend.makeOutput(shape, "float32");
  kitWasm(backend).columnSum(addressOf(backend, x), addressOf(backend, out), n, c);
  return out;
};
