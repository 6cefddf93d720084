/**
 * The grader's comparator. It is loaded in the trusted parent process only, so nothing a
 * submission does in its child process (patching Math, prototypes, JSON) can reach it.
 * The rules are shared with the notebook's `check()` (src/check.ts). Besides comparing a value
 * with the master's, the raw-value rules (gradcheck, agree, atLeast, resultOrThrows) judge what a
 * probe returned in parts, so that no probe ever decides its own verdict in the child.
 */
export { compareValues, displayValue } from "../../src/check";
export type { CompareRule, Verdict, Tolerance } from "../../src/check";
