// The forward Conv2D at stride 1 for wasm, through the kit's SIMD inputGrad
// (wasm-module.ts): a stride-1 convolution is the input gradient of another
// one, with x in dy's place, the filter flipped in space, the roles of Cin and
// Cout exchanged and the padding mirrored (top' = FH-1-top). It skips the
// terms outside the image instead of summing zero padding, and measured about
// 0.7x XNNPACK's time on the course CNN's second layer (both loaded alike).
// Other cases keep the original: strides or dilations other than 1, NCHW,
// Cout not a multiple of 4, or fewer than 8 input channels (the first layer's
// single channel leaves inputGrad's inner loop one step long), and a threaded
// backend (the main thread's, for predictions): inputGrad runs on one thread,
// XNNPACK on all of them. The training workers' replicas are single-threaded.
import * as tf from "@tensorflow/tfjs";
import { KernelArgs, KernelCall, threadsOf, unpack, wasmBackendOf } from "./kernel-call";
import { addressOf, kitWasm } from "./wasm-module";

/** Fewest input channels worth the kit's kernel. */
const MIN_CIN = 8;

/**
 * The kernel function; `original` takes the cases it does not cover
 * (`onThreads` lets the kit's kernel run on a threaded backend too: tests).
 */
export const conv2dKernel = (call: (args: KernelArgs) => KernelCall, original: tf.KernelFunc, onThreads = false): tf.KernelFunc => (args) => {
  const { inputs: { x, filter }, attrs } = unpack<tf.Conv2DAttrs>(args);
  if (!onThreads && threadsOf(wasmBackendOf(args)) > 1) return original(args);
  if (attrs.dataFormat === "NCHW" || x.dtype !== "float32" || filter.dtype !== "float32") return original(args);
  const xShape = x.shape as [number, number, number, number];
  const filterShape = filter.shape as [number, number, number, number];
  const [fh, fw, cin, cout] = filterShape;
  const info = tf.backend_util.computeConv2DInfo(
    xShape, filterShape, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode);
  if (info.strideHeight !== 1 || info.strideWidth !== 1 || info.dilationHeight !== 1 || info.dilationWidth !== 1 ||
    cin < MIN_CIN || cout % 4 !== 0 || info.outHeight <= 0 || info.outWidth <= 0 || xShape[0] === 0) {
    return original(args);
  }
  const k = call(args);
  const kit = kitWasm(k.backend);
  if (kit.inputGrad === undefined) return original(args);
  const [batch, h, w] = xShape;
  const flipped = k.run("Reverse", { x: filter }, { dims: [0, 1] });
  const out = k.backend.makeOutput([batch, info.outHeight, info.outWidth, cout], "float32");
  kit.inputGrad(addressOf(k.backend, x), addressOf(k.backend, flipped), addressOf(k.backend, out),
    batch, info.outHeight, info.outWidth, cout, cin, fh, fw, h, w, fh - 1 - info.padInfo.top, fw - 1 - info.padInfo.left);
  k.release(flipped);
  return out;
};
