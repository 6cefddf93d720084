/**
 * Finds the assignment's spec modules (grader/specs/NN_topic.ts, each exporting `spec`).
 */
import * as fs from "fs";
import * as path from "path";
import { validateSpec } from "./expected";
import type { NotebookSpec } from "../core/spec";

/** Loads every grader/specs/*.ts (or the given folder), checks them and that question ids are unique across the assignment. */
export function loadSpecs(dir: string = path.join(__dirname, "../specs")): NotebookSpec[] {
  if (!fs.existsSync(dir)) return [];
  const files = fs
    .readdirSync(dir)
    .filter((f) => /^\d.*\.(ts|js)$/.test(f) && !f.endsWith(".d.ts"))
    .sort();
  const specs: NotebookSpec[] = [];
  const owner = new Map<string, string>();
  for (const f of files) {
    const mod = require(path.join(dir, f)) as { spec?: NotebookSpec };
    if (!mod.spec) throw new Error(`${path.join(dir, f)} does not export "spec"`);
    validateSpec(mod.spec);
    for (const q of mod.spec.questions) {
      const other = owner.get(q.id);
      if (other) throw new Error(`question id ${q.id} is used by both ${other} and ${f}: ids must be unique across the assignment`);
      owner.set(q.id, f);
    }
    specs.push(mod.spec);
  }
  return specs;
}

/** The spec whose notebook has the same file name as `notebookPath`, if any. */
export function specForNotebook(specs: NotebookSpec[], notebookPath: string): NotebookSpec | undefined {
  const base = path.basename(notebookPath);
  return specs.find((s) => s.notebook === base);
}
