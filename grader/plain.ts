/**
 * Plain data in the grader: the encoding that lets NaN and Infinity cross JSON, shapes, and
 * the conversion of probe results. The rules live in src/check.ts so that the notebook's
 * `check()` and the grader can never disagree; this module is the grader's entry to them.
 */
export { toPlain, encodePlain, decodePlain, shapeOf, describePlain, decodeOutcome } from "../src/check";
export type { PlainValue, ProbeOutcome, EncodedInput, InputForm } from "../src/check";
import { encodePlain, type ProbeOutcome } from "../src/check";

/** The stored (JSON-safe) form of a probe outcome. */
export function encodeOutcome(outcome: ProbeOutcome): unknown {
  return outcome.ok ? { ok: true, value: encodePlain(outcome.value) } : { ok: false, error: outcome.error };
}
