/**
 * Questions of notebooks/01_activations.ipynb: the activations, their derivatives,
 * softmax and one tanh neuron by hand. Expected values come from the master's run.
 */
import type { Gen, NotebookSpec, Probe, Question } from "../core/spec";

/** Uniform numbers of the given shape, handed to the probe as nested arrays. */
function uniform(shape: number[], low: number, high: number): Gen {
  return { kind: "uniform", shape, low, high, as: "nested" };
}

/** A literal input. */
function value(v: number[] | number[][]): Gen {
  return { kind: "value", value: v };
}

/**
 * A gradient check of `grad` against the centred difference of `f`, as raw values: the probe
 * returns `{ analytic, numeric }` at 24 seeded points and the grader judges them (CS231n's
 * relative error below `max`, and the analytic values against the master's). `f` and `grad`
 * are expressions of one number `z`.
 */
function gradcheckProbe(f: string, grad: string, label: string, master: { rtol: number; atol: number }, max = 1e-7): Probe {
  return {
    // The points stay inside [-4, 4] and away from 0, where ReLU has its kink.
    inputs: { pts: { kind: "uniform", shape: [24], low: 0.05, high: 4, as: "array" }, signs: { kind: "int", shape: [24], low: 0, high: 2, as: "array" } },
    expr: `(() => {
      const h = 1e-5;
      const f = (z: number) => ${f};
      const g = (z: number) => ${grad};
      const zs = pts.map((p: number, i: number) => (signs[i] ? p : -p));
      return { analytic: zs.map((z: number) => g(z)), numeric: zs.map((z: number) => (f(z + h) - f(z - h)) / (2 * h)) };
    })()`,
    label,
    compare: { kind: "gradcheck", max, ...master },
  };
}

/** The tolerances of the questions' allclose comparators, reused for the gradient checks' analytic values. */
const TIGHT = { rtol: 1e-7, atol: 1e-12 };
const NUMPY = { rtol: 1e-5, atol: 1e-8 };

/** Elementwise probes of a scalar function `name` on one public and several hidden inputs (shapes, edge cases). */
function elementwiseProbes(call: string, publicInput: Gen, hidden: Gen[]): Probe[] {
  return [
    { expr: `elementwise(x, ${call})`, inputs: { x: publicInput } },
    ...hidden.map((x, i): Probe => ({ expr: `elementwise(x, ${call})`, inputs: { x }, hidden: true, seed: 100 + i })),
  ];
}

const largeMagnitudes = value([[-1000, -745, -30, 30, 745, 1000]]);
/** Public large inputs (other values than the hidden ones, so the checks file gives none of those away). */
const publicLargeMagnitudes = value([[-900, -711, -40, 40, 711, 900]]);

const questions: Question[] = [
  {
    id: "sigmoid",
    title: "Sigmoid",
    points: 2,
    requires: ["sigmoid"],
    probes: [
      { expr: "[-5, 0, 5].map(sigmoid)", label: "sigmoid at -5, 0, 5" },
      ...elementwiseProbes("sigmoid", uniform([3, 4], -6, 6), [uniform([5, 7], -20, 20), largeMagnitudes, value([[0.3]])]),
    ],
    compare: { kind: "allclose", rtol: 1e-7, atol: 1e-12 },
    hint: "σ(z) = 1 / (1 + e^(-z)). For very negative z, e^(-z) overflows: use the equivalent form e^z / (1 + e^z) there.",
  },
  {
    id: "sigmoid-grad",
    title: "Derivative of the sigmoid",
    points: 1,
    requires: ["sigmoidGrad"],
    probes: [
      gradcheckProbe("sigmoid(z)", "sigmoidGrad(z)", "sigmoidGrad matches a centred numeric gradient (relative error < 1e-7)", TIGHT),
      ...elementwiseProbes("sigmoidGrad", { kind: "linspace", start: -5, stop: 5, shape: [11], as: "nested" }, [uniform([4, 4], -30, 30), largeMagnitudes]),
    ],
    compare: { kind: "allclose", rtol: 1e-7, atol: 1e-12 },
    hint: "Write σ'(z) in terms of σ(z) itself; it is largest at z = 0.",
  },
  {
    id: "tanh",
    title: "Tanh",
    points: 2,
    requires: ["tanh"],
    probes: [
      ...elementwiseProbes("tanh", { kind: "linspace", start: -3, stop: 3, shape: [7], as: "nested" }, [uniform([6, 3], -20, 20), largeMagnitudes, value([[-0.7]])]),
      {
        // Both sides as raw values; the grader checks that they agree and match the master's.
        expr: "({ tanh: elementwise(x, tanh), viaSigmoid: elementwise(x, (z: number) => 2 * sigmoid(2 * z) - 1) })",
        inputs: { x: { kind: "uniform", shape: [10], low: -5, high: 5, as: "nested" } },
        label: "tanh(z) equals 2·sigmoid(2z) - 1",
        compare: { kind: "agree", parts: ["tanh", "viaSigmoid"], within: { rtol: 1e-9, atol: 1e-12 }, master: TIGHT },
      },
      // The text warns that the formula as written gives Infinity / Infinity = NaN for |z| > 710.
      { expr: "elementwise(x, tanh)", inputs: { x: publicLargeMagnitudes }, label: "tanh at ±40, ±711 and ±900 (no NaN)" },
    ],
    compare: { kind: "allclose", rtol: 1e-7, atol: 1e-12 },
    hint: "For |z| > 710, e^z is Infinity and Infinity / Infinity is NaN. Divide the numerator and the denominator by e^|z| and use tanh(-z) = -tanh(z).",
  },
  {
    id: "tanh-grad",
    title: "Derivative of tanh",
    points: 1,
    requires: ["tanhGrad"],
    probes: [
      gradcheckProbe("tanh(z)", "tanhGrad(z)", "tanhGrad matches a centred numeric gradient (relative error < 1e-7)", TIGHT),
      ...elementwiseProbes("tanhGrad", { kind: "linspace", start: -3, stop: 3, shape: [7], as: "nested" }, [uniform([3, 5], -10, 10), largeMagnitudes]),
      { expr: "elementwise(x, tanhGrad)", inputs: { x: publicLargeMagnitudes }, label: "tanhGrad at ±40, ±711 and ±900 (no NaN)" },
    ],
    compare: { kind: "allclose", rtol: 1e-7, atol: 1e-12 },
    hint: "Write tanh'(z) in terms of tanh(z) itself. If it is NaN for large |z|, your tanh overflows: fix tanh first.",
  },
  {
    id: "relu",
    title: "ReLU",
    points: 1,
    requires: ["relu"],
    probes: [
      ...elementwiseProbes("relu", { kind: "linspace", start: -0.5, stop: 0.5, shape: [3, 4], as: "nested" }, [
        value([[0, 0, 0], [1.5, -2, 3]]),
        uniform([5, 5], -1e6, 1e6),
        value([[-3]]),
      ]),
      // NaN does not survive the trip to the grader as a number, so the probe reports it as text.
      { expr: "[NaN, -1, 2].map((z) => String(relu(z)))", label: "relu(NaN) is NaN, as in PyTorch (not 0)", compare: { kind: "exact" } },
    ],
    compare: { kind: "allclose" },
    hint: "ReLU keeps positive inputs and maps everything else to 0; a NaN input gives NaN (Math.max(0, z) does both).",
  },
  {
    id: "relu-grad",
    title: "Derivative of ReLU",
    points: 1,
    requires: ["reluGrad"],
    probes: [
      gradcheckProbe("relu(z)", "reluGrad(z)", "reluGrad matches a centred numeric gradient away from 0", NUMPY),
      ...elementwiseProbes("reluGrad", value([-2, -0.5, 0.5, 2]), [uniform([4, 6], -10, 10), value([[0]])]),
      // The text fixes the value at the kink: the one for z <= 0.
      { expr: "reluGrad(0)", label: "reluGrad(0) at the kink" },
    ],
    compare: { kind: "allclose" },
    hint: "The slope is 1 where ReLU passes its input through (z > 0) and 0 elsewhere, including at z = 0: test z > 0, not z >= 0.",
  },
  {
    id: "leaky-relu",
    title: "Leaky ReLU",
    points: 1,
    requires: ["leakyRelu"],
    probes: [
      ...elementwiseProbes("leakyRelu", { kind: "linspace", start: -2, stop: 2, shape: [9], as: "nested" }, [uniform([4, 3], -100, 100), value([[0, -1e6, 1e6]])]),
      { expr: "elementwise(x, (z: number) => leakyRelu(z, 0.2))", inputs: { x: uniform([2, 5], -5, 5) }, hidden: true, label: "leakyRelu with alpha = 0.2" },
    ],
    compare: { kind: "allclose" },
    hint: "Negative inputs are multiplied by alpha (default 0.01) instead of being set to 0.",
  },
  {
    id: "leaky-relu-grad",
    title: "Derivative of leaky ReLU",
    points: 1,
    requires: ["leakyReluGrad"],
    probes: [
      gradcheckProbe("leakyRelu(z, 0.1)", "leakyReluGrad(z, 0.1)", "leakyReluGrad(z, 0.1) matches a centred numeric gradient away from 0", NUMPY),
      ...elementwiseProbes("leakyReluGrad", value([-2, -0.5, 0.5, 2]), [uniform([3, 3], -10, 10), value([[0]])]),
      { expr: "elementwise(x, (z: number) => leakyReluGrad(z, 0.3))", inputs: { x: uniform([2, 5], -5, 5) }, hidden: true, label: "leakyReluGrad with alpha = 0.3" },
      { expr: "leakyReluGrad(0, 0.1)", label: "leakyReluGrad(0, 0.1) at the kink" },
    ],
    compare: { kind: "allclose" },
    hint: "The slope is 1 for z > 0 and alpha otherwise (z = 0 included); use the alpha argument, not a constant.",
  },
  {
    id: "softmax",
    title: "Softmax (numerically stable)",
    points: 2,
    requires: ["softmax"],
    probes: [
      { expr: "softmax([1000, 1001])", label: "softmax([1000, 1001]) without NaN" },
      { expr: "softmax(x)", inputs: { x: { kind: "normal", shape: [6], std: 2, as: "array" } } },
      { expr: "x.map(softmax)", inputs: { x: { kind: "normal", shape: [4, 5], std: 10, as: "nested" } }, hidden: true },
      { expr: "softmax([5])", hidden: true, label: "a single score" },
      { expr: "softmax([0, 0, 0, 0])", hidden: true, label: "all scores equal" },
      { expr: "softmax([-1000, -1001, -999])", hidden: true, label: "large negative scores" },
    ],
    compare: { kind: "allclose", rtol: 1e-7, atol: 1e-12 },
    hint: "Subtract the largest score from every score before exponentiating; the result does not change, and nothing overflows.",
  },
  {
    id: "softmax-backward",
    title: "Softmax backward",
    points: 2,
    requires: ["softmaxBackward"],
    probes: [
      {
        // The analytic and the numeric gradient (of the student's own softmax) as raw values.
        expr: `(() => {
          const h = 1e-5;
          const loss = (v: number[]) => softmax(v).reduce((acc: number, s: number, i: number) => acc + g[i] * s, 0);
          const numeric = x.map((_: number, j: number) => {
            const plus = x.slice(); plus[j] += h;
            const minus = x.slice(); minus[j] -= h;
            return (loss(plus) - loss(minus)) / (2 * h);
          });
          return { analytic: softmaxBackward(x, g), numeric };
        })()`,
        compare: { kind: "gradcheck", max: 1e-7, rtol: 1e-6, atol: 1e-10 },
        inputs: { x: { kind: "normal", shape: [5], std: 1, as: "array" }, g: { kind: "normal", shape: [5], std: 1, as: "array" } },
        label: "softmaxBackward matches a centred numeric gradient (relative error < 1e-7)",
      },
      { expr: "softmaxBackward(x, g)", inputs: { x: { kind: "normal", shape: [4], std: 2, as: "array" }, g: { kind: "normal", shape: [4], std: 1, as: "array" } } },
      { expr: "softmaxBackward(x, g)", inputs: { x: { kind: "normal", shape: [9], std: 5, as: "array" }, g: { kind: "uniform", shape: [9], low: -3, high: 3, as: "array" } }, hidden: true },
      { expr: "softmaxBackward([2.5], [1.7])", hidden: true, label: "a single score" },
      { expr: "softmaxBackward([1000, 1001, 999], [1, -2, 0.5])", hidden: true, label: "large scores" },
      { expr: "softmaxBackward([0.3, -1, 2], [1, 1, 1])", hidden: true, label: "the same upstream gradient everywhere" },
      { expr: "softmaxBackward([1000, 1001, 1002], [0.5, -1, 2])", label: "softmaxBackward([1000, 1001, 1002], [0.5, -1, 2]) without NaN" },
    ],
    compare: { kind: "allclose", rtol: 1e-6, atol: 1e-10 },
    hint: "∂L/∂x_j = s_j · (g_j - Σ_i g_i s_i) with s = softmax(x): compute s once with your stable softmax (not e^x directly, which is NaN for large scores) and the dot product Σ_i g_i s_i once.",
  },
  {
    id: "tanh-neuron",
    title: "One tanh neuron, forward and backward",
    points: 2,
    requires: ["tanhNeuron"],
    probes: [
      {
        expr: "(() => { const r = tanhNeuron(2, 0, -3, 1, 6.8813735870195432); return [r.o, r.dn, r.dx1, r.dw1, r.dx2, r.dw2, r.db]; })()",
        label: "[o, dn, dx1, dw1, dx2, dw2, db] for x1=2, x2=0, w1=-3, w2=1, b=6.8813735870195432",
      },
      {
        expr: "(() => { const r = tanhNeuron(v[0], v[1], v[2], v[3], v[4]); return [r.o, r.dn, r.dx1, r.dw1, r.dx2, r.dw2, r.db]; })()",
        inputs: { v: { kind: "normal", shape: [5], std: 1, as: "array" } },
        hidden: true,
      },
      {
        // n = 4: nearly saturated, so the gradients are small (about 1e-3) but still tell every input apart.
        expr: "(() => { const r = tanhNeuron(3, -2, 2, 1.5, 1); return [r.o, r.dn, r.dx1, r.dw1, r.dx2, r.dw2, r.db]; })()",
        hidden: true,
        label: "a nearly saturated neuron",
      },
    ],
    compare: { kind: "allclose", rtol: 1e-7, atol: 1e-12 },
    hint: "First n = x1·w1 + x2·w2 + b and o = tanh(n); then do/dn = 1 - o²; each input's gradient is do/dn times what it is multiplied by in n.",
  },
];

export const spec: NotebookSpec = {
  notebook: "01_activations.ipynb",
  questions,
};
