/**
 * Self-checks inside the notebook, and the value rules the grader shares with them.
 *
 * `check("sigmoid")` runs the public probes of one question against the names you defined
 * in the notebook and compares your results with the reference results shipped in
 * `checks/<notebook>.json`. The grader judges with the very same `compareValues`, so a
 * probe that passes here passes there (hidden probes are only run by the grader).
 */
import * as fs from "fs";
import * as path from "path";
import { raisedCellLines, watchCellErrors } from "./cell-errors";

// From the first import of nnkit on, the kernel's cells that raise are recorded for check().
watchCellErrors();

/** Plain data: what probe inputs and results become after tensors and typed arrays are converted. */
export type PlainValue = number | string | boolean | null | PlainValue[] | { [key: string]: PlainValue };

/** Numeric tolerances in numpy's allclose sense: |got - expected| <= atol + rtol * |expected|. */
export interface Tolerance {
  rtol: number;
  atol: number;
}

/** How a probe's result is judged against the reference result (see grader/core/spec.ts for the fields). */
export type CompareRule =
  | { kind: "allclose"; rtol?: number; atol?: number }
  | { kind: "exact" }
  | { kind: "shape" }
  | { kind: "relerr"; max: number }
  | { kind: "output"; cell: string; normalize?: "trim" | "whitespace" }
  | { kind: "gradcheck"; max: number; rtol?: number; atol?: number }
  | { kind: "agree"; parts: [string, string]; within?: Tolerance; master: Tolerance | "shape" }
  | { kind: "atLeast"; min: number }
  | { kind: "resultOrThrows"; returned?: { kind: "exact" } | { kind: "allclose"; rtol?: number; atol?: number } };

/** The outcome of running one probe: a value, or the message of the error it threw. */
export type ProbeOutcome = { ok: true; value: PlainValue } | { ok: false; error: string };

/** The verdict on one probe. */
export interface Verdict {
  passed: boolean;
  /** Why it failed (first mismatch, wrong shape, ...); absent when it passed. */
  message?: string;
}

/** How a generated input is handed to the probe expression. */
export type InputForm = "number" | "array" | "nested" | "float64array" | "float32array" | "plain";

/** A probe input as stored in checks files and sent to the grader's child: encoded plain data plus its form. */
export interface EncodedInput {
  as: InputForm;
  value: unknown;
}

/** One public probe of a question in `checks/<notebook>.json`. */
export interface PublicProbe {
  index: number;
  expr: string;
  /** The expression compiled to JavaScript (so the kernel does not compile it again). */
  js: string;
  label?: string;
  inputs: Record<string, EncodedInput>;
  /** The reference outcome, encoded with `encodePlain`. */
  expected: unknown;
  /** This probe's own rule, when it is not judged by the question's (e.g. a gradient check). */
  compare?: CompareRule;
}

/** One question as the student kit knows it: public probes and their reference values only. */
export interface PublicQuestion {
  id: string;
  title: string;
  points: number;
  requires: string[];
  compare: CompareRule;
  hint: string;
  probes: PublicProbe[];
  /** How many hidden probes the grader runs besides these. */
  hiddenProbes: number;
}

/** A code cell of the master as the student kit knows it (student version of its source). */
export interface PublicCell {
  id: string;
  tags: string[];
  source: string;
}

/** The content of `checks/<notebook-stem>.json`. */
export interface ChecksFile {
  format: "nnkit-checks/1";
  notebook: string;
  masterHash: string;
  cells: PublicCell[];
  questions: PublicQuestion[];
  cellTimeoutMs?: number;
  notebookTimeoutMs?: number;
  memoryMb?: number;
}

const NONFINITE_KEY = "$nonfinite";
const MAX_PLAIN_ITEMS = 5_000_000;

/**
 * Turns any value a probe can return into plain data: tfjs tensors and typed arrays become
 * (nested) number arrays, `undefined` becomes null, Maps/Sets/objects are walked; NaN and
 * Infinity stay numbers. Throws when the value is too large to compare.
 */
export function toPlain(value: unknown): PlainValue {
  const budget = { items: 0 };
  return toPlainInner(value, budget, new Set<object>(), 0);
}

function toPlainInner(value: unknown, budget: { items: number }, ancestors: Set<object>, depth: number): PlainValue {
  budget.items++;
  if (budget.items > MAX_PLAIN_ITEMS) throw new Error(`result too large to compare (more than ${MAX_PLAIN_ITEMS} values)`);
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "number":
    case "string":
    case "boolean":
      return value;
    case "bigint":
      return Number(value);
    case "symbol":
      return String(value);
    case "function":
      return `[function ${(value as { name?: string }).name || "anonymous"}]`;
  }
  const obj = value as object;
  if (depth > 64) throw new Error("result nested too deeply to compare");
  if (ancestors.has(obj)) return "[circular]";
  if (ArrayBuffer.isView(obj) && !(obj instanceof DataView)) {
    const view = obj as unknown as ArrayLike<number | bigint>;
    budget.items += view.length;
    if (budget.items > MAX_PLAIN_ITEMS) throw new Error(`result too large to compare (more than ${MAX_PLAIN_ITEMS} values)`);
    const out: number[] = new Array(view.length);
    for (let i = 0; i < view.length; i++) out[i] = Number(view[i]);
    return out;
  }
  ancestors.add(obj);
  try {
    if (isTensorLike(obj)) {
      if (obj.isDisposed) throw new Error("the result is a disposed tensor");
      return toPlainInner(obj.arraySync(), budget, ancestors, depth + 1);
    }
    if (Array.isArray(obj)) {
      const out: PlainValue[] = new Array(obj.length);
      for (let i = 0; i < obj.length; i++) out[i] = toPlainInner(obj[i], budget, ancestors, depth + 1);
      return out;
    }
    if (obj instanceof Set) return toPlainInner(Array.from(obj), budget, ancestors, depth + 1);
    if (obj instanceof Map) {
      const out: { [key: string]: PlainValue } = {};
      for (const [k, v] of obj) out[String(k)] = toPlainInner(v, budget, ancestors, depth + 1);
      return out;
    }
    if (obj instanceof Error) return { error: `${obj.name}: ${obj.message}` };
    const out: { [key: string]: PlainValue } = {};
    for (const key of Object.keys(obj)) {
      out[key] = toPlainInner((obj as Record<string, unknown>)[key], budget, ancestors, depth + 1);
    }
    return out;
  } finally {
    ancestors.delete(obj);
  }
}

interface TensorLike {
  shape: number[];
  dtype: string;
  isDisposed?: boolean;
  arraySync(): unknown;
}

function isTensorLike(v: object): v is TensorLike {
  const t = v as Partial<TensorLike>;
  return Array.isArray(t.shape) && typeof t.dtype === "string" && typeof t.arraySync === "function";
}

/** Replaces NaN and ±Infinity by tagged objects so that plain data survives JSON. */
export function encodePlain(value: PlainValue): unknown {
  if (typeof value === "number") return Number.isFinite(value) ? value : { [NONFINITE_KEY]: String(value) };
  if (Array.isArray(value)) return value.map(encodePlain);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = encodePlain(value[key]);
    return out;
  }
  return value;
}

/** Inverse of `encodePlain`; throws on anything that is not encoded plain data. */
export function decodePlain(value: unknown, depth = 0): PlainValue {
  if (depth > 200) throw new Error("plain data nested too deeply");
  if (value === null || typeof value === "number" || typeof value === "string" || typeof value === "boolean") return value;
  if (Array.isArray(value)) return value.map((v) => decodePlain(v, depth + 1));
  if (typeof value === "object") {
    const rec = value as Record<string, unknown>;
    const keys = Object.keys(rec);
    if (keys.length === 1 && keys[0] === NONFINITE_KEY) {
      const tag = rec[NONFINITE_KEY];
      if (tag === "NaN") return NaN;
      if (tag === "Infinity") return Infinity;
      if (tag === "-Infinity") return -Infinity;
      throw new Error(`bad non-finite tag ${String(tag)}`);
    }
    const out: { [key: string]: PlainValue } = {};
    for (const key of keys) out[key] = decodePlain(rec[key], depth + 1);
    return out;
  }
  throw new Error(`not plain data: ${typeof value}`);
}

/** The shape of a numeric (nested) array: [] for a number, null for anything ragged or non-numeric. */
export function shapeOf(value: PlainValue): number[] | null {
  if (typeof value === "number") return [];
  if (!Array.isArray(value)) return null;
  if (value.length === 0) return [0];
  const inner = shapeOf(value[0]);
  if (inner === null) return null;
  for (let i = 1; i < value.length; i++) {
    const s = shapeOf(value[i]);
    if (s === null || !sameShape(s, inner)) return null;
  }
  return [value.length, ...inner];
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

function flattenNumbers(value: PlainValue, out: number[]): number[] {
  if (Array.isArray(value)) for (const v of value) flattenNumbers(v, out);
  else out.push(value as number);
  return out;
}

function indexPath(flatIndex: number, shape: number[]): string {
  if (shape.length === 0) return "";
  const idx: number[] = [];
  let rest = flatIndex;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(rest % shape[d]);
    rest = Math.floor(rest / shape[d]);
  }
  return `[${idx.join(", ")}]`;
}

/** A short, readable rendering of plain data for messages (long arrays are elided). */
export function describePlain(value: PlainValue, maxChars = 160): string {
  const text = renderPlain(value, 0);
  return text.length > maxChars ? text.slice(0, maxChars - 1) + "…" : text;
}

function renderPlain(value: PlainValue, depth: number): string {
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || typeof value === "boolean") return String(value);
  if (depth > 6) return "…";
  if (Array.isArray(value)) {
    const items = value.length > 8 ? [...value.slice(0, 6).map((v) => renderPlain(v, depth + 1)), `… ${value.length - 6} more`] : value.map((v) => renderPlain(v, depth + 1));
    return `[${items.join(", ")}]`;
  }
  return `{${Object.keys(value).map((k) => `${k}: ${renderPlain(value[k], depth + 1)}`).join(", ")}}`;
}

function describeShape(value: PlainValue): string {
  const s = shapeOf(value);
  if (s) return s.length === 0 ? "a number" : `shape [${s.join(", ")}]`;
  if (value === null) return "null/undefined";
  if (Array.isArray(value)) return "a ragged or non-numeric array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function normalizeOutput(text: string, mode: "trim" | "whitespace" | undefined): string {
  const unified = text.replace(/\r\n/g, "\n");
  if (mode === "whitespace") return unified.trim().split(/\s+/).join(" ");
  if (mode === "trim") return unified.split("\n").map((l) => l.trimEnd()).join("\n").trim();
  return unified;
}

function numbersClose(e: number, g: number, rtol: number, atol: number): boolean {
  if (Number.isNaN(e) || Number.isNaN(g)) return Number.isNaN(e) && Number.isNaN(g);
  if (!Number.isFinite(e) || !Number.isFinite(g)) return e === g;
  return Math.abs(g - e) <= atol + rtol * Math.abs(e);
}

function relErr(e: number, g: number): number {
  if (Number.isNaN(e) || Number.isNaN(g)) return Number.isNaN(e) && Number.isNaN(g) ? 0 : Infinity;
  if (e === g) return 0;
  return Math.abs(e - g) / Math.max(1e-8, Math.abs(e) + Math.abs(g));
}

/** Deep equality of plain data (NaN equals NaN); returns the path of the first difference or null. */
function firstDifference(e: PlainValue, g: PlainValue, leaf: (e: number, g: number) => boolean, at: string): string | null {
  if (typeof e === "number" && typeof g === "number") return leaf(e, g) ? null : at || "value";
  if (Array.isArray(e) || Array.isArray(g)) {
    if (!Array.isArray(e) || !Array.isArray(g)) return at || "value";
    if (e.length !== g.length) return `${at || "value"} (length ${g.length} instead of ${e.length})`;
    for (let i = 0; i < e.length; i++) {
      const d = firstDifference(e[i], g[i], leaf, `${at}[${i}]`);
      if (d !== null) return d;
    }
    return null;
  }
  if (e !== null && g !== null && typeof e === "object" && typeof g === "object") {
    const ek = Object.keys(e).sort();
    const gk = Object.keys(g).sort();
    if (ek.join("\u0000") !== gk.join("\u0000")) return `${at || "value"} (keys ${gk.join(", ")} instead of ${ek.join(", ")})`;
    for (const k of ek) {
      const d = firstDifference(e[k], g[k], leaf, `${at}.${k}`);
      if (d !== null) return d;
    }
    return null;
  }
  return e === g ? null : at || "value";
}

/** The named fields of an object result, or null when the value is not an object holding all of them. */
function fieldsOf(value: PlainValue, keys: readonly string[]): Record<string, PlainValue> | null {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
  for (const k of keys) if (!Object.prototype.hasOwnProperty.call(value, k)) return null;
  return value;
}

/** Where two plain values first differ in structure (array lengths, object keys, leaf types), or null. */
function structureDifference(e: PlainValue, g: PlainValue, at: string): string | null {
  const here = at || "value";
  if (Array.isArray(e) || Array.isArray(g)) {
    if (!Array.isArray(e) || !Array.isArray(g)) return `${here} (${describeShape(g)} instead of ${describeShape(e)})`;
    if (e.length !== g.length) return `${here} (length ${g.length} instead of ${e.length})`;
    for (let i = 0; i < e.length; i++) {
      const d = structureDifference(e[i], g[i], `${at}[${i}]`);
      if (d !== null) return d;
    }
    return null;
  }
  if (e !== null && g !== null && typeof e === "object" && typeof g === "object") {
    const ek = Object.keys(e).sort();
    const gk = Object.keys(g).sort();
    if (ek.join("\u0000") !== gk.join("\u0000")) return `${here} (keys ${gk.join(", ")} instead of ${ek.join(", ")})`;
    for (const k of ek) {
      const d = structureDifference(e[k], g[k], `${at}.${k}`);
      if (d !== null) return d;
    }
    return null;
  }
  return typeof e === typeof g && (e === null) === (g === null) ? null : `${here} (${describeShape(g)} instead of ${describeShape(e)})`;
}

/** The value a probe of the resultOrThrows kind reports when its call threw: `{ threw: message }`. */
function thrownMessage(value: PlainValue): string | null {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === "threw" && typeof value.threw === "string" ? value.threw : null;
}

/** The error message of a released stub ("not implemented: <exercise>"), which never satisfies a probe. */
const STUB_ERROR = /^(Error: )?not implemented/;

/**
 * The rules that judge raw values a probe returned in two parts (gradient checks, agreement of two
 * results, thresholds, "throws on bad input"): every verdict is made here, never inside the
 * probe, so nothing a notebook patches where the probe runs can turn a wrong answer into a pass.
 */
function compareRaw(e: PlainValue, g: PlainValue, rule: Extract<CompareRule, { kind: "gradcheck" | "agree" | "atLeast" | "resultOrThrows" }>): Verdict {
  const ok = (value: PlainValue): ProbeOutcome => ({ ok: true, value });
  switch (rule.kind) {
    case "gradcheck": {
      // The analytic gradient must match the numeric gradient of the student's own forward
      // function (CS231n's relative error), and the master's analytic gradient.
      const parts = ["analytic", "numeric"] as const;
      const ef = fieldsOf(e, parts);
      const gf = fieldsOf(g, parts);
      if (!ef) return { passed: false, message: "the reference is not a gradient check ({ analytic, numeric })" };
      if (!gf) return { passed: false, message: `expected { analytic, numeric } gradients, got ${describePlain(g)}` };
      const inner = compareValues(ok(gf.numeric), ok(gf.analytic), { kind: "relerr", max: rule.max });
      if (!inner.passed) return { passed: false, message: `your gradient does not match the numeric gradient of your own function (numeric as "expected"): ${inner.message}` };
      const master = compareValues(ok(ef.analytic), ok(gf.analytic), { kind: "allclose", rtol: rule.rtol ?? 1e-6, atol: rule.atol ?? 1e-10 });
      if (!master.passed) return { passed: false, message: `your gradient is consistent with your function but not the reference gradient: ${master.message}` };
      return { passed: true };
    }
    case "agree": {
      const [a, b] = rule.parts;
      const ef = fieldsOf(e, rule.parts);
      const gf = fieldsOf(g, rule.parts);
      if (!ef) return { passed: false, message: `the reference has no ${a} and ${b}` };
      if (!gf) return { passed: false, message: `expected { ${a}, ${b} }, got ${describePlain(g)}` };
      const within = rule.within ?? { rtol: 0, atol: 0 };
      const inner = compareValues(ok(gf[a]), ok(gf[b]), { kind: "allclose", rtol: within.rtol, atol: within.atol });
      if (!inner.passed) return { passed: false, message: `${b} should equal ${a}: ${inner.message}` };
      for (const part of rule.parts) {
        if (rule.master === "shape") {
          const d = structureDifference(ef[part], gf[part], "");
          if (d !== null) return { passed: false, message: `${part} has the wrong structure at ${d}` };
        } else {
          const m = compareValues(ok(ef[part]), ok(gf[part]), { kind: "allclose", rtol: rule.master.rtol, atol: rule.master.atol });
          if (!m.passed) return { passed: false, message: `${part}: ${m.message}` };
        }
      }
      return { passed: true };
    }
    case "atLeast": {
      if (typeof e !== "number" || !(e >= rule.min)) return { passed: false, message: `the reference itself is below ${rule.min}: ${describePlain(e)}` };
      if (typeof g !== "number" || Number.isNaN(g)) return { passed: false, message: `expected a number of at least ${rule.min}, got ${describePlain(g)}` };
      return g >= rule.min ? { passed: true } : { passed: false, message: `${describePlain(g)} is below ${rule.min}` };
    }
    case "resultOrThrows": {
      const expectedThrow = thrownMessage(e);
      const gotThrow = thrownMessage(g);
      if (gotThrow !== null && STUB_ERROR.test(gotThrow)) return { passed: false, message: `threw ${gotThrow}` };
      if (expectedThrow !== null) return gotThrow !== null ? { passed: true } : { passed: false, message: `expected it to throw an Error, but it returned ${describePlain(g)}` };
      if (gotThrow !== null) return { passed: false, message: `threw ${gotThrow}` };
      return compareValues(ok(e), ok(g), rule.returned ?? { kind: "exact" });
    }
  }
}

/** How a probe value is shown to a person: a resultOrThrows probe that threw shows as "throws". */
export function displayValue(value: PlainValue, rule: CompareRule): PlainValue {
  return rule.kind === "resultOrThrows" && thrownMessage(value) !== null ? "throws" : value;
}

/**
 * Judges one probe: `got` (the student's result) against `expected` (the reference result),
 * with one of the comparators allclose, exact, shape, relerr, output, or the raw-value rules
 * gradcheck, agree, atLeast and resultOrThrows. The message names the first mismatch, the
 * wrong shape or the error thrown.
 */
export function compareValues(expected: ProbeOutcome, got: ProbeOutcome, rule: CompareRule): Verdict {
  if (!expected.ok) return { passed: false, message: `the reference itself failed: ${expected.error}` };
  if (!got.ok) return { passed: false, message: `threw ${got.error}` };
  const e = expected.value;
  const g = got.value;
  switch (rule.kind) {
    case "gradcheck":
    case "agree":
    case "atLeast":
    case "resultOrThrows":
      return compareRaw(e, g, rule);
    case "output": {
      if (typeof g !== "string") return { passed: false, message: "no output" };
      const en = normalizeOutput(String(e), rule.normalize);
      const gn = normalizeOutput(g, rule.normalize);
      if (en === gn) return { passed: true };
      const el = en.split("\n");
      const gl = gn.split("\n");
      let line = 0;
      while (line < el.length && el[line] === gl[line]) line++;
      return {
        passed: false,
        message: `output differs at line ${line + 1}: expected ${JSON.stringify(el[line] ?? "")}, got ${JSON.stringify(gl[line] ?? "")}`,
      };
    }
    case "exact": {
      const d = firstDifference(e, g, (a, b) => Object.is(a, b) || a === b, "");
      return d === null ? { passed: true } : { passed: false, message: `differs at ${d}: expected ${describePlain(e)}, got ${describePlain(g)}` };
    }
    case "shape": {
      const se = shapeOf(e);
      const sg = shapeOf(g);
      if (se && sg && sameShape(se, sg)) return { passed: true };
      if (!se && typeof e === typeof g && Array.isArray(e) === Array.isArray(g)) return { passed: true };
      return { passed: false, message: `wrong shape: expected ${describeShape(e)}, got ${describeShape(g)}` };
    }
    case "allclose":
    case "relerr": {
      const rtol = rule.kind === "allclose" ? rule.rtol ?? 1e-5 : 0;
      const atol = rule.kind === "allclose" ? rule.atol ?? 1e-8 : 0;
      const leaf = rule.kind === "allclose" ? (a: number, b: number) => numbersClose(a, b, rtol, atol) : (a: number, b: number) => relErr(a, b) <= rule.max;
      const tolerance = rule.kind === "allclose" ? `rtol ${rtol}, atol ${atol}` : `relative error ≤ ${rule.max}`;
      const se = shapeOf(e);
      if (se) {
        const sg = shapeOf(g);
        if (!sg || !sameShape(se, sg)) return { passed: false, message: `wrong shape: expected ${describeShape(e)}, got ${describeShape(g)}` };
        const ef = flattenNumbers(e, []);
        const gf = flattenNumbers(g, []);
        let bad = 0;
        let first = -1;
        let worst = 0;
        for (let i = 0; i < ef.length; i++) {
          if (!leaf(ef[i], gf[i])) {
            bad++;
            if (first < 0) first = i;
          }
          worst = Math.max(worst, relErr(ef[i], gf[i]));
        }
        if (bad === 0) return { passed: true };
        const where = se.length === 0 ? "" : ` at ${indexPath(first, se)}`;
        const count = ef.length > 1 ? ` (${bad} of ${ef.length} values differ, max relative error ${worst.toExponential(2)}, ${tolerance})` : ` (${tolerance})`;
        return { passed: false, message: `value${where}: expected ${describePlain(ef[first])}, got ${describePlain(gf[first])}${count}` };
      }
      const d = firstDifference(e, g, leaf, "");
      return d === null ? { passed: true } : { passed: false, message: `differs at ${d}: expected ${describePlain(e)}, got ${describePlain(g)}` };
    }
  }
}

/** Turns an encoded probe input into the value handed to the probe expression. */
export function materializeInput(input: EncodedInput): unknown {
  const value = decodePlain(input.value);
  switch (input.as) {
    case "float64array":
      return Float64Array.from(value as number[]);
    case "float32array":
      return Float32Array.from(value as number[]);
    default:
      return value;
  }
}

/** The outcome decoded from its stored form (`{ok, value}` with encoded plain data, or `{ok: false, error}`). */
export function decodeOutcome(stored: unknown): ProbeOutcome {
  const rec = stored as { ok?: unknown; value?: unknown; error?: unknown };
  if (rec && rec.ok === true) return { ok: true, value: decodePlain(rec.value) };
  if (rec && rec.ok === false && typeof rec.error === "string") return { ok: false, error: rec.error };
  throw new Error("malformed probe outcome");
}

/** Finds the `checks/` folder of the course kit by walking up from `start` (default: the current directory). */
export function findChecksDir(start: string = process.cwd()): string | null {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "checks");
    if (fs.existsSync(candidate) && fs.statSync(candidate).isDirectory()) return candidate;
    if (path.dirname(dir) === dir) return null;
  }
}

/** Reads every `checks/*.json` of the kit. */
export function readChecks(dir: string): ChecksFile[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as ChecksFile)
    .filter((c) => c.format === "nnkit-checks/1");
}

/** The names defined at the top level of the notebook (tslab keeps them on `globalThis.__tslab__.exports`). */
function notebookScope(): Record<string, unknown> {
  const tslab = (globalThis as { __tslab__?: { exports?: Record<string, unknown> } }).__tslab__;
  return tslab?.exports ?? (globalThis as unknown as Record<string, unknown>);
}

/** Evaluates compiled probe code with the notebook's names and the probe's inputs in scope. */
export function evaluateProbe(js: string, scope: object, inputs: Record<string, unknown>): unknown {
  // `with` puts the notebook's names and the inputs in scope without knowing them in advance;
  // Function bodies are sloppy-mode code, where `with` is allowed.
  const fn = new Function("__scope", "__inputs", `with (__scope) { with (__inputs) { return (${js}\n); } }`) as (s: object, i: object) => unknown;
  return fn(scope, inputs);
}

function outcomeOf(run: () => unknown): ProbeOutcome {
  try {
    const value = run();
    if (value && typeof (value as { then?: unknown }).then === "function") {
      return { ok: false, error: "returned a Promise: async probes are checked by `npm run check` only" };
    }
    return { ok: true, value: toPlain(value) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

/**
 * The exercise a probe outcome says is still a released stub ("not implemented: sigmoid" gives
 * "sigmoid", a stub without a name ""), whether the probe threw it or caught it and returned
 * `{ threw }`; null when the outcome is anything else.
 */
function stubName(outcome: ProbeOutcome): string | null {
  const message = outcome.ok ? thrownMessage(outcome.value) : outcome.error;
  if (message === null || !STUB_ERROR.test(message)) return null;
  return /not implemented: ?(\S*)/.exec(message)?.[1] ?? "";
}

/**
 * Checks your solution of one exercise, e.g. `check("sigmoid")`: runs that question's public
 * probes on the functions you defined above and prints ✓/✗ per probe, with the hint and the
 * first mismatch (input, expected, got). The grader also runs hidden probes. First it names
 * every cell that raised in this kernel session and has not run cleanly since ("cell <id>
 * raised <error>; in Jupyter, Run All stops here"): the grader runs the cells after it, Jupyter's
 * Run All does not. While the exercise is still the released stub, it throws "<name> is not
 * implemented yet", so that Run All stops at the first exercise's check.
 */
export function check(questionId: string): void {
  if (process.env.NNKIT_GRADER === "1") {
    // Inside the grader's sandbox the probes are run by the grader itself, and checks/ is not readable.
    console.log(`check("${questionId}"): skipped while grading`);
    return;
  }
  watchCellErrors();
  // Cells that raised (and have not run cleanly since): Run All would never get this far.
  for (const line of raisedCellLines()) console.log(`⚠ ${line}`);
  const dir = findChecksDir();
  if (!dir) {
    console.log(`✗ no checks/ folder found above ${process.cwd()}: run ./setup.sh in the kit first.`);
    return;
  }
  let all: ChecksFile[];
  try {
    all = readChecks(dir);
  } catch (err) {
    console.log(`✗ cannot read the checks in ${dir}: ${(err as Error).message}`);
    return;
  }
  let question: PublicQuestion | undefined;
  for (const file of all) question = question ?? file.questions.find((q) => q.id === questionId);
  if (!question) {
    const known = all.flatMap((f) => f.questions.map((q) => q.id));
    console.log(`✗ there is no check named "${questionId}". Known checks: ${known.join(", ") || "(none)"}`);
    return;
  }
  const title = `${question.id}: ${question.title} (${question.points} points)`;
  if (question.compare.kind === "output") {
    console.log(`${title}\n  this question grades the printed output of cell "${question.compare.cell}": run \`npm run check\` to check it.`);
    return;
  }
  const scope = notebookScope();
  const missing = question.requires.filter((name) => !(name in scope) || scope[name] === undefined);
  if (missing.length > 0) {
    console.log(`${title}\n  ✗ not defined yet: ${missing.join(", ")}. Run the cell that defines ${missing.length > 1 ? "them" : "it"} first.`);
    return;
  }
  const lines = [title];
  let passed = 0;
  let detailsShown = false;
  for (const probe of question.probes) {
    const inputs: Record<string, unknown> = {};
    for (const [name, input] of Object.entries(probe.inputs)) inputs[name] = materializeInput(input);
    const got = outcomeOf(() => evaluateProbe(probe.js, scope, inputs));
    // A released stub stops Run All here, with one short line instead of a page of ✗.
    const stub = stubName(got);
    if (stub !== null) throw new Error(`${stub || question.id} is not implemented yet`);
    const verdict = compareValues(decodeOutcome(probe.expected), got, probe.compare ?? question.compare);
    const what = probe.label ?? probe.expr;
    if (verdict.passed) {
      passed++;
      lines.push(`  ✓ ${what}`);
      continue;
    }
    lines.push(`  ✗ ${what}: ${verdict.message}`);
    if (!detailsShown) {
      detailsShown = true;
      for (const [name, input] of Object.entries(probe.inputs)) lines.push(`      input ${name} = ${describePlain(decodePlain(input.value), 300)}`);
      const expected = decodeOutcome(probe.expected);
      if (expected.ok) lines.push(`      expected: ${describePlain(expected.value, 300)}`);
      lines.push(`      got:      ${got.ok ? describePlain(got.value, 300) : got.error}`);
    }
  }
  const total = question.probes.length;
  const hidden = question.hiddenProbes > 0 ? ` (the grader also runs ${question.hiddenProbes} hidden probe${question.hiddenProbes > 1 ? "s" : ""})` : "";
  if (passed === total) lines.push(`  all ${total} public checks passed${hidden}`);
  else lines.push(`  ${passed}/${total} public checks passed. Hint: ${question.hint}`);
  console.log(lines.join("\n"));
}
