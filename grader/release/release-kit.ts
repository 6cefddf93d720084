/**
 * The student kit's own files, written by release: README (set up, start, check, submit),
 * package.json (what a student needs: no instructor scripts, no devDependencies) with its
 * lockfile pruned to match, setup.sh (the kit's kernel, named for the kit) and the start
 * script. Templates live in grader/release/kit/.
 */
import * as fs from "fs";
import * as path from "path";

const TEMPLATES = path.join(__dirname, "kit");

/** The names a kit is known by: its assignment, its kernel and the kernel's display name. */
export interface KitNames {
  assignment: string;
  kernel: string;
  display: string;
  title: string;
}

/** The kit's names from course.json's assignment (letters, digits, '-', '_', '.'; others become '-'). */
export function kitNames(root: string): KitNames {
  let assignment = "course";
  const course = path.join(root, "course.json");
  if (fs.existsSync(course)) {
    const a = (JSON.parse(fs.readFileSync(course, "utf8")) as { assignment?: unknown }).assignment;
    if (typeof a === "string" && a.trim()) assignment = a.trim();
  }
  const slug = assignment.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "") || "course";
  return { assignment, kernel: `tslab-${slug}`, display: `TypeScript (${assignment})`, title: `${assignment}: student kit` };
}

function fill(template: string, names: KitNames): string {
  return template
    .replace(/\{\{KERNEL\}\}/g, names.kernel)
    .replace(/\{\{DISPLAY\}\}/g, names.display)
    .replace(/\{\{ASSIGNMENT\}\}/g, names.assignment)
    .replace(/\{\{TITLE\}\}/g, names.title);
}

/** The student README. */
export function kitReadme(names: KitNames): string {
  return fill(fs.readFileSync(path.join(TEMPLATES, "README.md"), "utf8"), names);
}

/**
 * The start script (scripts/start.sh in the kit): the instructor's own, which starts the kernel
 * that setup.sh recorded in .nnkit/kernel (a kit's setup.sh records the kit's kernel name).
 */
export function kitStartScript(courseRoot: string): string {
  return fs.readFileSync(path.join(courseRoot, "scripts", "start.sh"), "utf8");
}

/** Bare package names a source imports or requires. */
function importedPackages(text: string): Set<string> {
  const out = new Set<string>();
  const re = /(?:from\s+|require\(\s*|import\(\s*|import\s+)["']([^"'./][^"']*)["']/g;
  for (const m of text.matchAll(re)) {
    const parts = m[1].split("/");
    out.add(m[1].startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]);
  }
  // scripts that read a package's files (e.g. plotly's bundle) name it by its folder
  for (const m of text.matchAll(/node_modules\/((?:@[\w.-]+\/)?[\w.-]+)/g)) out.add(m[1]);
  return out;
}

/** What package.json and a lockfile's entry both say about a package (the rest is kept as it is). */
interface PackageFields {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  [key: string]: unknown;
}

interface PackageJson extends PackageFields {
  name?: string;
  description?: string;
  license?: string;
  engines?: Record<string, string>;
  scripts?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** Scripts a student runs (build/prepare compile the nnkit library on install). */
const STUDENT_SCRIPTS = ["build", "prepare", "start", "check", "submit"];
/** Packages the kit's scripts run without importing them. */
const TOOLS = ["tslab", "tsx", "typescript"];

/**
 * The kit's package.json, field by field: the kit's name, the student scripts, and the
 * dependencies that the kit's own files import (plus the tools its scripts run).
 */
export function kitPackageJson(rootPkg: PackageJson, names: KitNames, kitFiles: string[]): PackageJson {
  const used = new Set<string>(TOOLS);
  for (const f of kitFiles) if (/\.(ts|js|ipynb|sh|py)$/.test(f) && fs.existsSync(f)) importedPackages(fs.readFileSync(f, "utf8")).forEach((p) => used.add(p));
  const pick = (deps: Record<string, string> | undefined): Record<string, string> =>
    Object.fromEntries(Object.entries(deps ?? {}).filter(([k]) => used.has(k) || k === "nnkit"));
  const scripts = Object.fromEntries(Object.entries(rootPkg.scripts ?? {}).filter(([k]) => STUDENT_SCRIPTS.includes(k)));
  const pkg: PackageJson = {
    name: names.kernel.replace(/^tslab-/, "") + "-kit",
    version: rootPkg.version ?? "0.0.0",
    description: `${names.assignment}: neural-network exercises in TypeScript notebooks (student kit)`,
    private: true,
    license: rootPkg.license ?? "UNLICENSED",
    engines: rootPkg.engines ?? {},
    scripts,
    dependencies: pick(rootPkg.dependencies),
  };
  const optional = pick(rootPkg.optionalDependencies);
  if (Object.keys(optional).length) pkg.optionalDependencies = optional;
  return pkg;
}

/** npm's flags on a lockfile entry: a link to a folder, and which kinds of dependency reach it. */
type LockFlags = Partial<Record<"link" | "dev" | "optional" | "devOptional", boolean>>;

interface LockEntry extends PackageFields, LockFlags {
  resolved?: string;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

interface Lock {
  name?: string;
  version?: string;
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
  [key: string]: unknown;
}

/** Where node resolves `name` from the package at `from` ("" = the root), in a lockfile's layout. */
function resolveIn(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let dir = from;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const i = dir.lastIndexOf("/node_modules/");
    dir = i >= 0 ? dir.slice(0, i) : "";
  }
}

/**
 * The lockfile for the kit's package.json: only the packages its dependencies reach (what
 * devDependencies alone needed is dropped), flagged optional where only optional edges reach
 * them, so that `npm ci` in the kit installs exactly what the kit needs.
 */
export function pruneLock(lock: Lock, pkg: PackageJson): Lock {
  const packages = lock.packages;
  const state = new Map<string, "required" | "optional">();
  const visit = (key: string, optional: boolean): void => {
    const was = state.get(key);
    if (was === "required" || (was === "optional" && optional)) return;
    state.set(key, optional ? "optional" : "required");
    const entry = packages[key];
    // a linked package's dependencies are its target's
    const from = entry.link && typeof entry.resolved === "string" ? entry.resolved : key;
    const target = packages[from] ?? entry;
    if (from !== key) visit(from, optional);
    const edges: [string, boolean][] = [
      ...Object.keys(target.dependencies ?? {}).map((n): [string, boolean] => [n, false]),
      ...Object.keys(target.optionalDependencies ?? {}).map((n): [string, boolean] => [n, true]),
      ...Object.keys(target.peerDependencies ?? {}).map((n): [string, boolean] => [n, target.peerDependenciesMeta?.[n]?.optional === true]),
    ];
    for (const [n, opt] of edges) {
      const k = resolveIn(packages, from, n);
      if (k) visit(k, optional || opt);
    }
  };
  for (const n of Object.keys(pkg.dependencies ?? {})) {
    const k = resolveIn(packages, "", n);
    if (k) visit(k, false);
  }
  for (const n of Object.keys(pkg.optionalDependencies ?? {})) {
    const k = resolveIn(packages, "", n);
    if (k) visit(k, true);
  }
  const out: Record<string, LockEntry> = {};
  const root = { ...packages[""] };
  root.name = pkg.name;
  root.version = pkg.version;
  root.license = pkg.license;
  root.engines = pkg.engines;
  root.dependencies = pkg.dependencies;
  delete root.devDependencies;
  if (pkg.optionalDependencies) root.optionalDependencies = pkg.optionalDependencies;
  else delete root.optionalDependencies;
  out[""] = root;
  for (const [key, entry] of Object.entries(packages)) {
    const s = state.get(key);
    if (key === "" || !s) continue;
    const e = { ...entry };
    delete e.dev;
    delete e.devOptional;
    delete e.optional;
    if (s === "optional") e.optional = true;
    out[key] = e;
  }
  return { ...lock, name: pkg.name, version: pkg.version, packages: out };
}

const KERNEL_SECTION = /^# --- the TypeScript kernel -+\n[\s\S]*?(?=^# --- )/m;
const DROPPED_SECTIONS = [/^# --- public checks -+\n[\s\S]*?(?=^# --- )/m, /^# --- chromium for the browser tests -+\n[\s\S]*?(?=^STEP="done")/m];

/**
 * The kit's setup.sh: the course's setup.sh with its kernel step replaced by the kit's own
 * (grader/release/kit/kernel-step.sh) and the instructor's steps (public checks, browser tests) left
 * out. Throws when setup.sh no longer has the sections this relies on.
 */
export function kitSetupScript(courseSetup: string, names: KitNames): string {
  if (!KERNEL_SECTION.test(courseSetup)) throw new Error("setup.sh has no '# --- the TypeScript kernel ---' section for release to replace with the kit's kernel step");
  let out = courseSetup.replace(KERNEL_SECTION, () => fill(fs.readFileSync(path.join(TEMPLATES, "kernel-step.sh"), "utf8"), names) + "\n");
  for (const s of DROPPED_SECTIONS) out = out.replace(s, "");
  // the options and notes that only concern the instructor's checkout
  out = out.replace(/^#\s+\.\/setup\.sh --e2e.*\n/m, "").replace(/^\s*--e2e\) WANT_E2E=1 ;;\n/m, "");
  return out;
}
