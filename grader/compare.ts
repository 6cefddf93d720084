/**
 * The grader's comparator. It is loaded in the trusted parent process only, so nothing a
 * submission does in its child process (patching Math, prototypes, JSON) can reach it.
 * The rules are shared with the notebook's `check()` (src/check.ts).
 */
export { compareValues, displayValue } from "../src/check";
export type { CompareRule, Verdict, Tolerance } from "../src/check";
