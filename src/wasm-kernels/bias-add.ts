// Add of a bias along the last axis (a conv or dense layer's forward pass:
// x[..., C] + b[C]) for wasm. The original broadcasts element by element
// through a generic index computation (about 4 ms per step of the course
// CNN for its two conv biases); the kit's biasAdd4 adds 4 channels at a time.
// Every other Add (same shapes, other broadcasts, other types) keeps the original.
import * as tf from "@tensorflow/tfjs";
import { type ReplacementKernel, unpack, wasmBackendOf } from "./kernel-call";
import { addressOf, kitWasm } from "./wasm-module";

/** True when `b` holds one value per channel of `x`'s last axis and nothing else. */
function isBiasOf(x: tf.TensorInfo, b: tf.TensorInfo): boolean {
  const c = x.shape[x.shape.length - 1];
  return x.shape.length >= 1 && b.shape.length >= 1 && b.shape.length <= x.shape.length &&
    b.shape[b.shape.length - 1] === c && b.shape.slice(0, -1).every((d) => d === 1);
}

/** The kernel function; `original` takes the cases it does not cover. */
export const biasAddKernel: ReplacementKernel = (_call, original) => (args) => {
  const { inputs: { a, b } } = unpack<Record<string, never>>(args);
  if (a.dtype !== "float32" || b.dtype !== "float32") return original(args);
  const backend = wasmBackendOf(args);
  const kit = kitWasm(backend);
  const [x, bias] = isBiasOf(a, b) ? [a, b] : isBiasOf(b, a) ? [b, a] : [null, null];
  if (x === null || bias === null || kit.biasAdd4 === undefined) return original(args);
  const c = x.shape[x.shape.length - 1];
  if (c === 0 || c % 4 !== 0 || tf.util.sizeFromShape(x.shape) === 0 || tf.util.sizeFromShape(bias.shape) === tf.util.sizeFromShape(x.shape)) return original(args);
  const out = backend.makeOutput(x.shape, "float32");
  kit.biasAdd4(addressOf(backend, x), addressOf(backend, bias), addressOf(backend, out), tf.util.sizeFromShape(x.shape) / c, c);
  return out;
};
