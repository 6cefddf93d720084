/**
 * A minimal CommonJS loader for building the runner's V8 startup snapshot: a snapshot
 * builder may only `require` Node's built-in modules, so tslab and its TypeScript compiler
 * are read and compiled here instead. Used only while the snapshot is built.
 */
import * as fs from "fs";
import * as path from "path";

interface LoadedModule {
  exports: unknown;
}

function asFile(candidate: string): string | null {
  for (const file of [candidate, candidate + ".js", candidate + ".json", path.join(candidate, "index.js")]) {
    if (fs.existsSync(file) && fs.statSync(file).isFile()) return file;
  }
  const pkg = path.join(candidate, "package.json");
  if (fs.existsSync(pkg)) {
    const main = (JSON.parse(fs.readFileSync(pkg, "utf8")) as { main?: string }).main ?? "index.js";
    return asFile(path.join(candidate, main));
  }
  return null;
}

/** Resolves a module id the way Node does for plain CommonJS packages (main field, index.js). */
function resolveId(id: string, fromDir: string): string {
  if (id.startsWith(".") || id.startsWith("/")) {
    const file = asFile(path.resolve(fromDir, id));
    if (file) return file;
  } else {
    for (let dir = fromDir; ; dir = path.dirname(dir)) {
      const file = asFile(path.join(dir, "node_modules", id));
      if (file) return file;
      if (path.dirname(dir) === dir) break;
    }
  }
  throw new Error(`snapshot loader: cannot resolve ${id} from ${fromDir}`);
}

/** A `require` for files under `baseDir`, backed by `builtin` for Node's own modules. */
export function createSnapshotRequire(builtin: (id: string) => unknown, baseDir: string): (id: string) => unknown {
  const cache = new Map<string, LoadedModule>();
  const load = (file: string): unknown => {
    const cached = cache.get(file);
    if (cached) return cached.exports;
    const mod: LoadedModule = { exports: {} };
    cache.set(file, mod);
    const text = fs.readFileSync(file, "utf8");
    if (file.endsWith(".json")) {
      mod.exports = JSON.parse(text);
      return mod.exports;
    }
    const dir = path.dirname(file);
    const req = (id: string): unknown => requireFrom(id, dir);
    const fn = new Function("exports", "require", "module", "__filename", "__dirname", text);
    fn(mod.exports, req, mod, file, dir);
    return mod.exports;
  };
  const requireFrom = (id: string, dir: string): unknown => {
    const bare = id.startsWith("node:") ? id.slice(5) : id;
    if (!bare.startsWith(".") && !bare.startsWith("/")) {
      try {
        return builtin(bare);
      } catch {
        // not a built-in module: resolve it from node_modules below
      }
    }
    return load(resolveId(id, dir));
  };
  return (id: string) => requireFrom(id, baseDir);
}
