// Conv2DBackpropInput for stride 1 as a forward conv2d on XNNPACK: dy
// correlated with the filter flipped in space and with in/out channels
// swapped, padded by F-1-p. The wasm original is a scalar loop (about two
// thirds of a training step of the course CNN); other strides still use it.
import * as tf from "@tensorflow/tfjs";
import { type ReplacementKernel, unpack } from "./kernel-call";

type Attrs = tf.Conv2DBackpropInputAttrs;

/** The kernel function; `original` takes the cases it does not cover. */
export const conv2dBackpropInputKernel: ReplacementKernel = (call, original) => (args) => {
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
