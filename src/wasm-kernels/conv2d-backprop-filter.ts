// Conv2DBackpropFilter for wasm, which has none. Where the engine has
// WebAssembly SIMD and Cout is a multiple of 4, the kit's own filterGrad
// (wasm-module.ts) computes it directly from x and dy, in NHWC, with no patch
// matrix: about twice as fast as the product below on the course CNN, whose
// long inner dimension XNNPACK does not block and whose dy it packs each call.
// Otherwise, as one matrix product on XNNPACK: with the input's patches laid
// out as columns (a transposed im2col, the kit's own WebAssembly in
// wasm-module.ts, read from the input transposed
// to [Cin, B, H, W] so that it copies along rows), colsT[FH*FW*Cin, N] over the
// N = B*OH*OW output positions, dW[FH*FW*Cin, Cout] = colsT x dy[N, Cout].
// dy is the right-hand operand on purpose: XNNPACK packs that one on every
// call, and it is the smaller. (Written as a forward conv2d with dy as a huge
// filter, as before, this ran at half the speed of the forward convolution.)
// Large batches go through in chunks of whole images, whose partial products
// are summed, so the patch matrix stays under CHUNK_FLOATS. (Smaller chunks,
// to keep dy's part in cache, measured slower: each product packs its dy.)
import * as tf from "@tensorflow/tfjs";
import { KernelArgs, KernelCall, unpack } from "./kernel-call";
import { addressOf, kitWasm } from "./wasm-module";

type Attrs = tf.Conv2DBackpropFilterAttrs;

/** Largest patch matrix built at once (32 MB): the wasm heap never shrinks. */
const CHUNK_FLOATS = 8 * 1024 * 1024;

/**
 * Output rows per block of filterGrad: the block's dy and x rows stay in
 * cache while every tile of dW passes over them (4 rows of the course CNN's
 * second layer, 24 wide with 64 channels, are 24 KB of dy).
 */
const ROWS_PER_BLOCK = 4;

/**
 * Builds the kernel function over the given original wasm kernels;
 * `chunkFloats` caps the patch matrix (tests make it small to cover chunking);
 * `direct: false` keeps to the matrix product even where filterGrad could run.
 */
export function conv2dBackpropFilterKernel(call: (args: KernelArgs) => KernelCall, chunkFloats = CHUNK_FLOATS, direct = true): tf.KernelFunc {
  return (args) => {
    const k = call(args);
    const backend = k.backend;
    const { inputs: { x, dy }, attrs } = unpack<Attrs>(args);
    if (attrs.dataFormat === "NCHW") {
      throw new Error("Conv2DBackpropFilter on wasm supports only dataFormat 'NHWC'");
    }
    const [fh, fw, cin, cout] = attrs.filterShape;
    const xShape = x.shape as [number, number, number, number];
    const info = tf.backend_util.computeConv2DInfo(
      xShape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    const [batch, h, w] = xShape;
    const { outHeight: oh, outWidth: ow } = info;
    const kk = fh * fw * cin;
    const positions = oh * ow;
    const kit = kitWasm(backend);
    if (direct && kit.filterGrad !== undefined && cout % 4 === 0) {
      const out = backend.makeOutput([fh, fw, cin, cout], "float32");
      kit.filterGrad(addressOf(backend, x), addressOf(backend, dy), addressOf(backend, out), batch, h, w, cin, cout, fh, fw, oh, ow,
        info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left, ROWS_PER_BLOCK);
      return out;
    }
    const sum = new Float32Array(kk * cout);
    if (batch > 0 && positions > 0) {
      const perChunk = Math.max(1, Math.floor(chunkFloats / (positions * kk)));
      const dyFlat = k.reshape(dy, [1, batch * positions, cout]);
      const xT = k.transpose(x, [3, 0, 1, 2]);
      for (let b0 = 0; b0 < batch; b0 += perChunk) {
        const nb = Math.min(perChunk, batch - b0);
        const n = nb * positions;
        const colsT = backend.makeOutput([1, kk, n], "float32");
        kit.im2colT(addressOf(backend, xT), addressOf(backend, colsT), batch, b0, nb, h, w, cin, fh, fw, oh, ow,
          info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left);
        const dyPart = nb === batch ? dyFlat : k.run("Slice", { x: dyFlat }, { begin: [0, b0 * positions, 0], size: [1, n, cout] });
        const product = k.run("BatchMatMul", { a: colsT, b: dyPart }, { transposeA: false, transposeB: false });
        k.release(colsT);
        if (dyPart !== dyFlat) k.release(dyPart);
        if (nb === batch) {
          k.release(dyFlat, xT);
          const out = k.reshape(product, [fh, fw, cin, cout]);
          k.release(product);
          return out;
        }
        // Views are taken after the allocations: growing the heap detaches old ones.
        const part = backend.typedArrayFromHeap(product) as Float32Array;
        if (b0 === 0) sum.set(part);
        else for (let i = 0; i < sum.length; i++) sum[i] += part[i];
        k.release(product);
      }
      k.release(dyFlat, xT);
    }
    // Chunked (or empty): the partial products were summed here.
    const out = backend.makeOutput([fh, fw, cin, cout], "float32");
    (backend.typedArrayFromHeap(out) as Float32Array).set(sum);
    return out;
  };
}
