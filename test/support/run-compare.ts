/**
 * A sandboxed run's result as plain data, for comparing two ways of running the same notebook
 * (test/grader/child-per-submission.test.ts, test/system/child-per-submission.test.ts).
 */
import type { RunResult } from "../../grader/run/run";

/** What a run says, as plain data: every probe's outcome, the names' types, each cell's status and output. */
export function plainRun(r: RunResult): unknown {
  return {
    status: r.status,
    reason: r.reason,
    types: r.types,
    outcomes: Object.fromEntries([...r.outcomes].map(([q, m]) => [q, Object.fromEntries(m)])),
    questionFailures: Object.fromEntries(r.questionFailures),
    cells: r.cells.map((c) => ({
      id: c.id,
      ok: c.ok,
      error: c.error,
      // What a cell prints may depend on the process before it: setupBackend prints its line once
      // per process, and tfjs numbers the layers it names (dense_Dense1, ...) across notebooks;
      // nothing a probe returns depends on them (the outcomes are compared as they are).
      // The durations a notebook prints vary.
      stdout: c.stdout
        .replace(/^tfjs backend: .*\n/m, "")
        .replace(/_([A-Z][A-Za-z0-9]*?)\d+\b/g, "_$1<n>")
        .replace(/\d+(\.\d+)? ?(ms|s)\b/g, "<time> $2")
        // a model summary pads its columns to the names' lengths
        .replace(/ +/g, " "),
    })),
  };
}
