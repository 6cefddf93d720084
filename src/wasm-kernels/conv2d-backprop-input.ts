// Conv2DBackpropInput for stride 1. Where the engine has WebAssembly SIMD and
// Cin is a multiple of 4, the kit's own inputGrad (wasm-module.ts) sums it
// directly from dy and the filter, skipping the terms outside dy (a third
// faster than XNNPACK's padded convolution on the course CNN) when the
// backend runs single-threaded, as the training workers' replicas do (on a
// threaded backend XNNPACK uses every core, inputGrad one). Otherwise,
// as a forward conv2d on XNNPACK: dy
// correlated with the filter flipped in space and with in/out channels
// swapped, padded by F-1-p. The wasm original is a scalar loop (about two
// thirds of a training step of the course CNN); other strides still use it.
import * as tf from "@tensorflow/tfjs";
import { KernelArgs, KernelCall, threadsOf, unpack } from "./kernel-call";
import { addressOf, kitWasm } from "./wasm-module";

type Attrs = tf.Conv2DBackpropInputAttrs;

/**
 * The kernel function; `original` takes the cases it does not cover
 * (`onThreads` lets the kit's inputGrad run on a threaded backend too: tests).
 */
export const conv2dBackpropInputKernel = (call: (args: KernelArgs) => KernelCall, original: tf.KernelFunc, onThreads = false): tf.KernelFunc => (args) => {
  const { inputs: { dy, filter }, attrs } = unpack<Attrs>(args);
  if (attrs.dataFormat === "NCHW") return original(args);
  const filterShape = filter.shape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const [fh, fw] = filterShape;
  const { top, bottom, left, right } = info.padInfo;
  const pads = [fh - 1 - top, fh - 1 - bottom, fw - 1 - left, fw - 1 - right];
  if (info.strideHeight !== 1 || info.strideWidth !== 1 || pads.some((p) => p < 0)) {
    return original(args);
  }
  const k = call(args);
  const kit = kitWasm(k.backend);
  const [batch, h, w, cin] = attrs.inputShape;
  const cout = filterShape[3];
  if (kit.inputGrad !== undefined && cin % 4 === 0 && (onThreads || threadsOf(k.backend) === 1)) {
    const wt = k.transpose(filter, [0, 1, 3, 2]);
    const dx = k.backend.makeOutput(attrs.inputShape, "float32");
    kit.inputGrad(addressOf(k.backend, dy), addressOf(k.backend, wt), addressOf(k.backend, dx), batch, h, w, cin, cout, fh, fw,
      info.outHeight, info.outWidth, top, left);
    k.release(wt);
    return dx;
  }
  const flipped = k.run("Reverse", { x: filter }, { dims: [0, 1] });
  const swapped = k.transpose(flipped, [0, 1, 3, 2]);
  k.release(flipped);
  const dx = k.run("Conv2D", { x: dy, filter: swapped }, {
    strides: [1, 1],
    dilations: [1, 1],
    pad: [[0, 0], [pads[0], pads[1]], [pads[2], pads[3]], [0, 0]],
    dataFormat: "NHWC",
  } as unknown as tf.NamedAttrMap);
  k.release(swapped);
  return dx;
};
