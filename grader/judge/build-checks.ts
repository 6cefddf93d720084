/**
 * Builds the public checks: runs every master that has a spec (through the grader's runner,
 * cached) and writes checks/<notebook-stem>.json with the public probes and their expected
 * values only. Run by setup.sh and before the notebook tests:
 *
 *   node -r tsx/cjs grader/judge/build-checks.ts [--out DIR]
 */
import * as fs from "fs";
import * as path from "path";
import { checksFromReference } from "./expected";
import { referenceFor } from "./grade";
import { KIT_ROOT } from "../core/version";
import { loadSpecs } from "./spec-loader";
import type { NotebookSpec } from "../core/spec";

export interface BuildChecksOptions {
  root?: string;
  /** Where to write (default <root>/checks). */
  outDir?: string;
  /** The specs (default: loadSpecs()). */
  specs?: NotebookSpec[];
  /** Folder of the masters (default <root>/notebooks). */
  mastersDir?: string;
  log?: (line: string) => void;
  /** Go on with the other notebooks when a master fails (its error is logged); default false. */
  keepGoing?: boolean;
}

/** Writes one checks file per spec whose master exists; returns the files written. Throws when a master does not run cleanly. */
export async function buildChecks(opts: BuildChecksOptions = {}): Promise<string[]> {
  const root = opts.root ?? KIT_ROOT;
  const outDir = opts.outDir ?? path.join(root, "checks");
  const mastersDir = opts.mastersDir ?? path.join(root, "notebooks");
  const specs = opts.specs ?? loadSpecs();
  fs.mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const spec of specs) {
    const masterPath = path.join(mastersDir, spec.notebook);
    if (!fs.existsSync(masterPath)) {
      opts.log?.(`skip ${spec.notebook}: no master at ${masterPath}`);
      continue;
    }
    const started = Date.now();
    let ref;
    try {
      ref = await referenceFor(spec, { root, masterPath });
    } catch (err) {
      if (!opts.keepGoing) throw err;
      opts.log?.(`no checks for ${spec.notebook}: ${(err as Error).message}`);
      continue;
    }
    const file = path.join(outDir, `${path.basename(spec.notebook, ".ipynb")}.json`);
    const text = JSON.stringify(checksFromReference(ref, spec), null, 1) + "\n";
    if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== text) fs.writeFileSync(file, text);
    written.push(file);
    opts.log?.(`checks/${path.basename(file)}: ${ref.questions.length} questions (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  return written;
}

let ensured: Promise<string[]> | undefined;

/**
 * Builds checks/ once per process (quick when the masters are unchanged: their results are
 * cached). A master that fails is logged and left out, so one broken notebook does not stop
 * the others' tests.
 */
export function ensureChecks(log: (line: string) => void = () => undefined): Promise<string[]> {
  ensured = ensured ?? buildChecks({ keepGoing: true, log });
  return ensured;
}

if (require.main === module) {
  const outIdx = process.argv.indexOf("--out");
  buildChecks({ outDir: outIdx > 0 ? path.resolve(process.argv[outIdx + 1]) : undefined, log: (l) => console.log(l) }).then(
    (files) => console.log(`${files.length} checks file(s) written`),
    (err: Error) => {
      console.error(`build-checks: ${err.message}`);
      process.exitCode = 1;
    },
  );
}
