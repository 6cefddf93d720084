/**
 * Numeric gradients by centred differences and the relative error, as CS231n
 * uses them to check a hand-written backward pass:
 *   grad_i ~ (f(x + h e_i) - f(x - h e_i)) / (2h).
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { Nested, flatten, reshape, shapeOf } from "./arrays";

/** Numbers a gradient check works on: nested arrays, a Float64Array/Float32Array, or a tfjs tensor. */
export type NumericInput = Nested | Float64Array | Float32Array | tfTypes.Tensor;

function isTensor(x: unknown): x is tfTypes.Tensor {
  return typeof x === "object" && x !== null && typeof (x as tfTypes.Tensor).dataSync === "function" && Array.isArray((x as tfTypes.Tensor).shape);
}

/** Flat values and shape of an input, plus a way to rebuild an input of the same kind from flat values. */
function unpack(x: NumericInput): { flat: Float64Array; rebuild: (flat: Float64Array) => NumericInput } {
  if (isTensor(x)) {
    const tf = require("@tensorflow/tfjs") as typeof tfTypes;
    const shape = x.shape;
    // tfjs takes no Float64Array, and a shifted int tensor would lose the step h: always float32.
    return { flat: Float64Array.from(x.dataSync()), rebuild: (f) => tf.tensor(Float32Array.from(f), shape, "float32") };
  }
  if (x instanceof Float64Array) return { flat: Float64Array.from(x), rebuild: (f) => Float64Array.from(f) };
  if (x instanceof Float32Array) return { flat: Float64Array.from(x), rebuild: (f) => Float32Array.from(f) };
  if (typeof x === "number") return { flat: Float64Array.of(x), rebuild: (f) => f[0] };
  const shape = shapeOf(x);
  return { flat: Float64Array.from(flatten(x)), rebuild: (f) => reshape(f, shape) };
}

/**
 * The smallest step numericGradient accepts for a float32 input: float32's rounding (about 6e-8
 * relative) divided by 2h stays near 1e-5 of the function's scale, while the truncation error of
 * centred differences, of order h^2, stays small.
 */
export const FLOAT32_MIN_STEP = 1e-3;

/** What kind of float32 input x is (a tensor is shifted in float32 whatever its dtype), or undefined for float64. */
function float32Kind(x: NumericInput): string | undefined {
  if (isTensor(x)) return "a tfjs tensor (shifted and evaluated in float32)";
  return x instanceof Float32Array ? "a Float32Array" : undefined;
}

/** A scalar from what the function returned: a number or a one-element tensor. */
function scalar(v: number | tfTypes.Tensor, what: string): number {
  if (typeof v === "number") return v;
  if (isTensor(v)) {
    if (v.size !== 1) throw new Error(`${what}: the function must return a scalar, got a tensor of shape [${v.shape}]`);
    return v.dataSync()[0];
  }
  throw new Error(`${what}: the function must return a number or a scalar tensor`);
}

function disposeIfTensor(v: unknown): void {
  if (isTensor(v)) v.dispose();
}

/**
 * The gradient of a scalar function f at x by centred differences, with the
 * same shape as x (nested arrays stay nested; a tensor gives a Float64Array
 * of its values in order). f must not change its input.
 * Example: `numericGradient((w) => sum of squares(w), [1, 2])` ~ [2, 4].
 *
 * Precision: give x in float64 (numbers, nested arrays or a Float64Array) and
 * compute f in float64; then a correct analytic gradient agrees with this one
 * to a relative error (`relError`) around 1e-7 or below with the default h = 1e-5
 * (more where an entry of the gradient is close to 0, as relError divides by its size).
 * A float32 x (a Float32Array or a tfjs tensor) is refused with h below
 * FLOAT32_MIN_STEP = 1e-3: float32 keeps about 7 significant digits, so with
 * h = 1e-5 the difference f(x + h) - f(x - h) is mostly rounding error and the
 * result can be off by several percent. With a float32 x and h >= 1e-3, expect
 * relative errors around 1e-4 at best, not 1e-7.
 */
export function numericGradient<T extends NumericInput>(f: (x: T) => number | tfTypes.Tensor, x: T, h = 1e-5): T extends tfTypes.Tensor ? Float64Array : T {
  if (!(h > 0)) throw new Error(`numericGradient: h must be > 0, got ${h}`);
  const kind = float32Kind(x);
  if (kind !== undefined && h < FLOAT32_MIN_STEP) {
    throw new Error(
      `numericGradient: x is ${kind}, which keeps only about 7 significant digits; with h = ${h} the difference ` +
        `f(x + h) - f(x - h) is mostly rounding error and the gradient can be off by several percent. ` +
        `Pass float64 values (a Float64Array or nested number arrays) and compute f in float64, ` +
        `or pass h >= ${FLOAT32_MIN_STEP} and expect relative errors around 1e-4 at best.`,
    );
  }
  const { flat, rebuild } = unpack(x);
  const grad = new Float64Array(flat.length);
  for (let i = 0; i < flat.length; i++) {
    const old = flat[i];
    flat[i] = old + h;
    const plusIn = rebuild(flat) as T;
    const plus = f(plusIn);
    const fp = scalar(plus, "numericGradient");
    flat[i] = old - h;
    const minusIn = rebuild(flat) as T;
    const minus = f(minusIn);
    const fm = scalar(minus, "numericGradient");
    flat[i] = old;
    [plusIn, plus, minusIn, minus].forEach(disposeIfTensor);
    grad[i] = (fp - fm) / (2 * h);
  }
  const out = isTensor(x) ? grad : rebuild(grad);
  return out as T extends tfTypes.Tensor ? Float64Array : T;
}

/**
 * The numeric gradient of sum(f(x) * dout) with respect to x, for a function
 * with an array output and its upstream gradient `dout` (CS231n's
 * eval_numerical_gradient_array); use it to check a layer's backward pass.
 */
export function numericGradientArray<T extends NumericInput>(f: (x: T) => NumericInput, x: T, dout: NumericInput, h = 1e-5): T extends tfTypes.Tensor ? Float64Array : T {
  const d = unpack(dout).flat;
  const dot = (y: NumericInput): number => {
    const out = unpack(y).flat;
    if (out.length !== d.length) throw new Error(`numericGradientArray: f returned ${out.length} values but dout has ${d.length}`);
    let s = 0;
    for (let i = 0; i < out.length; i++) s += out[i] * d[i];
    disposeIfTensor(y);
    return s;
  };
  return numericGradient((v: T) => dot(f(v)), x, h);
}

/**
 * The relative error max |a - b| / max(1e-8, |a| + |b|) over all entries
 * (CS231n's rel_error): below 1e-7 is excellent, above 1e-2 is probably a bug.
 */
export function relError(a: NumericInput, b: NumericInput): number {
  const x = unpack(a).flat;
  const y = unpack(b).flat;
  if (x.length !== y.length) throw new Error(`relError: the inputs have ${x.length} and ${y.length} values`);
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    const e = Math.abs(x[i] - y[i]) / Math.max(1e-8, Math.abs(x[i]) + Math.abs(y[i]));
    if (Number.isNaN(e)) return NaN;
    if (e > worst) worst = e;
  }
  return worst;
}
