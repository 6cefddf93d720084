// BatchMatMul with a transpose flag skips XNNPACK on wasm; transposing the
// operand explicitly first (a cheap copy) and multiplying plainly is faster.
// Dense layers hit this twice per training step (x^T dy and dy W^T).
import * as tf from "@tensorflow/tfjs";
import { type ReplacementKernel, unpack } from "./kernel-call";

/** Swaps the last two axes: the permutation for a batched transpose. */
function lastTwoSwapped(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

/** The kernel function over the original BatchMatMul. */
export const batchMatMulKernel: ReplacementKernel = (call, original) => (args) => {
  const { inputs: { a, b }, attrs } = unpack<tf.BatchMatMulAttrs>(args);
  if ((!attrs.transposeA && !attrs.transposeB) || a.dtype !== "float32" || b.dtype !== "float32") return original(args);
  const k = call(args);
  const aa = attrs.transposeA ? k.transpose(a, lastTwoSwapped(a.shape.length)) : a;
  const bb = attrs.transposeB ? k.transpose(b, lastTwoSwapped(b.shape.length)) : b;
  const out = k.run("BatchMatMul", { a: aa, b: bb }, { transposeA: false, transposeB: false });
  if (aa !== a) k.release(aa);
  if (bb !== b) k.release(bb);
  return out;
};
