/**
 * What `import ... from "nnkit"` offers: every name a shipped notebook uses, and none of the helpers
 * the grader and the charts use inside (Tab after `nnkit.` lists the index's exports).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as nnkit from "../../../src";

const ROOT = path.resolve(__dirname, "../../..");

/** The names each shipped notebook takes from nnkit (`import { a, b as c } from "nnkit"` and `nnkit.x`). */
function namesUsedByNotebooks(): Map<string, string> {
  const used = new Map<string, string>();
  const dir = path.join(ROOT, "notebooks");
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".ipynb"))) {
    const nb = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as { cells: { source: string | string[] }[] };
    for (const cell of nb.cells) {
      const src = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
      for (const m of src.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*"nnkit"/g)) {
        for (const part of m[1].split(",")) {
          const name = part.replace(/^\s*type\s+/, "").split(/\s+as\s+/)[0].trim();
          if (name) used.set(name, file);
        }
      }
      for (const m of src.matchAll(/\bnnkit\.(\w+)/g)) used.set(m[1], file);
    }
  }
  return used;
}

/** The type-only names of src/index.ts (`export type { ... }`): they do not exist at run time. */
function typeExports(): Set<string> {
  const text = fs.readFileSync(path.join(ROOT, "src", "index.ts"), "utf8");
  const names = new Set<string>();
  for (const m of text.matchAll(/export type \{([^}]*)\}/g)) for (const n of m[1].split(",")) if (n.trim()) names.add(n.trim());
  return names;
}

describe("nnkit's index (what a notebook imports)", () => {
  it("exports every name the shipped notebooks import", () => {
    const used = namesUsedByNotebooks();
    expect(used.size).to.be.greaterThan(15);
    const runtime = new Set(Object.keys(nnkit));
    const types = typeExports();
    const missing = [...used].filter(([name]) => !runtime.has(name) && !types.has(name)).map(([name, file]) => `${name} (${file})`);
    expect(missing).to.deep.equal([]);
  });

  it("keeps the grader's and the charts' own helpers out of Tab's list", () => {
    const internal = [
      "encodePlain", "decodePlain", "toPlain", "describePlain", "compareValues", "displayValue", "materializeInput", "decodeOutcome",
      "evaluateProbe", "readChecks", "findChecksDir", "recordedDisplays", "clearRecordedDisplays", "figureBundle", "figureJson",
      "baseLayout", "finishChart", "classTraces", "pointsAndLabels", "sampleGrid", "toGrid", "progressLine", "progressHtml",
      "etaSeconds", "formatDuration", "requestedBackend", "requestedThreads", "threadsProblem", "describeBackend", "parallelPlan",
      "parallelFit", "rngFor", "readIdx", "writeIdx",
    ];
    expect(Object.keys(nnkit).filter((k) => internal.includes(k))).to.deep.equal([]);
    // A short list a student can read through: say so in README when it grows.
    expect(Object.keys(nnkit).length).to.be.at.most(40);
  });
});
