/**
 * Questions as data: the types every notebook's spec module (grader/specs/NN_topic.ts) uses.
 *
 * A spec never restates a reference implementation: expected values come from running the
 * master notebook's own solution through the same runner that runs students.
 */

/** Plain data a probe input or result is made of (after tensors and typed arrays are converted). */
export type Plain = number | string | boolean | null | Plain[] | { [key: string]: Plain };

/** How a generated input is handed to the probe expression. */
export type Representation =
  | "number" // a single number (shape must be [])
  | "array" // a flat number[] (any shape is flattened)
  | "nested" // nested number[][]... following the shape
  | "float64array" // a Float64Array (flattened)
  | "float32array"; // a Float32Array (flattened)

/** A seeded input generator. The seed is derived from the probe's seed and the input's name. */
export type Gen =
  | { kind: "value"; value: Plain } // a literal, passed as is
  | { kind: "uniform"; shape: number[]; low: number; high: number; as?: Representation }
  | { kind: "normal"; shape: number[]; mean?: number; std?: number; as?: Representation }
  | { kind: "int"; shape: number[]; low: number; high: number; as?: Representation } // [low, high)
  | { kind: "linspace"; start: number; stop: number; shape: number[]; as?: Representation }; // numpy.linspace(start, stop, prod(shape)) reshaped

/**
 * One probe: a TypeScript expression over the student's top-level names and the probe's
 * inputs, e.g. `sigmoid(x)` with `inputs: { x: {kind: "uniform", shape: [3, 4], low: -5, high: 5, as: "nested"} }`.
 * An expression may be an IIFE for several statements (e.g. several optimizer steps).
 * The result may be a number, array, nested array, typed array, tfjs tensor or plain object;
 * the runner turns it into plain data. A thrown error is recorded as the probe's result.
 */
export interface Probe {
  expr: string;
  inputs?: Record<string, Gen>;
  /** Seed of the input generators (default: the probe's index in its question + 1). */
  seed?: number;
  /** Hidden probes are graded but never shown to students, nor released. */
  hidden?: boolean;
  /** Shown to the student instead of the expression when the probe fails (optional). */
  label?: string;
  /**
   * How this probe is judged, when not by its question's comparator: a probe that returns raw
   * values in parts (a gradient check, two results that must agree, a score with a bar, a call
   * that must throw) names the raw-value rule that judges them in the grader.
   */
  compare?: Comparator;
}

/** Numeric tolerances in numpy's allclose sense: |got - expected| <= atol + rtol * |expected|. */
export interface Tolerance {
  rtol: number;
  atol: number;
}

/**
 * How a probe's result is judged against the master's result for the same probe. Every verdict
 * is made in the grader from raw values: a probe never judges itself in the child (a probe
 * that did, e.g. `worst < max ? 1 : worst`, passed whenever a notebook patched Math.abs).
 */
export type Comparator =
  | { kind: "allclose"; rtol?: number; atol?: number } // shapes must match; defaults rtol 1e-5, atol 1e-8 (numpy's)
  | { kind: "exact" } // deep equality of the plain data
  | { kind: "shape" } // only the shape of the result must match
  | { kind: "relerr"; max: number } // CS231n's max |a-b| / max(1e-8, |a|+|b|) <= max, shapes must match
  | { kind: "output"; cell: string; normalize?: "trim" | "whitespace" } // stdout of the master cell with this id
  /**
   * A gradient check from raw values: the probe returns `{ analytic, numeric }`, the student's
   * gradient and the centred difference of the student's own forward function, same structure.
   * Passes when they agree within CS231n's relative error `max`, and the analytic gradient is
   * allclose (rtol default 1e-6, atol 1e-10) to the master's analytic gradient. A wrong sign,
   * a factor of two or a transpose fails both.
   */
  | { kind: "gradcheck"; max: number; rtol?: number; atol?: number }
  /**
   * Two results that must agree: the probe returns an object with the two `parts` (e.g. the
   * weights of two builds with the same seed, or a value before and after a call that must not
   * change it). Passes when the second part is allclose to the first within `within` (default
   * exactly equal) and each part matches the master's: allclose within `master`, or only the
   * same structure (array lengths, keys) with "shape".
   */
  | { kind: "agree"; parts: [string, string]; within?: Tolerance; master: Tolerance | "shape" }
  /** A score with a bar: the result is a number of at least `min` (the master's must be too). */
  | { kind: "atLeast"; min: number }
  /**
   * For `resultOrThrows(call)` probes: where the master's call threw (`{ threw: message }`), the
   * student's must throw too, with any error but the released stub's "not implemented"; where
   * it returned, the results are compared with `returned` (default exact).
   */
  | { kind: "resultOrThrows"; returned?: { kind: "exact" } | { kind: "allclose"; rtol?: number; atol?: number } };

export interface Question {
  /** Unique across the whole assignment, e.g. "sigmoid" or "adam-step". */
  id: string;
  /** A short title shown in tables and feedback. */
  title: string;
  points: number;
  /** The names the student must define for this question; a missing one scores 0 with a specific message. */
  requires: string[];
  probes: Probe[];
  compare: Comparator;
  /** Shown when a probe fails. */
  hint: string;
}

export interface NotebookSpec {
  /** File name of the master under notebooks/, e.g. "01_activations.ipynb". */
  notebook: string;
  questions: Question[];
  /** Per-cell and whole-notebook time limits in ms while grading (the runner has defaults). */
  cellTimeoutMs?: number;
  notebookTimeoutMs?: number;
  /** Memory cap for the child in MB (the runner has a default). */
  memoryMb?: number;
  /**
   * Questions graded by hand: the id of the master's `written-answer` cell and the most points
   * it can earn. `export manual-import` accepts points for these ids only, from 0 to `points`.
   */
  written?: { cell: string; points: number }[];
}

/**
 * A probe expression for questions where throwing on bad input is the expected behaviour: its
 * result is what `call` returned, or `{ threw: message }` when it threw. It judges nothing
 * itself: probes using it set `compare: { kind: "resultOrThrows" }`, and the grader decides
 * (a released stub's "not implemented" error never earns these points).
 */
export function resultOrThrows(call: string): string {
  return `(() => { try { return ${call}; } catch (e) { return { threw: e instanceof Error ? e.message : String(e) }; } })()`;
}
