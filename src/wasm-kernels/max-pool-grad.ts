// MaxPoolGrad for wasm. The original starts its search for the maximum at the
// smallest positive float (a window whose maximum is <= 0 gets no gradient)
// and keeps the last maximum on ties; TF and the cpu backend start at -Infinity
// and keep the first. This one does what they do, reading the wasm heap
// directly with the channel loop innermost (NHWC is contiguous in channels).
import * as tf from "@tensorflow/tfjs";
import { wasmBackendOf } from "./kernel-call";

type Attrs = tf.MaxPoolGradAttrs;

/** The kernel function: routes each dy value to the first maximum of its window. */
export const maxPoolGradKernel: tf.KernelFunc = (args) => {
  const backend = wasmBackendOf(args);
  const dyInfo = args.inputs.dy as tf.TensorInfo;
  const xInfo = args.inputs.input as tf.TensorInfo;
  const attrs = args.attrs as unknown as Attrs;
  const xShape = xInfo.shape as [number, number, number, number];
  const info = tf.backend_util.computePool2DInfo(
    xShape, attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const out = backend.makeOutput(xShape, "float32");
  // Views are taken after the allocation: growing the heap detaches old ones.
  const x = backend.typedArrayFromHeap(xInfo) as Float32Array;
  const dy = backend.typedArrayFromHeap(dyInfo) as Float32Array;
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  dx.fill(0);
  const [batch, h, w, c] = xShape;
  const { outHeight, outWidth, strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let b = 0; b < batch; b++) {
    const xBase = b * h * w * c;
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight - top;
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * strideWidth - left;
        best.fill(-Infinity);
        where.fill(-1);
        for (let fy = 0; fy < filterHeight; fy++) {
          const yy = y0 + fy;
          if (yy < 0 || yy >= h) continue;
          for (let fx = 0; fx < filterWidth; fx++) {
            const xx = x0 + fx;
            if (xx < 0 || xx >= w) continue;
            const base = xBase + (yy * w + xx) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = x[base + ch];
              if (v > best[ch]) {
                best[ch] = v;
                where[ch] = base + ch;
              }
            }
          }
        }
        const dyBase = ((b * outHeight + oy) * outWidth + ox) * c;
        for (let ch = 0; ch < c; ch++) {
          const at = where[ch];
          if (at >= 0) dx[at] += dy[dyBase + ch];
        }
      }
    }
  }
  return out;
};
