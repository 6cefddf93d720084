/**
 * Questions of notebook 05 (Fashion-MNIST): the course MLP and CNN as tfjs models (shapes, parameter counts,
 * activations, seeded initialisation), accuracy, the confusion matrix and its most confused pairs.
 * Training is never graded (those cells are `skip-in-grader`); the bonus model is judged by grader/judge/bonus.ts.
 */
import { resultOrThrows, type Comparator, type NotebookSpec } from "../core/spec";

/** What a model builder's result is judged on: parameter count, output shape and activation of each layer. */
function modelSummary(builder: string, seed: number): string {
  return (
    `(() => { const m = ${builder}(${seed}); const r = { params: m.countParams(), ` +
    `shapes: m.layers.map((l) => l.outputShape), ` +
    `layers: m.layers.map((l) => l.getClassName()), ` +
    `activations: m.layers.map((l) => { const c = l.getConfig(); return typeof c.activation === "string" ? c.activation : null; }) }; ` +
    `m.dispose(); return r; })()`
  );
}

/**
 * The initial weights of two builds with the same seed, as raw values `{ first, second }`: the
 * grader checks that they are equal and have the master's structure (the run can be reproduced).
 */
function sameSeedWeights(builder: string, seed: number): string {
  return (
    `(() => { const a = ${builder}(${seed}), b = ${builder}(${seed}); ` +
    `const first = a.getWeights().map((t) => Array.from(t.dataSync())), second = b.getWeights().map((t) => Array.from(t.dataSync())); ` +
    `a.dispose(); b.dispose(); return { first, second }; })()`
  );
}

/** Two builds with the same seed must start from identical weights, shaped like the master's. */
const SAME_WEIGHTS: Comparator = { kind: "agree", parts: ["first", "second"], master: "shape" };

/** accuracy's result, or the error it threw, judged by the grader. */
const ACCURACY_OR_THROWS: Comparator = { kind: "resultOrThrows", returned: { kind: "allclose", rtol: 1e-12, atol: 0 } };

const Y_TRUE = [0, 0, 1, 1, 2, 2, 2];
const Y_PRED = [0, 1, 1, 1, 0, 1, 2];

export const spec: NotebookSpec = {
  notebook: "05_fashion_mnist.ipynb",
  questions: [
    {
      id: "build-mlp",
      title: "The course MLP 784-100-100-10 (tanh, softmax)",
      points: 2,
      requires: ["buildMlp"],
      probes: [
        { expr: modelSummary("buildMlp", 1), label: "buildMlp(1): parameters, layer output shapes and activations" },
        { expr: sameSeedWeights("buildMlp", 3), label: "buildMlp(3) twice gives the same initial weights", hidden: true, compare: SAME_WEIGHTS },
        // The text asks for every kernel initialiser to take the seed; without it tfjs draws from Math.random.
        { expr: sameSeedWeights("buildMlp", 1), label: "buildMlp(1) twice gives the same initial weights (every layer seeded)", compare: SAME_WEIGHTS },
      ],
      compare: { kind: "exact" },
      hint: "Three dense layers: 100 and 100 units with tanh, then 10 with softmax; inputShape [784] on the first. Pass a seeded glorotUniform initializer as kernelInitializer to every layer, with a seed derived from the argument.",
    },
    {
      id: "build-cnn",
      title: "The course CNN Conv32-Conv64-MaxPool-Dense10 (110,986 parameters)",
      points: 2,
      requires: ["buildCnn"],
      probes: [
        { expr: modelSummary("buildCnn", 1), label: "buildCnn(1): parameters, layer output shapes and activations" },
        { expr: sameSeedWeights("buildCnn", 3), label: "buildCnn(3) twice gives the same initial weights", hidden: true, compare: SAME_WEIGHTS },
        // The text asks for every kernel initialiser to take the seed; without it tfjs draws from Math.random.
        { expr: sameSeedWeights("buildCnn", 1), label: "buildCnn(1) twice gives the same initial weights (every layer seeded)", compare: SAME_WEIGHTS },
      ],
      compare: { kind: "exact" },
      hint: "conv2d 32 filters 3x3 relu (inputShape [28, 28, 1]), conv2d 64 filters 3x3 relu, maxPooling2d poolSize 2, flatten, dense 10 softmax. Give every conv2d and dense layer kernelInitializer: tf.initializers.glorotUniform({ seed }) with a seed derived from the argument.",
    },
    {
      id: "accuracy",
      title: "Accuracy",
      points: 1,
      requires: ["accuracy"],
      probes: [
        { expr: "accuracy(t, p)", inputs: { t: { kind: "value", value: Y_TRUE }, p: { kind: "value", value: Y_PRED } } },
        { expr: "accuracy(t, p)", inputs: { t: { kind: "int", shape: [200], low: 0, high: 3, as: "array" }, p: { kind: "int", shape: [200], low: 0, high: 3, as: "array" } }, hidden: true },
        { expr: "accuracy(Int32Array.from(t), Int32Array.from(t))", inputs: { t: { kind: "int", shape: [1], low: 0, high: 10, as: "array" } }, hidden: true },
        { expr: resultOrThrows("accuracy([1, 2, 3], [1, 2])"), hidden: true, label: "accuracy of arrays of different lengths throws", compare: ACCURACY_OR_THROWS },
        { expr: resultOrThrows("accuracy([], [])"), hidden: true, label: "accuracy of no predictions throws", compare: ACCURACY_OR_THROWS },
      ],
      compare: { kind: "allclose", rtol: 1e-12, atol: 0 },
      hint: "Count the positions where the labels agree and divide by the number of labels; check the lengths first.",
    },
    {
      id: "confusion-matrix",
      title: "Confusion matrix",
      points: 1,
      requires: ["confusionMatrix"],
      probes: [
        { expr: "confusionMatrix(t, p, 3)", inputs: { t: { kind: "value", value: Y_TRUE }, p: { kind: "value", value: Y_PRED } } },
        { expr: "confusionMatrix(t, p, 10)", inputs: { t: { kind: "int", shape: [300], low: 0, high: 10, as: "array" }, p: { kind: "int", shape: [300], low: 0, high: 10, as: "array" } }, hidden: true },
        { expr: "confusionMatrix(t, p, 4)", inputs: { t: { kind: "int", shape: [20], low: 0, high: 2, as: "array" }, p: { kind: "int", shape: [20], low: 0, high: 2, as: "array" } }, hidden: true, label: "classes that never occur still get a row and a column" },
        { expr: "confusionMatrix([0], [0], 1)", hidden: true },
      ],
      compare: { kind: "exact" },
      hint: "Start from a k x k matrix of zeros and add 1 at [true label][predicted label] for every sample; rows are true classes.",
    },
    {
      id: "most-confused",
      title: "Most confused pairs",
      points: 1,
      requires: ["mostConfusedPairs"],
      probes: [
        { expr: "mostConfusedPairs(cm, 2)", inputs: { cm: { kind: "value", value: [[1, 1, 0], [0, 2, 0], [1, 1, 1]] } } },
        { expr: "mostConfusedPairs(cm, 4)", inputs: { cm: { kind: "int", shape: [6, 6], low: 0, high: 4, as: "nested" } }, hidden: true, label: "ties are broken by actual, then predicted class" },
        { expr: "mostConfusedPairs(cm, 3)", inputs: { cm: { kind: "int", shape: [10, 10], low: 0, high: 1000, as: "nested" } }, hidden: true },
        { expr: "mostConfusedPairs([[5, 0], [1, 7]], 3)", hidden: true, label: "fewer confused pairs than asked for" },
      ],
      compare: { kind: "exact" },
      hint: "Collect every off-diagonal entry with a count above zero, sort by count (largest first), then by actual and predicted class, and keep the first `top`.",
    },
  ],
  // graded by hand (export written, then export manual-import)
  written: [{ cell: "bonus-report", points: 3 }],
};
