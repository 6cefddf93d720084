/**
 * Every package the kit's code imports is declared in package.json: an undeclared one works only
 * while another package happens to pull it in, and a fresh `npm ci` may not.
 */
import { expect } from "chai";
import { builtinModules } from "module";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");
const FOLDERS = ["src", "grader", "test", "bench", "scripts"];
const SKIP = new Set(["node_modules", "dist", "fixtures"]);

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return SKIP.has(e.name) ? [] : sourceFiles(full);
    return /\.(ts|js|cjs|mjs)$/.test(e.name) && !e.name.endsWith(".d.ts") ? [full] : [];
  });
}

/** The package name of a bare import specifier ("@scope/name/sub" -> "@scope/name"). */
export function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** The bare (package) specifiers a source text imports or requires. */
export function importedSpecifiers(text: string): string[] {
  const found: string[] = [];
  const pattern = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire(?:\.resolve)?\s*\(\s*|^\s*import\s+)(["'])([^"'\n]+)\1/gm;
  for (const m of text.matchAll(pattern)) {
    const spec = m[2];
    // Only what can name a package (a sentence in a comment that reads `from "the master"` cannot).
    if (/^(node:)?(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(\/\S*)?$/i.test(spec)) found.push(spec);
  }
  return found;
}

describe("declared dependencies", () => {
  it("finds the package of scoped, deep and plain imports", () => {
    const text = 'import * as tf from "@tensorflow/tfjs";\nconst c = require("tsx/cjs");\nimport "./local";\n// copied from "the master"\nawait import("node:fs");\nrequire.resolve("@tensorflow/tfjs-backend-wasm/package.json");';
    expect(importedSpecifiers(text).map(packageOf)).to.deep.equal(["@tensorflow/tfjs", "tsx", "node:fs", "@tensorflow/tfjs-backend-wasm"]);
  });

  it("declares every package that src/, grader/, test/, bench/ and scripts/ import", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as Record<string, Record<string, string> | undefined>;
    const declared = new Set([
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.devDependencies ?? {}),
      ...Object.keys(pkg.optionalDependencies ?? {}),
    ]);
    const builtins = new Set(builtinModules);
    const missing = new Map<string, string>();
    for (const file of FOLDERS.flatMap((f) => sourceFiles(path.join(ROOT, f)))) {
      for (const spec of importedSpecifiers(fs.readFileSync(file, "utf8"))) {
        const name = packageOf(spec);
        if (name.startsWith("node:") || builtins.has(name) || declared.has(name)) continue;
        if (!missing.has(name)) missing.set(name, path.relative(ROOT, file));
      }
    }
    expect(Object.fromEntries(missing), "imported but not in package.json (package: first file)").to.deep.equal({});
  });
});
