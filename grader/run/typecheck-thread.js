// The warm type-checker's thread (started by typecheck.ts in a grading process): tslab's own
// converter, with the compiler's file reads confined to what the sandbox shows a notebook.
// Plain JavaScript, so that the thread needs no TypeScript loader.
"use strict";
const { parentPort, workerData } = require("worker_threads");
const fs = require("fs");
const path = require("path");
const root = workerData.root;
const allowed = workerData.allowed;
const under = (p, dir) => p === dir || p.startsWith(dir.endsWith("/") ? dir : dir + "/");
// What the sandbox shows: the allowed paths, what is inside them, and the folders above them.
const visible = (p) => {
  let real;
  try { real = fs.realpathSync(path.resolve(root, p)); } catch { real = path.resolve(root, p); }
  return allowed.some((a) => under(real, a) || under(a, real));
};
const readable = (p) => {
  let real;
  try { real = fs.realpathSync(path.resolve(root, p)); } catch { return false; }
  return allowed.some((a) => under(real, a));
};
const ts = require(path.join(root, "node_modules", "@tslab", "typescript-for-tslab"));
const sys = ts.sys;
const readFile = sys.readFile, fileExists = sys.fileExists, directoryExists = sys.directoryExists;
const readDirectory = sys.readDirectory, getDirectories = sys.getDirectories;
sys.readFile = (p, e) => (readable(p) ? readFile(p, e) : undefined);
sys.fileExists = (p) => readable(p) && fileExists(p);
sys.directoryExists = (p) => visible(p) && directoryExists(p);
sys.readDirectory = (p, ...rest) => (visible(p) ? readDirectory(p, ...rest).filter(readable) : []);
sys.getDirectories = (p) => (visible(p) ? getDirectories(p).filter((d) => visible(path.join(p, d))) : []);
sys.getCurrentDirectory = () => root;
sys.watchFile = () => ({ close() {} });
sys.watchDirectory = () => ({ close() {} });
const dist = path.join(root, "node_modules", "tslab", "dist");
const { createConverter } = require(path.join(dist, "converter.js"));
const { getCodeMetadata } = require(path.join(dist, "metadata.js"));
const conv = createConverter({ isJS: false, isBrowser: false });
// The libraries typecheck.ts names (PRELOADED): their types are loaded before the thread says it is ready.
conv.convert("", workerData.preload.map((lib, i) => `import * as preloaded${i} from ${JSON.stringify(lib)};\n`).join(""));
parentPort.on("message", (m) => {
  const started = process.hrtime.bigint();
  let reply;
  try {
    const meta = getCodeMetadata(m.src);
    if (meta.module || meta.mode === "browser") reply = { id: m.id, kind: "other" };
    else {
      const c = conv.convert(m.prevDecl, m.src);
      if (c.diagnostics.length > 0 || c.sideOutputs) reply = { id: m.id, kind: "unclean" };
      else reply = { id: m.id, kind: "clean", conversion: { output: c.output, declOutput: c.declOutput, diagnostics: [], hasToplevelAwait: c.hasToplevelAwait, lastExpressionVar: c.lastExpressionVar } };
    }
  } catch (e) {
    reply = { id: m.id, kind: "unclean" };
  }
  reply.ms = Number(process.hrtime.bigint() - started) / 1e6;
  parentPort.postMessage(reply);
});
parentPort.postMessage({ id: 0, kind: "ready" });
