/**
 * Small numpy-like helpers for plain JavaScript arrays, so exercises can be
 * written without tensors.
 */

/** A nested array of numbers of any depth, e.g. number[][] for a matrix. */
export type Nested = number | Nested[];

/** `num` evenly spaced numbers from start to stop, both included (numpy's linspace). */
export function linspace(start: number, stop: number, num: number): number[] {
  if (!Number.isInteger(num) || num < 0) throw new Error(`linspace: num must be a non-negative integer, got ${num}`);
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  // The last value is set exactly, so it does not drift by rounding.
  return Array.from({ length: num }, (_, i) => (i === num - 1 ? stop : start + i * step));
}

/** The integers 0, 1, ..., n-1. */
export function arange(n: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`arange: n must be a non-negative integer, got ${n}`);
  return Array.from({ length: n }, (_, i) => i);
}

/** The shape of a nested array, e.g. [2, 3] for [[1,2,3],[4,5,6]]; throws if it is ragged. */
export function shapeOf(nested: Nested): number[] {
  if (!Array.isArray(nested)) return [];
  if (nested.length === 0) return [0];
  const inner = shapeOf(nested[0]);
  for (let i = 1; i < nested.length; i++) {
    const s = shapeOf(nested[i]);
    if (s.length !== inner.length || s.some((d, k) => d !== inner[k])) {
      throw new Error(`shapeOf: ragged array: element 0 has shape [${inner}], element ${i} has shape [${s}]`);
    }
  }
  return [nested.length, ...inner];
}

/** All numbers of a nested array in row-major order. */
export function flatten(nested: Nested): number[] {
  if (!Array.isArray(nested)) return [nested];
  const out: number[] = [];
  const walk = (v: Nested): void => {
    if (Array.isArray(v)) for (const e of v) walk(e);
    else out.push(v);
  };
  walk(nested);
  return out;
}

/** Turns a flat list into a nested array of the given shape (row-major, like numpy's reshape). */
export function reshape(flat: ArrayLike<number>, shape: number[]): Nested {
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`reshape: bad shape [${shape}]`);
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== flat.length) throw new Error(`reshape: cannot reshape ${flat.length} values into shape [${shape}] (${size} values)`);
  let pos = 0;
  const build = (dim: number): Nested => {
    if (dim === shape.length) return flat[pos++];
    return Array.from({ length: shape[dim] }, () => build(dim + 1));
  };
  return build(0);
}

/** A nested array of zeros with the given shape, e.g. zeros([2, 3]). */
export function zeros(shape: number[]): Nested {
  const size = shape.reduce((a, b) => a * b, 1);
  return reshape(new Float64Array(size), shape);
}
