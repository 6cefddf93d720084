// Identity for wasm without a copy. The original copies the whole tensor on
// the heap (35 calls per training step of the course CNN, about 4 ms: the
// gradient tape and the optimiser clone tensors); tensors are immutable, so
// the output can share the input's data, as Reshape does on wasm and Identity
// does on the cpu backend. Strings keep the original.
import * as tf from "@tensorflow/tfjs";
import { type ReplacementKernel, unpack, wasmBackendOf } from "./kernel-call";

/** The kernel function; `original` takes string tensors. */
export const identityKernel: ReplacementKernel = (_call, original) => (args) => {
  const { inputs: { x } } = unpack<Record<string, never>>(args);
  if (x.dtype === "string") return original(args);
  wasmBackendOf(args).incRef(x.dataId);
  const out: tf.TensorInfo = { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  return out;
};
