/**
 * Root hook: builds checks/ (the public checks the notebooks' check() calls read) before any
 * test runs, for the notebook tests. Masters that fail are reported by test/notebooks/masters.test.ts.
 */
import { ensureChecks } from "../../grader/build-checks";

before(async function () {
  this.timeout(20 * 60 * 1000);
  await ensureChecks((line) => {
    if (line.startsWith("no checks")) console.warn(`  [checks] ${line}`);
  });
});
