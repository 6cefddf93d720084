/**
 * Questions of notebooks/03_gradient_descent.ipynb: the linear-regression gradient, the plain
 * step, mini-batch descent and the five stateful update rules (momentum, Nesterov, AdaGrad,
 * RMSProp, Adam). Expected values come from the master's run; nothing here restates a rule.
 *
 * Every rule has the signature (params, grads, state, config) -> { params, state }. Public
 * probes use CS231n's optimizer test vectors and the trajectories on the bowl f = 0.1 x1^2 + 2 x2^2
 * from issue 6; hidden probes use other lengths, states and hyperparameters, large gradients,
 * and several successive steps, so that a rule that forgets to carry its state fails.
 */
import type { Gen, NotebookSpec, Probe, Question } from "../core/spec";

/** CS231n's optimizer test vectors (N, D = 4, 5, flattened to 20 values), as Float64Arrays. */
const testVectors: Record<string, Gen> = {
  w: { kind: "linspace", start: -0.4, stop: 0.6, shape: [20], as: "float64array" },
  dw: { kind: "linspace", start: -0.6, stop: 0.4, shape: [20], as: "float64array" },
  state1: { kind: "linspace", start: 0.6, stop: 0.9, shape: [20], as: "float64array" },
  state2: { kind: "linspace", start: 0.7, stop: 0.5, shape: [20], as: "float64array" },
};

/** A Float64Array of uniform numbers. */
function vec(n: number, low: number, high: number): Gen {
  return { kind: "uniform", shape: [n], low, high, as: "float64array" };
}

/** A rule name and the state fields its result is reported with. */
interface RuleInfo {
  fn: string;
  fields: string[];
}

const MOMENTUM: RuleInfo = { fn: "momentumStep", fields: ["velocity"] };
const NESTEROV: RuleInfo = { fn: "nesterovStep", fields: ["velocity"] };
const ADAGRAD: RuleInfo = { fn: "adagradStep", fields: ["cache"] };
const RMSPROP: RuleInfo = { fn: "rmspropStep", fields: ["cache"] };
const ADAM: RuleInfo = { fn: "adamStep", fields: ["m", "v", "t"] };

/**
 * The result of one call, reduced to the new params and the rule's own state fields, so that
 * extra bookkeeping a student keeps in the state does not matter.
 */
function report(rule: RuleInfo, resultExpr: string): string {
  const fields = rule.fields.map((f) => `${f}: r.state.${f}`).join(", ");
  return `((r: StepResult) => ({ params: r.params, ${fields} }))(${resultExpr})`;
}

/** One step of a rule from a given state: on the test vectors (w, dw) when they are the inputs, else on (p, g). */
function oneStep(rule: RuleInfo, state: string, config: string, inputs: Record<string, Gen>, extra: Partial<Probe> = {}): Probe {
  const args = "w" in inputs ? "w, dw" : "p, g";
  return { expr: report(rule, `${rule.fn}(${args}, ${state}, ${config})`), inputs, ...extra };
}

/**
 * Several successive steps from `p` with the gradients in the rows of `G`, carrying the state;
 * reports every intermediate point and the final state.
 */
function successiveSteps(rule: RuleInfo, config: string, inputs: Record<string, Gen>, extra: Partial<Probe>): Probe {
  const fields = rule.fields.map((f) => `${f}: state.${f}`).join(", ");
  return {
    expr: `(() => {
      let params: Float64Array = p;
      let state: OptState = {};
      const path: Float64Array[] = [];
      for (const row of G) {
        ({ params, state } = ${rule.fn}(params, Float64Array.from(row), state, ${config}));
        path.push(params);
      }
      return { path, ${fields} };
    })()`,
    inputs,
    ...extra,
  };
}

/** The end point after `steps` steps of a rule on an objective of the notebook (bowl, beale, rosenbrock). */
function endPoint(fn: string, objective: string, start: string, steps: number, config: string, label: string, extra: Partial<Probe> = {}): Probe {
  return { expr: `((path: Float64Array[]) => path[path.length - 1])(optimize(${fn}, ${objective}, ${start}, ${steps}, ${config}))`, label, ...extra };
}

/** The whole path of a rule on an objective (hidden probes: several carried steps in 2-D). */
function wholePath(fn: string, objective: string, start: string, steps: number, config: string, label: string): Probe {
  return { expr: `optimize(${fn}, ${objective}, ${start}, ${steps}, ${config})`, label, hidden: true };
}

/** Hidden probes every stateful rule gets: other lengths and states, big gradients, several steps. */
function hiddenRuleProbes(rule: RuleInfo, initialState: string, config: string, altConfig: string): Probe[] {
  return [
    oneStep(rule, "{}", config, { p: vec(7, -2, 2), g: vec(7, -1, 1) }, { hidden: true, seed: 101, label: `${rule.fn} from an empty state (the first step), 7 parameters` }),
    oneStep(rule, initialState, altConfig, { p: vec(1, -1, 1), g: vec(1, -3, 3), s1: vec(1, 0.1, 1), s2: vec(1, 0.1, 1) }, { hidden: true, seed: 102, label: `${rule.fn} on a single parameter, other hyperparameters` }),
    oneStep(rule, initialState, config, { p: vec(12, -5, 5), g: vec(12, -1e6, 1e6), s1: vec(12, 0, 2), s2: vec(12, 0, 2) }, { hidden: true, seed: 103, label: `${rule.fn} with gradients of magnitude up to 1e6` }),
    successiveSteps(rule, config, { p: vec(5, -1, 1), G: { kind: "normal", shape: [6, 5], std: 1, as: "nested" } }, { hidden: true, seed: 104, label: `six successive steps of ${rule.fn}, carrying the state` }),
    successiveSteps(rule, altConfig, { p: vec(3, -10, 10), G: { kind: "uniform", shape: [10, 3], low: -5, high: 5, as: "nested" } }, { hidden: true, seed: 105, label: `ten successive steps of ${rule.fn} with other hyperparameters` }),
  ];
}

/**
 * The notebook says a rule must not modify the arrays it is given. This probe calls the rule twice
 * with the same arguments (copies of the test vectors) and returns, for each call, the arguments as
 * they were before it and the step it returned; the grader checks that both calls agree exactly
 * and match the master. A rule that writes into params, grads or the state changes the arguments
 * of the second call; a rule that computes the wrong step fails against the master, as it does on
 * the other probes, so this probe gives no points for leaving the inputs alone.
 */
function inputsUnchanged(rule: RuleInfo, state: string, config: string): Probe {
  const fields = rule.fields.map((f) => `${f}: copy(r.state.${f})`).join(", ");
  return {
    expr: `(() => {
      const copy = (v: unknown) => (v === undefined || typeof v === "number" ? v : Array.from(v as Float64Array));
      const args = (p: Float64Array, g: Float64Array, s: OptState) => {
        const fields: Record<string, unknown> = {};
        for (const key of Object.keys(s).sort()) fields[key] = copy((s as Record<string, unknown>)[key]);
        return { params: Array.from(p), grads: Array.from(g), state: fields };
      };
      const step = (r: StepResult) => ({ params: copy(r.params), ${fields} });
      const p = Float64Array.from(w);
      const g = Float64Array.from(dw);
      const state: OptState = ${state};
      const argsFirst = args(p, g, state);
      const first = step(${rule.fn}(p, g, state, ${config}));
      const argsSecond = args(p, g, state);
      const second = step(${rule.fn}(p, g, state, ${config}));
      return { first: { args: argsFirst, step: first }, second: { args: argsSecond, step: second } };
    })()`,
    inputs: testVectors,
    label: `${rule.fn} twice with the same arguments: the same step, and params, grads and state left as they were (it must return new arrays)`,
    compare: { kind: "agree", parts: ["first", "second"], master: { rtol: 1e-6, atol: 1e-12 } },
  };
}

/** Per-example "pull" gradients for mini-batch probes: the mean of (theta - a_i) over the rows. */
const PULL = `(th: Float64Array, rows: number[]) => th.map((t: number, j: number) => rows.reduce((s: number, i: number) => s + (t - A[i][j]), 0) / rows.length)`;

/** A mini-batch run on the pull problem, returning what the question asks for. */
function minibatchProbe(n: number, dim: number, opts: string, result: "theta" | "batches" | "seen", extra: Partial<Probe>): Probe {
  const inputs: Record<string, Gen> = {
    A: { kind: "uniform", shape: [n, dim], low: -3, high: 3, as: "nested" },
    theta0: vec(dim, -1, 1),
  };
  const body =
    result === "theta"
      ? `return minibatchGD(theta0, ${n}, ${PULL}, ${opts});`
      : result === "batches"
        ? `const batches: number[][] = [];
      const pull = ${PULL};
      minibatchGD(theta0, ${n}, (th: Float64Array, rows: number[]) => { batches.push(Array.from(rows)); return pull(th, rows); }, ${opts});
      return batches;`
        : `const seen: number[] = [];
      minibatchGD(theta0, ${n}, ${PULL}, { ...${opts}, onUpdate: (_th: Float64Array, k: number) => { seen.push(k); } });
      return seen;`;
  return { expr: `(() => {\n      ${body}\n    })()`, inputs, ...extra };
}

const BOWL_START = "[-5, -2]";

/**
 * Gradients of order 1e-3, so that the accumulated squares (about 1e-6) are not much larger than
 * EPS = 1e-8: there, eps inside the root and eps outside it differ by far more than the tolerance
 * (on the CS231n vectors the two agree to 3e-7, which the tolerance 1e-6 cannot tell apart).
 */
const SMALL_GRADIENTS: Record<string, Gen> = { p: vec(5, -1, 1), g: vec(5, -3e-3, 3e-3) };
const EPS_PLACE = "the first step with gradients of order 1e-3, where the place of eps (inside or outside the root) shows";

const questions: Question[] = [
  {
    id: "linreg-gradient",
    title: "Mean gradient of the squared error",
    points: 2,
    requires: ["linregGradient"],
    probes: [
      {
        expr: "linregGradient(theta, X, y)",
        inputs: { theta: vec(4, -1, 1), X: { kind: "uniform", shape: [6, 4], low: -2, high: 2, as: "nested" }, y: vec(6, -3, 3) },
        label: "linregGradient over all 6 rows",
      },
      {
        expr: "linregGradient(theta, X, y, [4, 0, 2])",
        inputs: { theta: vec(4, -1, 1), X: { kind: "uniform", shape: [6, 4], low: -2, high: 2, as: "nested" }, y: vec(6, -3, 3) },
        label: "linregGradient over rows [4, 0, 2]",
      },
      {
        expr: "linregGradient(theta, X, y)",
        inputs: { theta: vec(1, -1, 1), X: { kind: "uniform", shape: [1, 1], low: -2, high: 2, as: "nested" }, y: vec(1, -3, 3) },
        hidden: true,
        seed: 201,
        label: "one row, one parameter",
      },
      {
        expr: "linregGradient(theta, [...X, X[0].map(() => 0)], Float64Array.from([...y, 0]))",
        inputs: { theta: vec(3, -1, 1), X: { kind: "normal", shape: [8, 3], as: "nested" }, y: vec(8, -1, 1) },
        hidden: true,
        seed: 202,
        label: "a data set with a row of zeros",
      },
      {
        expr: "linregGradient(theta, X, y, [1, 1, 3])",
        inputs: { theta: vec(5, -1, 1), X: { kind: "uniform", shape: [4, 5], low: -1e3, high: 1e3, as: "nested" }, y: vec(4, -1e4, 1e4) },
        hidden: true,
        seed: 203,
        label: "large magnitudes and a repeated row",
      },
      {
        expr: "linregGradient(theta, X, y, rows)",
        inputs: { theta: vec(7, -2, 2), X: { kind: "normal", shape: [50, 7], as: "nested" }, y: vec(50, -5, 5), rows: { kind: "int", shape: [10], low: 0, high: 50, as: "array" } },
        hidden: true,
        seed: 204,
        label: "ten random rows of fifty",
      },
    ],
    compare: { kind: "relerr", max: 1e-8 },
    hint: "For each row i, compute the residual r = x_i·θ - y_i, add r·x_i to the gradient, and divide by the number of rows used (not by N).",
  },
  {
    id: "gd-step",
    title: "Plain gradient-descent step",
    points: 1,
    requires: ["gdStep"],
    probes: [
      { expr: "gdStep(w, dw, {}, { lr: 1e-2 }).params", inputs: { w: testVectors.w, dw: testVectors.dw }, label: "gdStep on the test vectors, lr 1e-2" },
      endPoint("gdStep", "bowl", BOWL_START, 20, "{ lr: 0.4 }", "20 steps on the bowl from (-5, -2) with lr 0.4 end at (-0.943467, -7.31e-5)"),
      endPoint("gdStep", "bowl", BOWL_START, 20, "{ lr: 0.6 }", "20 steps on the bowl with lr 0.6 diverge"),
      { expr: "gdStep(p, g, {}, { lr: 0.3 }).params", inputs: { p: vec(9, -5, 5), g: vec(9, -5, 5) }, hidden: true, seed: 301 },
      { expr: "gdStep(p, new Float64Array(p.length), {}, { lr: 10 }).params", inputs: { p: vec(3, -1, 1) }, hidden: true, seed: 302, label: "a zero gradient leaves the parameters unchanged" },
      wholePath("gdStep", "rosenbrock", "[-1.5, 2]", 15, "{ lr: 0.001 }", "15 steps on Rosenbrock"),
      inputsUnchanged({ fn: "gdStep", fields: [] }, "{}", "{ lr: 1e-2 }"),
    ],
    compare: { kind: "relerr", max: 1e-6 },
    hint: "Each new parameter is the old one minus lr times its gradient; return a new array and the state unchanged. Never write into params or grads.",
  },
  {
    id: "minibatch-gd",
    title: "Mini-batch gradient descent",
    points: 3,
    requires: ["minibatchGD"],
    probes: [
      minibatchProbe(10, 2, "{ lr: 0.5, batchSize: 4, epochs: 2, seed: 7 }", "batches", { label: "the batches visited: N = 10, batch size 4, 2 epochs, seed 7" }),
      minibatchProbe(10, 2, "{ lr: 0.5, batchSize: 4, epochs: 2, seed: 7 }", "seen", { label: "examples seen after each update" }),
      minibatchProbe(12, 3, "{ lr: 0.3, batchSize: 5, epochs: 3, seed: 11 }", "theta", { label: "the final θ: N = 12, batch size 5, 3 epochs" }),
      minibatchProbe(8, 2, "{ lr: 0.2, batchSize: 8, epochs: 4, seed: 3 }", "theta", { label: "batch size N is batch gradient descent" }),
      minibatchProbe(5, 2, "{ lr: 0.1, batchSize: 1, epochs: 3, seed: 5 }", "batches", { hidden: true, seed: 401, label: "SGD: batch size 1" }),
      minibatchProbe(6, 2, "{ lr: 0.1, batchSize: 20, epochs: 2, seed: 9 }", "batches", { hidden: true, seed: 402, label: "a batch size larger than N" }),
      minibatchProbe(30, 4, "{ lr: 0.05, batchSize: 7, epochs: 5, seed: 21 }", "theta", { hidden: true, seed: 403, label: "N = 30, batch size 7, 5 epochs" }),
      minibatchProbe(9, 3, "{ lr: 0.4, batchSize: 2, epochs: 3, seed: 13 }", "seen", { hidden: true, seed: 404, label: "examples seen with a smaller last batch" }),
      {
        expr: `(() => {
      const before = Array.from(theta0);
      minibatchGD(theta0, ${4}, ${PULL}, { lr: 0.5, batchSize: 2, epochs: 1, seed: 1 });
      return { before, after: Array.from(theta0) };
    })()`,
        inputs: { A: { kind: "uniform", shape: [4, 2], low: -3, high: 3, as: "nested" }, theta0: vec(2, -1, 1) },
        hidden: true,
        seed: 405,
        label: "theta0 is left unchanged",
        // Raw values before and after; the grader checks they are equal (and the master's).
        compare: { kind: "agree", parts: ["before", "after"], master: { rtol: 0, atol: 0 } },
      },
      {
        // The public twin of the probe above: the notebook says "do not change theta0".
        expr: `(() => {
      const before = Array.from(theta0);
      minibatchGD(theta0, ${5}, ${PULL}, { lr: 0.5, batchSize: 2, epochs: 2, seed: 3 });
      return { before, after: Array.from(theta0) };
    })()`,
        inputs: { A: { kind: "uniform", shape: [5, 3], low: -3, high: 3, as: "nested" }, theta0: vec(3, -1, 1) },
        label: "theta0 is left unchanged (minibatchGD must work on a copy)",
        compare: { kind: "agree", parts: ["before", "after"], master: { rtol: 0, atol: 0 } },
      },
    ],
    compare: { kind: "relerr", max: 1e-9 },
    hint: "Create one Rng(opts.seed) before the epochs, draw rng.permutation(nExamples) once per epoch, cut it into consecutive batches, sort each batch, and count the examples seen so far. Step from a copy of theta0 (Float64Array.from), never write into theta0.",
  },
  {
    id: "momentum-step",
    title: "Momentum",
    points: 2,
    requires: ["momentumStep"],
    probes: [
      oneStep(MOMENTUM, "{ velocity: state1 }", "{ lr: 1e-3 }", testVectors, { label: "momentumStep(w, dw, { velocity: state1 }, { lr: 1e-3 })" }),
      endPoint("momentumStep", "bowl", BOWL_START, 20, "{ lr: 0.6, momentum: 0.5 }", "20 steps on the bowl, lr 0.6, momentum 0.5, end at (0.007188, 0.002553)"),
      ...hiddenRuleProbes(MOMENTUM, "{ velocity: s1 }", "{ lr: 0.01 }", "{ lr: 0.1, momentum: 0.5 }"),
      wholePath("momentumStep", "beale", "[1, 1.5]", 12, "{ lr: 0.002 }", "12 steps on Beale"),
      inputsUnchanged(MOMENTUM, "{ velocity: Float64Array.from(state1) }", "{ lr: 1e-3 }"),
    ],
    compare: { kind: "relerr", max: 1e-6 },
    hint: "The velocity is γ·v + lr·g (γ = config.momentum, 0.9 by default, v zeros when missing); subtract the new velocity and return it in the state. Write into new arrays, never into params, grads or state.velocity.",
  },
  {
    id: "nesterov-step",
    title: "Nesterov momentum",
    points: 2,
    requires: ["nesterovStep"],
    probes: [
      oneStep(NESTEROV, "{ velocity: state1 }", "{ lr: 1e-3 }", testVectors, { label: "nesterovStep(w, dw, { velocity: state1 }, { lr: 1e-3 })" }),
      endPoint("nesterovStep", "bowl", BOWL_START, 20, "{ lr: 0.1, momentum: 0.9 }", "20 steps on the bowl, lr 0.1, momentum 0.9"),
      ...hiddenRuleProbes(NESTEROV, "{ velocity: s1 }", "{ lr: 0.01 }", "{ lr: 0.1, momentum: 0.5 }"),
      wholePath("nesterovStep", "beale", "[1, 1.5]", 12, "{ lr: 0.002 }", "12 steps on Beale"),
      inputsUnchanged(NESTEROV, "{ velocity: Float64Array.from(state1) }", "{ lr: 1e-3 }"),
    ],
    compare: { kind: "relerr", max: 1e-6 },
    hint: "The parameters are the look-ahead point: compute the new velocity as for momentum, then move by γ·v_old - (1 + γ)·v_new. Write into new arrays, never into params, grads or state.velocity.",
  },
  {
    id: "adagrad-step",
    title: "AdaGrad",
    points: 2,
    requires: ["adagradStep"],
    probes: [
      oneStep(ADAGRAD, "{ cache: state1 }", "{ lr: 1e-2 }", testVectors, { label: "adagradStep(w, dw, { cache: state1 }, { lr: 1e-2 })" }),
      endPoint("adagradStep", "bowl", BOWL_START, 20, "{ lr: 0.4 }", "20 steps on the bowl, lr 0.4, end at (-2.382562, -0.158591)"),
      oneStep(ADAGRAD, "{}", "{ lr: 0.1 }", SMALL_GRADIENTS, { seed: 107, label: EPS_PLACE }),
      ...hiddenRuleProbes(ADAGRAD, "{ cache: s1 }", "{ lr: 0.01 }", "{ lr: 0.5, eps: 1e-6 }"),
      oneStep(ADAGRAD, "{}", "{ lr: 0.1 }", { p: vec(4, -1, 1) }, { expr: report(ADAGRAD, "adagradStep(p, new Float64Array(4), {}, { lr: 0.1 })"), hidden: true, seed: 106, label: "a zero gradient on a zero cache" }),
      inputsUnchanged(ADAGRAD, "{ cache: Float64Array.from(state1) }", "{ lr: 1e-2 }"),
    ],
    compare: { kind: "relerr", max: 1e-6 },
    hint: "Add g² to the cache (zeros when missing) first, then step by lr·g / sqrt(cache + eps), with eps inside the root (config.eps, else EPS = 1e-8).",
  },
  {
    id: "rmsprop-step",
    title: "RMSProp",
    points: 2,
    requires: ["rmspropStep"],
    probes: [
      oneStep(RMSPROP, "{ cache: state1 }", "{ lr: 1e-2 }", testVectors, { label: "rmspropStep(w, dw, { cache: state1 }, { lr: 1e-2 })" }),
      endPoint("rmspropStep", "bowl", BOWL_START, 20, "{ lr: 0.4, decay: 0.9 }", "20 steps on the bowl, lr 0.4, decay 0.9, end at (-0.010598, ~0)"),
      oneStep(RMSPROP, "{}", "{ lr: 0.1 }", SMALL_GRADIENTS, { seed: 107, label: EPS_PLACE }),
      ...hiddenRuleProbes(RMSPROP, "{ cache: s1 }", "{ lr: 0.01 }", "{ lr: 0.05, decay: 0.99 }"),
      wholePath("rmspropStep", "rosenbrock", "[-1.5, 2]", 12, "{ lr: 0.02 }", "12 steps on Rosenbrock"),
      inputsUnchanged(RMSPROP, "{ cache: Float64Array.from(state1) }", "{ lr: 1e-2 }"),
    ],
    compare: { kind: "relerr", max: 1e-6 },
    hint: "The cache is a running average: decay·cache + (1 - decay)·g² (decay = config.decay, 0.9 by default); then step by lr·g / sqrt(cache + eps), eps inside the root.",
  },
  {
    id: "adam-step",
    title: "Adam",
    points: 3,
    requires: ["adamStep"],
    probes: [
      oneStep(ADAM, "{ m: state1, v: state2, t: 5 }", "{ lr: 1e-2 }", testVectors, { label: "adamStep(w, dw, { m: state1, v: state2, t: 5 }, { lr: 1e-2 }): params from -0.40094747 to 0.59801459" }),
      oneStep(ADAM, "{}", "{ lr: 1e-2 }", testVectors, { label: "the first step, from an empty state (t becomes 1)" }),
      oneStep(ADAM, "{}", "{ lr: 0.1 }", SMALL_GRADIENTS, { seed: 107, label: EPS_PLACE }),
      ...hiddenRuleProbes(ADAM, "{ m: s1, v: s2, t: 3 }", "{ lr: 1e-3 }", "{ lr: 0.05, beta1: 0.8, beta2: 0.99 }"),
      oneStep(ADAM, "{ m: s1, v: s2, t: 0 }", "{ lr: 0.1, eps: 1e-6 }", { p: vec(6, -1, 1), g: vec(6, -1, 1), s1: vec(6, -0.5, 0.5), s2: vec(6, 0, 1) }, { hidden: true, seed: 106, label: "explicit t = 0 and another eps" }),
      endPoint("adamStep", "bowl", BOWL_START, 20, "{ lr: 0.5 }", "20 steps on the bowl, lr 0.5", { hidden: true }),
      wholePath("adamStep", "rosenbrock", "[-1.5, 2]", 15, "{ lr: 0.1 }", "15 steps on Rosenbrock"),
      inputsUnchanged(ADAM, "{ m: Float64Array.from(state1), v: Float64Array.from(state2), t: 5 }", "{ lr: 1e-2 }"),
    ],
    compare: { kind: "relerr", max: 1e-6 },
    hint: "Increment t first, update m and v, divide them by (1 - β1^t) and (1 - β2^t), then step by lr·m̂ / (sqrt(v̂) + eps): for Adam, eps goes outside the root (EPS = 1e-8).",
  },
];

export const spec: NotebookSpec = {
  notebook: "03_gradient_descent.ipynb",
  questions,
};
