/**
 * Mocha's configuration, with the test tiers. A test file's tier is where it lives:
 *
 *   test/unit/**    unit: no kernel, no child process, no sandbox; runs first, alone with `npm run test:unit`
 *   test/<other>/   integration: the grader's sandboxed runner, the CLI, the tslab kernel, setup.sh.
 *                   A new folder or file lands here without being listed anywhere.
 *   test/system/**  system: the kit driven as its users drive it, at full length, on the shipped course
 *                   (a student kit set up in a fresh folder, a whole term, Gradescope offline, a copied
 *                   kit, every export searched for hidden values, 30 submissions and a kill -9, a heap
 *                   snapshot hunt). No browser; minutes each. `npm run test:system`; CI runs it.
 *   test/e2e/**     e2e: needs chromium, or trains notebook 05 on its default setting (CI runs it: `npm run test:e2e`)
 *
 * `npx mocha FILE...` runs only the files given (no tier is added to them).
 * `NNKIT_TEST_TIER=unit|integration|system|e2e|default mocha` picks a tier; default (what `npm test` runs) is
 * unit then integration, so each master notebook runs once (test/support/masters.ts).
 *
 * A tier runs its files in 2 worker processes (mocha --parallel): while one test waits on a kernel
 * or a grader child, the other worker's test uses the second core. `NNKIT_TEST_JOBS=N` sets the
 * number of workers, and `NNKIT_TEST_JOBS=1` runs every file in mocha's own process, one after
 * another; files named on the command line run that way unless NNKIT_TEST_JOBS says otherwise.
 * The masters' shared runs live in this run's folder (NNKIT_TEST_RUN_DIR,
 * test/support/shared-once.ts), and the worker that asks first computes each; the others wait for
 * its result.
 */
"use strict";
const fs = require("fs");
const path = require("path");

const TEST_DIR = path.join(__dirname, "test");
/** Folders directly under test/ that are not tiers of their own. */
const NOT_TESTS = new Set(["fixtures", "support"]);
/** Folders directly under test/ that are tiers of their own, outside the integration tier. */
const OWN_TIERS = new Set(["unit", "system", "e2e"]);

/** The *.test.ts files under `dir`, sorted, as paths relative to the kit root. */
function testFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: false })
    .map(String)
    .filter((f) => f.endsWith(".test.ts") && !f.split(path.sep).includes("fixtures"))
    .sort()
    .map((f) => path.relative(__dirname, path.join(dir, f)));
}

/**
 * Integration files that take the longest, started first (in this order) so that the two workers
 * do not end with one long file running alone. masters.test.ts leads: it asks for every master's
 * shared kernel run and grading (test/support/masters.ts) one after another, so the files after
 * it find them done instead of waiting; the next ones share none of them. Seconds are from a
 * quiet `NNKIT_TEST_TIMES=times.json npm test` (tests and hooks of the file). A file listed here
 * that does not exist stops the run, so the list cannot go stale unnoticed.
 */
const LONG_FIRST = [
  "test/notebooks/masters.test.ts", // ~80 s: every master through the kernel, released and graded
  "test/notebooks/05_visuals.test.ts", // ~55 s: notebook 05 through the kernel on a tiny budget
  "test/grader/hostile.test.ts", // ~45 s
  "test/cli/lateness.test.ts", // ~40 s: eight grade runs
  "test/grader/isolation-cli.test.ts", // ~40 s
  "test/cli/lock.test.ts", // ~35 s
  "test/grader/cell-matching.test.ts", // ~30 s
  "test/cli/release-shipped.test.ts", // ~30 s
];

function integrationFiles() {
  const folders = fs
    .readdirSync(TEST_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !NOT_TESTS.has(d.name) && !OWN_TIERS.has(d.name))
    .map((d) => d.name)
    .sort();
  const topLevel = fs
    .readdirSync(TEST_DIR)
    .filter((f) => f.endsWith(".test.ts"))
    .sort()
    .map((f) => path.join("test", f));
  const all = [...topLevel, ...folders.flatMap((d) => testFiles(path.join(TEST_DIR, d)))];
  for (const f of LONG_FIRST) {
    if (!all.includes(f)) throw new Error(`.mocharc.js: ${f} is listed in LONG_FIRST but is not an integration test file`);
  }
  return [...LONG_FIRST, ...all.filter((f) => !LONG_FIRST.includes(f))];
}

const TIERS = {
  unit: () => testFiles(path.join(TEST_DIR, "unit")),
  integration: integrationFiles,
  system: () => testFiles(path.join(TEST_DIR, "system")),
  e2e: () => testFiles(path.join(TEST_DIR, "e2e")),
  default: () => [...TIERS.unit(), ...TIERS.integration()],
};

/**
 * Per-test time limit. Unit tests are quick; the other tiers wait for kernels and sandboxed children
 * on a machine that may be loaded, where a tripped timeout says nothing about the code.
 */
const TIMEOUTS = { unit: 60_000, integration: 600_000, system: 1_200_000, e2e: 1_200_000, default: 600_000, files: 600_000 };

/** The file or folder arguments on mocha's command line (its options and their values left out). */
function positionalArgs(argv) {
  const { types, aliases } = require("mocha/lib/cli/run-option-metadata");
  const takesValue = new Set();
  for (const name of [...types.array, ...types.string, ...types.number]) {
    takesValue.add(name);
    for (const a of aliases[name] ?? []) takesValue.add(a);
  }
  const out = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      out.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("-")) {
      if (!a.includes("=") && takesValue.has(a.replace(/^--?/, ""))) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

const files = positionalArgs(process.argv.slice(2));
const tier = process.env.NNKIT_TEST_TIER || "default";
if (files.length === 0 && !TIERS[tier]) {
  throw new Error(`NNKIT_TEST_TIER=${tier} is not a tier; use one of ${Object.keys(TIERS).join(", ")}`);
}

/**
 * One scratch folder for the whole run, shared by mocha's worker processes (they inherit the
 * environment) and removed when the main process exits. A mocha that re-executes itself (node
 * flags) passes the folder on to its child, which leaves its removal to the parent.
 */
const RUN_DIR_ENV = "NNKIT_TEST_RUN_DIR";
if (!process.env[RUN_DIR_ENV] || !fs.existsSync(process.env[RUN_DIR_ENV])) {
  const dir = fs.mkdtempSync(path.join(require("os").tmpdir(), "nnkit-test-run-"));
  process.env[RUN_DIR_ENV] = dir;
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
}

/**
 * Gradings inside the test processes type-check as the `grade` command's workers do: in the
 * grader's warm checker thread (grader/run/typecheck.ts), once it has started, rather than in each
 * sandboxed child. The grades are the same either way (test/grader/warm-typecheck.test.ts compares
 * them, and passes warmTypecheck: false for its cold side, as test/support/masters.ts does); a child
 * that type-checks a notebook's solution cells itself spends about 3 s of CPU on 01 alone.
 * NNKIT_WARM_TYPECHECK=0 gives every in-process grading the child's own check.
 */
process.env.NNKIT_WARM_TYPECHECK ??= "1";

/** Worker processes for the run (NNKIT_TEST_JOBS; 2 for a tier, 1 for named files); 1 runs every file in this process. */
const jobs = Number(process.env.NNKIT_TEST_JOBS || (files.length > 0 ? "1" : "2"));
if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`NNKIT_TEST_JOBS=${process.env.NNKIT_TEST_JOBS} is not a whole number of jobs`);

module.exports = {
  ...(jobs > 1 ? { parallel: true, jobs } : {}),
  require: ["tsx/cjs"],
  extension: ["ts"],
  // With files on the command line, only those run; a folder named there runs every test file
  // below it (mocha alone would take only the files directly in it).
  spec: files.length > 0 ? [] : TIERS[tier](),
  ...(files.length > 0 ? { recursive: true } : {}),
  timeout: files.length > 0 ? TIMEOUTS.files : TIMEOUTS[tier],
  // The spec output, then the ten slowest tests and hooks.
  reporter: path.join(__dirname, "test", "support", "slowest-reporter.ts"),
};
