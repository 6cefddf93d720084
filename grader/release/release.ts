/**
 * Builds the student kit: student notebooks (solutions stripped by the grader core's release
 * transform), the helper library's sources, the public checks, the part of grader/ that
 * `check` and `submit` need (found by following imports, never a spec module or a master),
 * and the kit's own README, setup.sh, start script and package.json/lock (grader/release/release-kit.ts).
 * Before it finishes, it scans the kit for solution lines and hidden probes
 * (grader/release/release-leaks.ts) and fails the release naming each leak's file and line.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { kitNames, kitPackageJson, kitReadme, kitSetupScript, kitStartScript, pruneLock } from "./release-kit";
import { collectSecrets, describeLeak, MIN_SOLUTION_LINE, scanKit } from "./release-leaks";
import type { NotebookSpec } from "../core/spec";

export interface ReleaseOptions {
  /** Kit root with notebooks/, src/, grader/, checks/ (default: this kit). */
  root: string;
  out: string;
  specs: NotebookSpec[];
  /** Master notebooks (default: <root>/notebooks). */
  mastersDir?: string;
  /** Public checks (default: <root>/checks). */
  checksDir?: string;
  /** Also pack the kit as <out>.tar.gz. */
  tarball?: boolean;
  /** Notebook transform (the grader core's toStudentNotebook); injectable for tests. */
  toStudent?: (master: unknown) => unknown;
}

export interface ReleaseResult {
  out: string;
  files: string[];
  tarball?: string;
}

/** Files at the kit root that the student kit ships when they exist. */
const ROOT_FILES = ["package.json", "package-lock.json", "tsconfig.json", "README.md", "setup.sh", "course.json", ".gitignore"];
/** grader/ modules the student commands start from; the rest is what they import. */
export const STUDENT_ENTRY_POINTS = ["grader/cli/main.ts", "grader/cli/check.ts", "grader/cli/submit.ts"];

const IMPORT_RE = /(?:from\s+|require\(\s*|import\(\s*|import\s+)["'](\.{1,2}\/[^"']+)["']/g;

/** Resolves a relative import to a .ts file (or folder index) inside the kit, or null. */
function resolveImport(fromFile: string, spec: string): string | null {
  const base = path.resolve(path.dirname(fromFile), spec);
  for (const candidate of [base, `${base}.ts`, path.join(base, "index.ts"), base.replace(/\.js$/, ".ts")]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return null;
}

/** Kit files a module names in a string literal instead of importing (e.g. the sandbox bundle's sources). */
const LITERAL_PATH_RE = /["'`]((?:grader|src)\/[\w./-]+\.ts)["'`]/g;

/** Every grader/ file reachable by relative imports (or named as "grader/x.ts") from the entry points. */
export function importClosure(root: string, entries: string[]): string[] {
  const seen = new Set<string>();
  const stack = entries.map((e) => path.join(root, e)).filter((f) => fs.existsSync(f));
  while (stack.length) {
    const file = stack.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!file.endsWith(".ts")) continue;
    const text = fs.readFileSync(file, "utf8");
    for (const m of text.matchAll(IMPORT_RE)) {
      const target = resolveImport(file, m[1]);
      if (target && target.startsWith(path.join(root, "grader") + path.sep)) stack.push(target);
    }
    for (const m of text.matchAll(LITERAL_PATH_RE)) {
      const target = path.join(root, m[1]);
      if (m[1].startsWith("grader/") && fs.existsSync(target)) stack.push(target);
    }
  }
  return [...seen].map((f) => path.relative(root, f)).sort();
}

function copyTree(src: string, dst: string, skip: (rel: string) => boolean, rel = ""): string[] {
  const copied: string[] = [];
  for (const e of fs.readdirSync(path.join(src, rel), { withFileTypes: true })) {
    const r = path.join(rel, e.name);
    if (skip(r)) continue;
    if (e.isDirectory()) copied.push(...copyTree(src, dst, skip, r));
    else if (e.isFile()) {
      fs.mkdirSync(path.dirname(path.join(dst, r)), { recursive: true });
      fs.copyFileSync(path.join(src, r), path.join(dst, r));
      copied.push(r);
    }
  }
  return copied;
}

interface NotebookCell {
  cell_type: string;
  source: string | string[];
}

const cellText = (c: NotebookCell): string => (Array.isArray(c.source) ? c.source.join("") : c.source);

/**
 * The distinctive lines inside the solution regions of one master (a conservative list for
 * tests that grep a kit; the release itself uses release-leaks.ts, which also excuses lines
 * other masters and src/ show).
 */
export function solutionLines(master: { cells: NotebookCell[] }): string[] {
  const inside: string[] = [];
  const outside = new Set<string>();
  for (const c of master.cells) {
    let open = false;
    for (const raw of cellText(c).split("\n")) {
      const line = raw.trim();
      if (/^\/\/\s*BEGIN SOLUTION/.test(line)) open = true;
      else if (/^\/\/\s*END SOLUTION/.test(line)) open = false;
      else if (open) inside.push(line);
      else outside.add(line);
    }
  }
  // a line the master also shows outside a solution (e.g. in a demo) is not a secret
  return [...new Set(inside)].filter((l) => l.replace(/\s/g, "").length >= MIN_SOLUTION_LINE && !outside.has(l) && !l.startsWith("//"));
}

/** The texts of hidden probes (expressions, labels, literal inputs) that must never leak. */
export function hiddenTexts(specs: NotebookSpec[]): string[] {
  const out: string[] = [];
  for (const s of specs) {
    for (const q of s.questions) {
      for (const p of q.probes) {
        if (!p.hidden) continue;
        // a hidden probe may share its expression with a public one; only its own values are secret
        const publicExprs = new Set(q.probes.filter((x) => !x.hidden).map((x) => x.expr));
        if (!publicExprs.has(p.expr)) out.push(p.expr);
        for (const g of Object.values(p.inputs ?? {})) {
          if (g.kind === "value") {
            const v = JSON.stringify(g.value);
            if (v.length >= 8) out.push(v);
          }
        }
      }
    }
  }
  return [...new Set(out)];
}

/** Every text file of the kit that contains one of the needles: [file, needle] pairs. */
export function findLeaks(dir: string, needles: string[]): [string, string][] {
  const leaks: [string, string][] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) {
        if (e.name !== "node_modules") walk(r);
        continue;
      }
      if (!/\.(ts|js|json|ipynb|md|sh|txt|html|py)$/.test(e.name) || e.name === "package-lock.json") continue;
      const text = fs.readFileSync(path.join(dir, r), "utf8");
      // notebooks store source lines as JSON strings: search the decoded sources too
      const decoded = e.name.endsWith(".ipynb") ? (JSON.parse(text) as { cells: NotebookCell[] }).cells.map(cellText).join("\n") : text;
      for (const n of needles) if (decoded.includes(n) || text.includes(n)) leaks.push([r, n]);
    }
  };
  walk("");
  return leaks;
}

function defaultToStudent(): (master: unknown) => unknown {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const t = require("./release-transform") as { toStudentNotebook: (m: unknown) => unknown };
  return t.toStudentNotebook;
}

/** Builds the student kit into `opts.out` and checks it for leaks; throws naming any leak. */
export function buildRelease(opts: ReleaseOptions): ReleaseResult {
  const root = path.resolve(opts.root);
  const out = path.resolve(opts.out);
  const masters = opts.mastersDir ?? path.join(root, "notebooks");
  const checks = opts.checksDir ?? path.join(root, "checks");
  if (out === root || root.startsWith(out + path.sep)) throw new Error(`refusing to release into ${out}: it contains the kit`);
  if (!fs.existsSync(checks) || fs.readdirSync(checks).filter((f) => f.endsWith(".json")).length === 0) {
    throw new Error(`no public checks in ${checks}: build them first (node -r tsx/cjs grader/judge/build-checks.ts, run by setup.sh)`);
  }
  const toStudent = opts.toStudent ?? defaultToStudent();
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(path.join(out, "notebooks"), { recursive: true });
  const files: string[] = [];
  const masterNotebooks: { cells: NotebookCell[] }[] = [];
  const names = kitNames(root);

  for (const spec of opts.specs) {
    const src = path.join(masters, spec.notebook);
    if (!fs.existsSync(src)) throw new Error(`master notebook not found: ${src}`);
    const master = JSON.parse(fs.readFileSync(src, "utf8")) as { cells: NotebookCell[] };
    masterNotebooks.push(master);
    const student = toStudent(master) as { metadata?: Record<string, unknown> };
    // the kit's notebooks open with the kit's own kernel (setup.sh registers it)
    student.metadata = { ...(student.metadata ?? {}), kernelspec: { name: names.kernel, display_name: names.display, language: "typescript" } };
    fs.writeFileSync(path.join(out, "notebooks", spec.notebook), JSON.stringify(student, null, 1) + "\n");
    files.push(path.join("notebooks", spec.notebook));
  }
  const srcSkip = (r: string): boolean => r === "dist" || r === "node_modules" || r.endsWith(".tsbuildinfo");
  files.push(...copyTree(path.join(root, "src"), path.join(out, "src"), srcSkip).map((f) => path.join("src", f)));
  files.push(...copyTree(checks, path.join(out, "checks"), (r) => !r.endsWith(".json")).map((f) => path.join("checks", f)));
  for (const rel of importClosure(root, STUDENT_ENTRY_POINTS)) {
    if (rel.startsWith(path.join("grader", "specs"))) throw new Error(`a student command imports a spec module (${rel}): it would ship hidden probes`);
    fs.mkdirSync(path.dirname(path.join(out, rel)), { recursive: true });
    fs.copyFileSync(path.join(root, rel), path.join(out, rel));
    files.push(rel);
  }
  for (const f of ROOT_FILES) {
    if (!fs.existsSync(path.join(root, f))) continue;
    fs.copyFileSync(path.join(root, f), path.join(out, f));
    files.push(f);
  }
  if (fs.existsSync(path.join(root, "scripts"))) {
    files.push(...copyTree(path.join(root, "scripts"), path.join(out, "scripts"), () => false).map((f) => path.join("scripts", f)));
  }
  // the kit's own files: for students, nothing of releasing, grading or exporting
  fs.writeFileSync(path.join(out, "README.md"), kitReadme(names));
  if (!files.includes("README.md")) files.push("README.md");
  const rootPkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as Parameters<typeof kitPackageJson>[0];
  const pkg = kitPackageJson(rootPkg, names, files.map((f) => path.join(out, f)));
  fs.writeFileSync(path.join(out, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
  if (fs.existsSync(path.join(root, "package-lock.json"))) {
    const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8")) as Parameters<typeof pruneLock>[0];
    fs.writeFileSync(path.join(out, "package-lock.json"), JSON.stringify(pruneLock(lock, pkg), null, 2) + "\n");
  }
  if (fs.existsSync(path.join(root, "setup.sh"))) {
    fs.writeFileSync(path.join(out, "setup.sh"), kitSetupScript(fs.readFileSync(path.join(root, "setup.sh"), "utf8"), names), { mode: 0o755 });
    fs.chmodSync(path.join(out, "setup.sh"), 0o755);
  }
  fs.mkdirSync(path.join(out, "scripts"), { recursive: true });
  fs.writeFileSync(path.join(out, "scripts", "start.sh"), kitStartScript(root));
  fs.chmodSync(path.join(out, "scripts", "start.sh"), 0o755);
  if (!files.includes(path.join("scripts", "start.sh"))) files.push(path.join("scripts", "start.sh"));

  // a line the masters show outside their solutions, or src/ holds, is given code, not a secret
  const leaks = scanKit(out, collectSecrets(masterNotebooks, opts.specs, path.join(root, "src")));
  if (leaks.length) {
    throw new Error(
      `the kit leaks ${leaks.length} solution line(s) or hidden probe(s), e.g. ${describeLeak(leaks[0])}\n` +
        leaks.map((l) => `  ${describeLeak(l)}`).join("\n"),
    );
  }
  let tarball: string | undefined;
  if (opts.tarball) {
    tarball = `${out}.tar.gz`;
    execFileSync("tar", ["-czf", tarball, "-C", path.dirname(out), path.basename(out)]);
  }
  return { out, files: files.sort(), tarball };
}
