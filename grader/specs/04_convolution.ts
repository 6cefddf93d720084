/**
 * Questions of notebook 04 (convolution): output size, cross-correlation, pooling, the naive conv layer
 * forward and backward, its tfjs twin, and CNN shapes and parameter counts.
 * Public probes use the check values; hidden ones other sizes, strides, paddings and edge cases.
 */
import { resultOrThrows, type Gen, type NotebookSpec, type Probe } from "../core/spec";

/** A standard normal Float64Array input of the given shape. */
function normal(shape: number[]): Gen {
  return { kind: "normal", shape, mean: 0, std: 1, as: "float64array" };
}

/** The literal 3x3 and 4x4 inputs of the checks. */
const X3 = [[0, 1, 2], [3, 4, 5], [6, 7, 8]];
const X4 = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]];

/** outputSize's result, or `{ threw: message }` when it rejects the configuration (judged by the grader). */
function outputSizeProbe(n: number, f: number, p: number, s: number, hidden = false): Probe {
  return {
    expr: resultOrThrows(`outputSize(${n}, ${f}, ${p}, ${s})`),
    label: `outputSize(${n}, ${f}, ${p}, ${s})`,
    hidden,
    compare: { kind: "resultOrThrows" },
  };
}

/** A conv layer probe: x [N, C, H, W], w [F, C, HF, WF], b [F] drawn from the probe's seed. */
function convProbe(
  call: (x: string, w: string, b: string, conv: string) => string,
  xShape: number[],
  wShape: number[],
  stride: number,
  pad: number,
  hidden: boolean,
  seed: number,
): Probe {
  const x = `{ data: x, shape: [${xShape}] }`;
  const w = `{ data: w, shape: [${wShape}] }`;
  return {
    expr: call(x, w, "b", `{ stride: ${stride}, pad: ${pad} }`),
    inputs: { x: normal(xShape), w: normal(wShape), b: normal([wShape[0]]) },
    label: `x [${xShape}], w [${wShape}], stride ${stride}, pad ${pad}`,
    hidden,
    seed,
  };
}

const forward = (x: string, w: string, b: string, conv: string): string => `convForward(${x}, ${w}, ${b}, ${conv})`;
const withTf = (x: string, w: string, b: string, conv: string): string => `convWithTf(${x}, ${w}, ${b}, ${conv})`;

/** The shape and values of a volume, so a wrong shape with the right numbers still fails. */
const asPlain = (call: string): string => `(() => { const v = ${call}; return { shape: v.shape, data: v.data }; })()`;

/** The gradients of convBackward for a random dout of the output's shape. */
function backwardProbe(xShape: number[], wShape: number[], stride: number, pad: number, hidden: boolean, seed: number): Probe {
  const [, , h, w] = xShape;
  const oh = (h - wShape[2] + 2 * pad) / stride + 1;
  const ow = (w - wShape[3] + 2 * pad) / stride + 1;
  const doutShape = [xShape[0], wShape[0], oh, ow];
  return {
    expr:
      `(() => { const g = convBackward({ data: dout, shape: [${doutShape}] }, { data: x, shape: [${xShape}] }, ` +
      `{ data: w, shape: [${wShape}] }, { stride: ${stride}, pad: ${pad} }); ` +
      `return { dx: g.dx.data, dw: g.dw.data, db: g.db }; })()`,
    inputs: { x: normal(xShape), w: normal(wShape), dout: normal(doutShape) },
    label: `x [${xShape}], w [${wShape}], stride ${stride}, pad ${pad}`,
    hidden,
    seed,
  };
}

const COURSE_CNN =
  `[{ type: "conv", filters: 32, kernel: 3 }, { type: "conv", filters: 64, kernel: 3 }, ` +
  `{ type: "pool", size: 2 }, { type: "flatten" }, { type: "dense", units: 10 }]`;
/** A LeNet-like net with padding and strided pooling, for hidden probes. */
const LENET =
  `[{ type: "conv", filters: 6, kernel: 5, pad: 2 }, { type: "pool", size: 2 }, { type: "conv", filters: 16, kernel: 5 }, ` +
  `{ type: "pool", size: 2, stride: 2 }, { type: "flatten" }, { type: "dense", units: 120 }, { type: "dense", units: 84 }, { type: "dense", units: 10 }]`;
/** AlexNet's first layers on a 227x227x3 image: stride 4 and overlapping 3x3 pooling with stride 2. */
const ALEX =
  `[{ type: "conv", filters: 96, kernel: 11, stride: 4 }, { type: "pool", size: 3, stride: 2 }, ` +
  `{ type: "conv", filters: 256, kernel: 5, pad: 2 }, { type: "pool", size: 3, stride: 2 }, { type: "flatten" }, { type: "dense", units: 10 }]`;
/** A 1x1 convolution and a dense layer straight on a flat input. */
const ONE_BY_ONE = `[{ type: "conv", filters: 4, kernel: 1 }, { type: "flatten" }, { type: "dense", units: 3 }]`;

export const spec: NotebookSpec = {
  notebook: "04_convolution.ipynb",
  questions: [
    {
      id: "output-size",
      title: "Output size (N - F + 2P)/S + 1",
      points: 1,
      requires: ["outputSize"],
      probes: [
        outputSizeProbe(7, 3, 0, 1),
        outputSizeProbe(7, 3, 0, 2),
        outputSizeProbe(10, 3, 0, 2),
        outputSizeProbe(227, 11, 0, 4),
        outputSizeProbe(32, 5, 2, 1, true),
        outputSizeProbe(5, 5, 0, 3, true),
        outputSizeProbe(1, 1, 0, 1, true),
        outputSizeProbe(28, 3, 1, 2, true),
        outputSizeProbe(3, 5, 0, 1, true),
        outputSizeProbe(224, 7, 3, 2, true),
      ],
      compare: { kind: "exact" },
      hint: "Compute N - F + 2P first; it must be a non-negative multiple of S, otherwise throw an Error.",
    },
    {
      id: "corr2d",
      title: "2-D cross-correlation",
      points: 1,
      requires: ["corr2d"],
      probes: [
        { expr: "corr2d(x, k)", inputs: { x: { kind: "value", value: X3 }, k: { kind: "value", value: [[0, 1], [2, 3]] } } },
        { expr: "corr2d(x, k)", inputs: { x: { kind: "normal", shape: [6, 8], as: "nested" }, k: { kind: "normal", shape: [3, 2], as: "nested" } }, hidden: true },
        { expr: "corr2d(x, k)", inputs: { x: { kind: "normal", shape: [1, 1], as: "nested" }, k: { kind: "normal", shape: [1, 1], as: "nested" } }, hidden: true },
        { expr: "corr2d(x, k)", inputs: { x: { kind: "uniform", shape: [5, 5], low: -1e6, high: 1e6, as: "nested" }, k: { kind: "normal", shape: [5, 5], as: "nested" } }, hidden: true },
      ],
      compare: { kind: "allclose", rtol: 1e-9, atol: 1e-9 },
      hint: "Y[i][j] sums X[i+a][j+b] * K[a][b] over the kernel; the output is (H-kh+1) x (W-kw+1), and kernels need not be square.",
    },
    {
      id: "corr2d-multi",
      title: "Cross-correlation over several input channels",
      points: 1,
      requires: ["corr2dMultiIn"],
      probes: [
        {
          expr: "corr2dMultiIn(x, k)",
          inputs: {
            x: { kind: "value", value: [X3, X3.map((r) => r.map((v) => v + 1))] },
            k: { kind: "value", value: [[[0, 1], [2, 3]], [[1, 2], [3, 4]]] },
          },
        },
        { expr: "corr2dMultiIn(x, k)", inputs: { x: { kind: "normal", shape: [3, 5, 4], as: "nested" }, k: { kind: "normal", shape: [3, 2, 3], as: "nested" } }, hidden: true },
        { expr: "corr2dMultiIn(x, k)", inputs: { x: { kind: "normal", shape: [1, 4, 4], as: "nested" }, k: { kind: "normal", shape: [1, 4, 4], as: "nested" } }, hidden: true },
      ],
      compare: { kind: "allclose", rtol: 1e-9, atol: 1e-9 },
      hint: "Cross-correlate each channel with its own kernel slice, then add the channel results element by element.",
    },
    {
      id: "pool2d",
      title: "Max and average pooling with stride and padding",
      points: 1,
      requires: ["pool2d"],
      probes: [
        { expr: `pool2d(x, 2, "max")`, inputs: { x: { kind: "value", value: X3 } } },
        { expr: `pool2d(x, 2, "avg")`, inputs: { x: { kind: "value", value: X3 } } },
        { expr: `pool2d(x, 3, "max", 2, 1)`, inputs: { x: { kind: "value", value: X4 } } },
        { expr: `pool2d(x, 2, "max", 2, 0)`, inputs: { x: { kind: "normal", shape: [6, 7], as: "nested" } }, hidden: true },
        { expr: `pool2d(x, 3, "avg", 2, 1)`, inputs: { x: { kind: "normal", shape: [5, 5], as: "nested" } }, hidden: true },
        { expr: `pool2d(x, 2, "max", 1, 0)`, inputs: { x: { kind: "uniform", shape: [3, 3], low: -10, high: -1, as: "nested" } }, hidden: true },
        { expr: `pool2d(x, 1, "avg", 1, 0)`, inputs: { x: { kind: "normal", shape: [1, 1], as: "nested" } }, hidden: true },
        // The text says padded positions are not part of the window. Stride 1 tiles the padded
        // input exactly, so the probe does not depend on how a window that sticks out is treated.
        { expr: `pool2d(x, 3, "avg", 1, 1)`, inputs: { x: { kind: "value", value: X3 } }, label: `pool2d(X3, 3, "avg", 1, 1): the average of the positions inside the input only` },
      ],
      compare: { kind: "allclose", rtol: 1e-9, atol: 1e-9 },
      hint: "Window (i, j) covers rows i*S-P .. i*S-P+k-1; skip positions outside the input (do not count them as 0), and use floor for the output size.",
    },
    {
      id: "conv-forward",
      title: "Naive conv layer forward (stride, padding, channels, filters)",
      points: 2,
      requires: ["convForward"],
      probes: [
        convProbe((x, w, b, c) => asPlain(forward(x, w, b, c)), [2, 3, 7, 7], [4, 3, 3, 3], 2, 1, false, 1),
        convProbe((x, w, b, c) => asPlain(forward(x, w, b, c)), [1, 1, 4, 4], [1, 1, 3, 3], 1, 0, false, 2),
        convProbe((x, w, b, c) => asPlain(forward(x, w, b, c)), [3, 2, 6, 8], [5, 2, 4, 2], 2, 0, true, 3),
        convProbe((x, w, b, c) => asPlain(forward(x, w, b, c)), [1, 3, 5, 5], [2, 3, 3, 3], 1, 2, true, 4),
        convProbe((x, w, b, c) => asPlain(forward(x, w, b, c)), [2, 1, 1, 1], [3, 1, 1, 1], 1, 0, true, 5),
        convProbe((x, w, b, c) => asPlain(forward(x, w, b, c)), [1, 4, 9, 9], [2, 4, 5, 5], 4, 2, true, 6),
      ],
      compare: { kind: "allclose", rtol: 1e-7, atol: 1e-9 },
      hint: "out[n,f,i,j] = b[f] + sum over c, a, b of x[n, c, i*S+a-P, j*S+b-P] * w[f, c, a, b], where positions in the padding count as 0. Mind the NCHW index ((n*C+c)*H+h)*W+w.",
    },
    {
      id: "conv-tf",
      title: "The same layer with tf.conv2d (NCHW vs NHWC)",
      points: 1,
      requires: ["convWithTf"],
      probes: [
        convProbe((x, w, b, c) => asPlain(withTf(x, w, b, c)), [2, 3, 7, 7], [4, 3, 3, 3], 2, 1, false, 1),
        convProbe((x, w, b, c) => asPlain(withTf(x, w, b, c)), [3, 2, 6, 8], [5, 2, 4, 2], 2, 0, true, 3),
        convProbe((x, w, b, c) => asPlain(withTf(x, w, b, c)), [1, 4, 9, 9], [2, 4, 5, 5], 1, 2, true, 6),
      ],
      compare: { kind: "allclose", rtol: 1e-4, atol: 1e-4 },
      hint: "Transpose x with [0, 2, 3, 1] and w with [2, 3, 1, 0] before tf.conv2d, pass the padding explicitly as [[0, 0], [P, P], [P, P], [0, 0]], add the bias, and transpose the result with [0, 3, 1, 2].",
    },
    {
      id: "maxpool-forward",
      title: "Max pooling forward on a batch",
      points: 1,
      requires: ["maxPoolForward"],
      probes: [
        { expr: `(() => { const v = maxPoolForward({ data: x, shape: [2, 3, 4, 4] }, { size: 2, stride: 2 }); return { shape: v.shape, data: v.data }; })()`, inputs: { x: normal([2, 3, 4, 4]) } },
        { expr: `(() => { const v = maxPoolForward({ data: x, shape: [1, 2, 5, 5] }, { size: 2, stride: 2 }); return { shape: v.shape, data: v.data }; })()`, inputs: { x: normal([1, 2, 5, 5]) }, label: "a 2x2 pool on 5x5 drops the last row and column: 2x2 out (the floor, as Keras and PyTorch)" },
        { expr: `(() => { const v = maxPoolForward({ data: x, shape: [1, 2, 5, 7] }, { size: 3, stride: 2 }); return { shape: v.shape, data: v.data }; })()`, inputs: { x: normal([1, 2, 5, 7]) }, hidden: true },
        { expr: `(() => { const v = maxPoolForward({ data: x, shape: [1, 1, 2, 2] }, { size: 2, stride: 2 }); return { shape: v.shape, data: v.data }; })()`, inputs: { x: { kind: "uniform", shape: [4], low: -9, high: -1, as: "float64array" } }, hidden: true },
        { expr: `(() => { const v = maxPoolForward({ data: x, shape: [3, 1, 3, 3] }, { size: 1, stride: 1 }); return { shape: v.shape, data: v.data }; })()`, inputs: { x: normal([3, 1, 3, 3]) }, hidden: true },
      ],
      compare: { kind: "allclose", rtol: 1e-12, atol: 0 },
      hint: "Pool every (n, c) plane on its own; H' = floor((H - size) / stride) + 1 (incomplete windows are dropped); start each window's maximum at -Infinity, not 0, because inputs can be negative.",
    },
    {
      id: "fc-forward",
      title: "Fully connected layer",
      points: 1,
      requires: ["fcForward"],
      probes: [
        { expr: `(() => { const v = fcForward({ data: x, shape: [2, 3, 2, 2] }, { data: w, shape: [12, 5] }, b); return { shape: v.shape, data: v.data }; })()`, inputs: { x: normal([2, 3, 2, 2]), w: normal([12, 5]), b: normal([5]) } },
        { expr: `(() => { const v = fcForward({ data: x, shape: [4, 7] }, { data: w, shape: [7, 3] }, b); return { shape: v.shape, data: v.data }; })()`, inputs: { x: normal([4, 7]), w: normal([7, 3]), b: normal([3]) }, hidden: true },
        { expr: `(() => { const v = fcForward({ data: x, shape: [1, 1] }, { data: w, shape: [1, 1] }, b); return { shape: v.shape, data: v.data }; })()`, inputs: { x: normal([1]), w: normal([1, 1]), b: normal([1]) }, hidden: true },
      ],
      compare: { kind: "allclose", rtol: 1e-9, atol: 1e-9 },
      hint: "Each sample is D = (all numbers) / N consecutive numbers; out[i][k] = b[k] + sum_j x[i][j] * W[j][k] with W stored row-major as [D, M].",
    },
    {
      id: "conv-backward",
      title: "Conv layer backward (dx, dw, db)",
      points: 2,
      requires: ["convBackward"],
      probes: [
        backwardProbe([2, 3, 5, 5], [3, 3, 3, 3], 2, 1, false, 1),
        backwardProbe([1, 2, 6, 6], [2, 2, 3, 3], 1, 0, true, 2),
        backwardProbe([2, 1, 7, 7], [4, 1, 5, 5], 2, 2, true, 3),
        backwardProbe([1, 1, 1, 1], [1, 1, 1, 1], 1, 0, true, 4),
      ],
      compare: { kind: "relerr", max: 1e-8 },
      hint: "Loop exactly like the forward pass; where the forward adds x*w to out, add dout*x to dw and dout*w to dx. Skip padded positions.",
    },
    {
      id: "layer-shapes",
      title: "Output shapes of the course CNN",
      points: 1,
      requires: ["layerShapes", "outputSize"],
      probes: [
        { expr: `layerShapes([28, 28, 1], ${COURSE_CNN})`, label: "layerShapes([28, 28, 1], COURSE_CNN)" },
        { expr: `layerShapes([7, 7, 3], [{ type: "pool", size: 2 }, { type: "flatten" }])`, label: "a 2x2 pool on 7x7x3 gives 3x3x3 (the floor, as Keras and PyTorch)" },
        { expr: `layerShapes([28, 28, 1], ${LENET})`, hidden: true },
        { expr: `layerShapes([227, 227, 3], ${ALEX})`, hidden: true },
        { expr: `layerShapes([5, 5, 3], ${ONE_BY_ONE})`, hidden: true },
      ],
      compare: { kind: "exact" },
      hint: "Conv: [outputSize(H, F, P, S), outputSize(W, F, P, S), filters]; pool keeps the channels, strides by its size unless told and takes the floor, floor((H - size) / stride) + 1; flatten multiplies everything.",
    },
    {
      id: "count-params",
      title: "Parameter count of the course CNN (110,986)",
      points: 1,
      requires: ["countParams", "layerShapes"],
      probes: [
        { expr: `countParams([28, 28, 1], ${COURSE_CNN})`, label: "countParams([28, 28, 1], COURSE_CNN)" },
        { expr: `countParams([28, 28, 1], ${LENET})`, hidden: true },
        { expr: `countParams([227, 227, 3], ${ALEX})`, hidden: true },
        { expr: `countParams([5, 5, 3], ${ONE_BY_ONE})`, hidden: true },
      ],
      compare: { kind: "exact" },
      hint: "A conv layer has F*F*C_in*K weights and K biases; a dense layer D*M weights and M biases; pooling and flatten have none.",
    },
  ],
};
