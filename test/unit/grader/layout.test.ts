/**
 * grader/ is laid out by pipeline stage (docs/ARCHITECTURE.md): release -> submit -> run -> judge
 * -> gradebook -> export, with core/ shared by all, cli/ on top and specs/ as data. These tests
 * parse every grader/ module's imports (TypeScript's own pre-processor: static imports,
 * `import type`, re-exports, require() and import()) and hold the rules:
 *   - a stage imports no later stage;
 *   - core/ and specs/ import only core/;
 *   - nothing but cli/ imports cli/;
 *   - the sandboxed child (run/child/) imports nothing from judge/ or gradebook/.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "../../..");
const GRADER = path.join(ROOT, "grader");

/** The stages in pipeline order; a stage may import itself, core/ and earlier stages. */
export const STAGES = ["release", "submit", "run", "judge", "gradebook", "export"] as const;
/** Every folder directly under grader/ that may hold modules. */
export const FOLDERS = ["core", ...STAGES, "cli", "specs"];

/** The folder a path under grader/ belongs to ("run/child" for the child), or "" for grader/ itself. */
export function folderOf(relPath: string): string {
  const parts = relPath.split("/");
  if (parts.length < 2) return "";
  return parts[0] === "run" && parts[1] === "child" && parts.length > 2 ? "run/child" : parts[0];
}

/** Why `from` (a path under grader/) may not import `to`, or undefined when it may. */
export function ruleBroken(from: string, to: string): string | undefined {
  const a = folderOf(from);
  const b = folderOf(to);
  if (a === "run/child" && (b === "judge" || b === "gradebook")) return "the sandboxed child imports nothing from judge/ or gradebook/";
  const stage = (f: string): string => (f === "run/child" ? "run" : f);
  if (stage(b) === "cli" && stage(a) !== "cli") return "only cli/ imports cli/";
  if ((a === "core" || a === "specs") && b !== "core") return `${a}/ imports only core/`;
  const i = STAGES.indexOf(stage(a) as (typeof STAGES)[number]);
  const j = STAGES.indexOf(stage(b) as (typeof STAGES)[number]);
  if (i >= 0 && j > i) return `${stage(a)} may not import ${stage(b)}, a later stage`;
  return undefined;
}

/** The module a relative specifier names, as a path under grader/ (undefined outside grader/ or not found). */
function resolveUnderGrader(fromAbs: string, spec: string, exists: (p: string) => boolean): string | undefined {
  const base = path.resolve(path.dirname(fromAbs), spec);
  for (const candidate of [base, `${base}.ts`, path.join(base, "index.ts"), base.replace(/\.js$/, ".ts")]) {
    if (exists(candidate)) {
      const rel = path.relative(GRADER, candidate).split(path.sep).join("/");
      return rel.startsWith("..") ? undefined : rel;
    }
  }
  return undefined;
}

/** Each broken rule in the given modules (paths under grader/), as "file imports spec (target): rule". */
export function layoutViolations(modules: Map<string, string>, exists: (abs: string) => boolean): string[] {
  const found: string[] = [];
  for (const [rel, text] of modules) {
    const abs = path.join(GRADER, rel);
    for (const ref of ts.preProcessFile(text, true, true).importedFiles) {
      if (!ref.fileName.startsWith(".")) continue;
      const target = resolveUnderGrader(abs, ref.fileName, exists);
      if (!target) continue;
      const why = ruleBroken(rel, target);
      if (why) found.push(`grader/${rel} imports "${ref.fileName}" (grader/${target}): ${why}`);
    }
  }
  return found;
}

function graderModules(): Map<string, string> {
  const modules = new Map<string, string>();
  for (const rel of fs.readdirSync(GRADER, { recursive: true }).map(String).sort()) {
    if (rel.endsWith(".ts") && !rel.endsWith(".d.ts")) modules.set(rel.split(path.sep).join("/"), fs.readFileSync(path.join(GRADER, rel), "utf8"));
  }
  return modules;
}

const isFile = (p: string): boolean => fs.existsSync(p) && fs.statSync(p).isFile();

describe("grader/ layout: one folder per stage, no stage imports a later one", () => {
  it("keeps every grader module in a stage folder, core/, cli/ or specs/", () => {
    const modules = [...graderModules().keys()];
    expect(modules.length).to.be.greaterThan(40);
    const astray = modules.filter((rel) => !FOLDERS.includes(folderOf(rel).split("/")[0]));
    expect(astray, `modules outside the stage folders (${FOLDERS.join(", ")})`).to.deep.equal([]);
  });

  it("finds no import that breaks the stage rules", () => {
    const modules = graderModules();
    // the parser sees the pipeline's real edges (a regression to zero edges would pass vacuously)
    const edges = [...modules].flatMap(([rel, text]) =>
      ts.preProcessFile(text, true, true).importedFiles.map((r) => resolveUnderGrader(path.join(GRADER, rel), r.fileName, isFile)).filter(Boolean).map((t) => `${rel} -> ${t}`));
    expect(edges).to.include.members(["judge/grade.ts -> run/run.ts", "gradebook/grade-folder.ts -> judge/grade-worker.ts", "cli/grade.ts -> gradebook/grade-folder.ts"]);
    expect(layoutViolations(modules, isFile)).to.deep.equal([]);
  });

  it("names the file, the import and the rule for each kind of break", () => {
    const fake = new Map([
      ["run/run.ts", 'import { judgeQuestion } from "../judge/judge";'],
      ["judge/judge.ts", 'import type { Command } from "../cli/main";'],
      ["run/child/runner.ts", 'const g = require("../../gradebook/gradebook");'],
      ["core/spec.ts", 'export { x } from "../submit/discover";'],
      ["export/csv.ts", 'const m = await import("../gradebook/gradebook");'],
    ]);
    const exists = (p: string): boolean => /\/grader\/(judge\/judge|cli\/main|gradebook\/gradebook|submit\/discover)\.ts$/.test(p);
    expect(layoutViolations(fake, exists)).to.deep.equal([
      'grader/run/run.ts imports "../judge/judge" (grader/judge/judge.ts): run may not import judge, a later stage',
      'grader/judge/judge.ts imports "../cli/main" (grader/cli/main.ts): only cli/ imports cli/',
      'grader/run/child/runner.ts imports "../../gradebook/gradebook" (grader/gradebook/gradebook.ts): the sandboxed child imports nothing from judge/ or gradebook/',
      'grader/core/spec.ts imports "../submit/discover" (grader/submit/discover.ts): core/ imports only core/',
    ]);
  });

  it("opens docs/ARCHITECTURE.md with the flow and a row for every folder", () => {
    const doc = fs.readFileSync(path.join(ROOT, "docs", "ARCHITECTURE.md"), "utf8");
    const head = doc.slice(0, doc.indexOf("\n## ", doc.indexOf("\n## ") + 1));
    expect(head).to.include(STAGES.join(" -> "));
    for (const f of FOLDERS) expect(head, f).to.match(new RegExp(`^\\| \`grader/${f}/\``, "m"));
  });
});
