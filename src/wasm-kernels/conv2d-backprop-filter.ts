// Conv2DBackpropFilter for wasm, which has none. dW[i,j,ci,co] is a
// correlation of the input with dy over batch and output positions; written as
// a forward conv2d it runs on XNNPACK: the input transposed to [Cin,H,W,B] is
// the "batch of images", dy transposed to [OH,OW,B,Cout] is the "filter", and
// the forward stride becomes the dilation.
import * as tf from "@tensorflow/tfjs";
import { KernelArgs, KernelCall } from "./kernel-call";

type Attrs = tf.Conv2DBackpropFilterAttrs;

/** Builds the kernel function over the given original wasm kernels. */
export function conv2dBackpropFilterKernel(call: (args: KernelArgs) => KernelCall): tf.KernelFunc {
  return (args) => {
    const k = call(args);
    const x = args.inputs.x as tf.TensorInfo;
    const dy = args.inputs.dy as tf.TensorInfo;
    const attrs = args.attrs as unknown as Attrs;
    if (attrs.dataFormat === "NCHW") {
      throw new Error("Conv2DBackpropFilter on wasm supports only dataFormat 'NHWC'");
    }
    const [fh, fw, cin, cout] = attrs.filterShape;
    const xShape = x.shape as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(
      xShape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    const [, h, w] = xShape;
    const { top, left } = info.padInfo;
    const sh = info.strideHeight;
    const sw = info.strideWidth;
    const oh = info.outHeight;
    const ow = info.outWidth;
    // Pad the far side just enough for fh x fw outputs; when the forward pass
    // skipped trailing input rows (valid padding, stride > 1) the conv yields
    // extra rows, which the slice below drops.
    const bottom = Math.max(0, fh + sh * (oh - 1) - h - top);
    const right = Math.max(0, fw + sw * (ow - 1) - w - left);

    const xT = k.transpose(x, [3, 1, 2, 0]);
    const dyT = k.transpose(dy, [1, 2, 0, 3]);
    const conv = k.run("Conv2D", { x: xT, filter: dyT }, {
      strides: [1, 1],
      dilations: [sh, sw],
      pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
      dataFormat: "NHWC",
    } as unknown as tf.NamedAttrMap);
    k.release(xT, dyT);
    let cropped = conv;
    if (conv.shape[1] !== fh || conv.shape[2] !== fw) {
      cropped = k.run("Slice", { x: conv }, { begin: [0, 0, 0, 0], size: [cin, fh, fw, cout] });
      k.release(conv);
    }
    const dw = k.transpose(cropped, [1, 2, 0, 3]);
    k.release(cropped);
    return dw;
  };
}
