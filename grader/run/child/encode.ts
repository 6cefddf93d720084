/**
 * Plain data in the child, written with the runner's saved built-ins (./builtins): a probe's
 * result straight to the JSON text of its encoded plain data, and a probe's inputs from the
 * JSON text the parent sent. The rules are those of src/check.ts (toPlain, encodePlain,
 * materializeInput), which the notebook's `check()` and the parent use; test/grader checks that
 * both give the same text. They are restated here because src/check.ts uses the notebook's
 * globals (Array.prototype.map, Object.keys, JSON.stringify, instanceof), which a notebook can
 * replace before a probe runs.
 */
import {
  DATAVIEW_PROTOTYPE,
  ERROR_PROTOTYPE,
  Float32ArrayCtor,
  Float64ArrayCtor,
  MAP_PROTOTYPE,
  SET_PROTOTYPE,
  apply,
  bare,
  inherits,
  isArray,
  isFiniteNumber,
  isView,
  jsonParse,
  jsonStringify,
  mapEntries,
  mapIteratorNext,
  objectKeys,
  setIteratorNext,
  setValues,
  toNumber,
  toText,
  typedArrayLength,
} from "./builtins";

const NONFINITE_KEY = "$nonfinite";
const MAX_PLAIN_ITEMS = 5_000_000;
const MAX_DEPTH = 64;

interface Walk {
  items: number;
  /** The objects being walked, outermost first (depth <= 64, so a linear search is cheap). */
  ancestors: Record<number, object>;
  depth: number;
}

function tooLarge(): Error {
  return new Error(`result too large to compare (more than ${MAX_PLAIN_ITEMS} values)`);
}

function encodeNumber(n: number): string {
  if (isFiniteNumber(n)) return "" + n;
  return `{"${NONFINITE_KEY}":${jsonStringify(toText(n))}}`;
}

/** `{ "k": v, ... }` from a null-prototype record of already encoded values (own-key order, as JSON.stringify). */
function encodeRecord(rec: Record<string, string>): string {
  const keys = objectKeys(rec);
  let out = "{";
  for (let i = 0; i < keys.length; i++) out += (i > 0 ? "," : "") + jsonStringify(keys[i]) + ":" + rec[keys[i]];
  return out + "}";
}

function isAncestor(walk: Walk, obj: object, depth: number): boolean {
  for (let d = 0; d < depth; d++) if (walk.ancestors[d] === obj) return true;
  return false;
}

interface TensorLike {
  shape: unknown;
  dtype: unknown;
  isDisposed?: unknown;
  arraySync: () => unknown;
}

/** The same walk as src/check.ts toPlain, then encodePlain and JSON.stringify, in one pass. */
function encodeInner(value: unknown, walk: Walk, depth: number): string {
  walk.items++;
  if (walk.items > MAX_PLAIN_ITEMS) throw tooLarge();
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "number":
      return encodeNumber(value);
    case "string":
      return jsonStringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return encodeNumber(toNumber(value));
    case "symbol":
      return jsonStringify(toText(value));
    case "function":
      return jsonStringify(`[function ${(value as { name?: string }).name || "anonymous"}]`);
  }
  const obj = value as object;
  if (depth > MAX_DEPTH) throw new Error("result nested too deeply to compare");
  if (isAncestor(walk, obj, depth)) return '"[circular]"';
  if (isView(obj) && !inherits(obj, DATAVIEW_PROTOTYPE)) {
    const view = obj as unknown as Record<number, number | bigint>;
    const n = apply(typedArrayLength, view, []);
    walk.items += n;
    if (walk.items > MAX_PLAIN_ITEMS) throw tooLarge();
    let out = "[";
    for (let i = 0; i < n; i++) out += (i > 0 ? "," : "") + encodeNumber(toNumber(view[i]));
    return out + "]";
  }
  walk.ancestors[depth] = obj;
  try {
    const t = obj as TensorLike;
    if (isArray(t.shape) && typeof t.dtype === "string" && typeof t.arraySync === "function") {
      if (t.isDisposed) throw new Error("the result is a disposed tensor");
      return encodeInner(t.arraySync(), walk, depth + 1);
    }
    if (isArray(obj)) {
      const arr = obj as unknown[];
      const n = arr.length;
      let out = "[";
      for (let i = 0; i < n; i++) out += (i > 0 ? "," : "") + encodeInner(arr[i], walk, depth + 1);
      return out + "]";
    }
    if (inherits(obj, SET_PROTOTYPE)) {
      // toPlain walks Array.from(set): one more level, and one more item, for that array.
      walk.items++;
      if (depth + 1 > MAX_DEPTH) throw new Error("result nested too deeply to compare");
      const it = apply(setValues as () => Iterator<unknown>, obj, []);
      let out = "[";
      let first = true;
      for (;;) {
        const step = apply(setIteratorNext, it, []);
        if (step.done) break;
        out += (first ? "" : ",") + encodeInner(step.value, walk, depth + 2);
        first = false;
      }
      return out + "]";
    }
    if (inherits(obj, MAP_PROTOTYPE)) {
      const rec = bare<Record<string, string>>();
      const it = apply(mapEntries as () => Iterator<[unknown, unknown]>, obj, []);
      for (;;) {
        const step = apply(mapIteratorNext, it, []);
        if (step.done) break;
        const key = toText(step.value[0]);
        const encoded = encodeInner(step.value[1], walk, depth + 1);
        // An ordinary object (toPlain's) drops a "__proto__" key; so does this.
        if (key !== "__proto__") rec[key] = encoded;
      }
      return encodeRecord(rec);
    }
    if (inherits(obj, ERROR_PROTOTYPE)) {
      const e = obj as Error;
      return `{"error":${jsonStringify(`${e.name}: ${e.message}`)}}`;
    }
    const keys = objectKeys(obj);
    const rec = bare<Record<string, string>>();
    for (let i = 0; i < keys.length; i++) {
      const encoded = encodeInner((obj as Record<string, unknown>)[keys[i]], walk, depth + 1);
      if (keys[i] !== "__proto__") rec[keys[i]] = encoded;
    }
    return encodeRecord(rec);
  } finally {
    walk.ancestors[depth] = undefined as unknown as object;
  }
}

/** The JSON text of `encodePlain(toPlain(value))`. Throws when the value is too large or deep to compare. */
export function encodeResult(value: unknown): string {
  return encodeInner(value, { items: 0, ancestors: bare(), depth: 0 }, 0);
}

/** JSON.parse's reviver for encoded plain data: the non-finite tags become numbers again. */
function revive(this: unknown, _key: string, value: unknown): unknown {
  if (value !== null && typeof value === "object" && !isArray(value)) {
    const keys = objectKeys(value);
    if (keys.length === 1 && keys[0] === NONFINITE_KEY) {
      const tag = (value as Record<string, unknown>)[NONFINITE_KEY];
      if (tag === "NaN") return NaN;
      if (tag === "Infinity") return Infinity;
      if (tag === "-Infinity") return -Infinity;
      throw new Error(`bad non-finite tag ${toText(tag)}`);
    }
  }
  return value;
}

/**
 * The inputs of a probe from the JSON text the parent sent: `{ name: { as, value } }`.
 * JSON.parse builds its objects with CreateDataProperty (no setter on a prototype is reached),
 * and so does its reviver; typed arrays are filled by index.
 */
export function materializeInputs(text: string): Record<string, unknown> {
  const encoded = jsonParse(text, revive) as Record<string, { as: string; value: unknown }>;
  const out = bare<Record<string, unknown>>();
  const names = objectKeys(encoded);
  for (let i = 0; i < names.length; i++) {
    const input = encoded[names[i]];
    if (input.as === "float64array" || input.as === "float32array") {
      const flat = input.value as number[];
      const n = flat.length;
      const typed = input.as === "float64array" ? new Float64ArrayCtor(n) : new Float32ArrayCtor(n);
      for (let j = 0; j < n; j++) typed[j] = flat[j];
      out[names[i]] = typed;
    } else out[names[i]] = input.value;
  }
  return out;
}
