// Identity, and Cast to the type a tensor already has, for wasm without a
// copy. The originals copy the whole tensor on the heap: per training step of
// the course CNN, 35 Identity calls (the gradient tape and the optimiser clone
// tensors, about 4 ms) and 9 Casts of float32 to float32 (ReLU's gradient
// casts its step function, about 1.4 ms). Tensors are immutable, so the output
// can share the input's data, as Reshape does on wasm and Identity does on
// the cpu backend. Strings and real conversions keep the originals.
import * as tf from "@tensorflow/tfjs";
import { type ReplacementKernel, unpack, wasmBackendOf, KernelArgs } from "./kernel-call";

/** The input itself, one more reference to its data. */
function shared(args: KernelArgs, x: tf.TensorInfo): tf.TensorInfo {
  wasmBackendOf(args).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Identity; `original` takes string tensors. */
export const identityKernel: ReplacementKernel = (_call, original) => (args) => {
  const { inputs: { x } } = unpack<Record<string, never>>(args);
  return x.dtype === "string" ? original(args) : shared(args, x);
};

/** Cast; `original` takes every cast that changes the type, and strings. */
export const castKernel: ReplacementKernel = (_call, original) => (args) => {
  const { inputs: { x }, attrs } = unpack<tf.CastAttrs>(args);
  return x.dtype === "string" || attrs.dtype !== x.dtype ? original(args) : shared(args, x);
};
