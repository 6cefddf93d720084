/**
 * Seeded input generators for probes. The same spec always yields the same inputs, in the
 * master run, in the students' runs and in the public checks.
 */
import type { Gen, Representation } from "./spec";
import { encodePlain, type EncodedInput, type PlainValue } from "./plain";
import { Rng } from "../../src/random";

/** 32-bit FNV-1a hash of a string: derives an input's seed from the probe's seed and its name. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Uniform floats in [0, 1) from the kit's one seeded generator (src/random.ts), so probe inputs and notebooks draw alike. */
export function seededUniform(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function checkShape(shape: number[], name: string): void {
  if (!Array.isArray(shape) || shape.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new Error(`input ${name}: shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  }
}

function nest(flat: number[], shape: number[]): PlainValue {
  if (shape.length === 0) return flat[0];
  if (shape.length === 1) return flat.slice();
  const step = size(shape.slice(1));
  const out: PlainValue[] = [];
  for (let i = 0; i < shape[0]; i++) out.push(nest(flat.slice(i * step, (i + 1) * step), shape.slice(1)));
  return out;
}

function defaultForm(shape: number[]): Representation {
  return shape.length === 0 ? "number" : shape.length === 1 ? "array" : "nested";
}

/** Draws the flat values of a generator. */
function drawFlat(gen: Exclude<Gen, { kind: "value" }>, rand: () => number, name: string): number[] {
  checkShape(gen.shape, name);
  const n = size(gen.shape);
  const out: number[] = new Array(n);
  switch (gen.kind) {
    case "uniform":
      for (let i = 0; i < n; i++) out[i] = gen.low + (gen.high - gen.low) * rand();
      return out;
    case "normal": {
      const mean = gen.mean ?? 0;
      const std = gen.std ?? 1;
      for (let i = 0; i < n; i++) {
        // Box-Muller; 1 - u keeps the logarithm finite.
        const u = 1 - rand();
        const v = rand();
        out[i] = mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
      }
      return out;
    }
    case "int":
      if (!(gen.high > gen.low)) throw new Error(`input ${name}: int needs high > low`);
      for (let i = 0; i < n; i++) out[i] = gen.low + Math.floor((gen.high - gen.low) * rand());
      return out;
    case "linspace":
      for (let i = 0; i < n; i++) out[i] = n === 1 ? gen.start : gen.start + ((gen.stop - gen.start) * i) / (n - 1);
      return out;
  }
}

/** Generates one input: its encoded value and the form the probe receives it in. */
export function generateInput(gen: Gen, probeSeed: number, name: string): EncodedInput {
  if (gen.kind === "value") return { as: "plain", value: encodePlain(gen.value) };
  const known = ["uniform", "normal", "int", "linspace"];
  if (!known.includes(gen.kind)) throw new Error(`input ${name}: unknown generator kind ${JSON.stringify((gen as { kind: unknown }).kind)}`);
  const form = gen.as ?? defaultForm(gen.shape);
  let flat = drawFlat(gen, seededUniform(hashSeed(`${probeSeed}:${name}`)), name);
  // A Float32Array can only hold float32 values: round here so every side sees the same numbers.
  if (form === "float32array") flat = flat.map(Math.fround);
  switch (form) {
    case "number":
      if (gen.shape.length !== 0) throw new Error(`input ${name}: "number" needs shape [], got [${gen.shape.join(", ")}]`);
      return { as: "number", value: flat[0] };
    case "array":
    case "float64array":
    case "float32array":
      return { as: form, value: flat };
    case "nested":
      return { as: "nested", value: nest(flat, gen.shape) };
    default:
      throw new Error(`input ${name}: unknown representation ${JSON.stringify(form)}`);
  }
}

/** Generates all inputs of a probe. */
export function generateInputs(inputs: Record<string, Gen> | undefined, probeSeed: number): Record<string, EncodedInput> {
  const out: Record<string, EncodedInput> = {};
  for (const [name, gen] of Object.entries(inputs ?? {})) {
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new Error(`input name ${JSON.stringify(name)} is not a valid identifier`);
    out[name] = generateInput(gen, probeSeed, name);
  }
  return out;
}
