/**
 * Plain data in the grader: the encoding that lets NaN and Infinity cross JSON, shapes, and
 * the conversion of probe results. The rules live in src/check.ts so that the notebook's
 * `check()` and the grader can never disagree; this module is the grader's entry to them.
 */
export { toPlain, encodePlain, decodePlain, shapeOf, describePlain, decodeOutcome } from "../../src/check";
export type { PlainValue, ProbeOutcome, EncodedInput, InputForm } from "../../src/check";
import { decodeOutcome, encodePlain, type ProbeOutcome } from "../../src/check";

/** The stored (JSON-safe) form of a probe outcome. */
export function encodeOutcome(outcome: ProbeOutcome): unknown {
  return outcome.ok ? { ok: true, value: encodePlain(outcome.value) } : { ok: false, error: outcome.error };
}

/**
 * A probe outcome as the sandboxed child replied it (untrusted JSON): decodeOutcome, after a
 * check that no object in it has an own "__proto__" key. The child's encoder never writes one;
 * decoding one would set the prototype of a decoded object, whose inherited values a comparison
 * might then read as the student's.
 */
export function decodeReplyOutcome(raw: unknown): ProbeOutcome {
  const check = (v: unknown, depth: number): void => {
    if (depth > 200) throw new Error("plain data nested too deeply");
    if (Array.isArray(v)) for (const x of v) check(x, depth + 1);
    else if (v !== null && typeof v === "object") {
      if (Object.hasOwn(v, "__proto__")) throw new Error("a __proto__ key in a result");
      for (const k of Object.keys(v)) check((v as Record<string, unknown>)[k], depth + 1);
    }
  };
  check(raw, 0);
  return decodeOutcome(raw);
}
