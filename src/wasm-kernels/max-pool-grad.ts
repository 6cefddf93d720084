// MaxPoolGrad for wasm. The original starts its search for the maximum at the
// smallest positive float (a window whose maximum is <= 0 gets no gradient)
// and keeps the last maximum on ties; TF and the cpu backend start at -Infinity
// and keep the first. This one does what they do, in the kit's own
// WebAssembly (wasm-module.ts) working on the backend's heap.
import * as tf from "@tensorflow/tfjs";
import { unpack, wasmBackendOf } from "./kernel-call";
import { addressOf, kitWasm } from "./wasm-module";

type Attrs = tf.MaxPoolGradAttrs;

/** The kernel function: routes each dy value to the first maximum of its window. */
export const maxPoolGradKernel: tf.KernelFunc = (args) => {
  const backend = wasmBackendOf(args);
  const { inputs: { dy: dyInfo, input: xInfo }, attrs } = unpack<Attrs>(args);
  const xShape = xInfo.shape as [number, number, number, number];
  const info = tf.backend_util.computePool2DInfo(
    xShape, attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const out = backend.makeOutput(xShape, "float32");
  const [batch, h, w, c] = xShape;
  const kit = kitWasm(backend);
  // With SIMD and whole groups of 4 channels, the search runs on 4 channels at once.
  const search = kit.maxPoolGrad4 !== undefined && c % 4 === 0 ? kit.maxPoolGrad4 : kit.maxPoolGrad;
  search(
    addressOf(backend, xInfo), addressOf(backend, dyInfo), addressOf(backend, out),
    batch, h, w, c, info.outHeight, info.outWidth, info.filterHeight, info.filterWidth,
    info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left);
  return out;
};
