/**
 * Which cells raised in this kernel session, so that `check()` can say so.
 *
 * tslab runs each cell in `JupyterHandlerImpl.handleExecute`, which answers `status: "error"` for a
 * cell that threw or did not type-check and writes the error to the cell's stderr only (it keeps
 * no record). The cell's id is not in that call: Jupyter front ends send it in the execute
 * request's metadata (`cellId`: JupyterLab, Notebook 7, VS Code; Classic Notebook 6 sends none),
 * which only `ZmqServer.handleExecute` sees. This module wraps both methods of the running
 * kernel's own tslab (found in the module cache, never loaded) and records, per cell, the first
 * line of the error it wrote. A cell that runs cleanly later is forgotten again. On the way, the
 * stack frames of tslab, Node and nnkit are left out of what a cell writes to stderr
 * (`error-frames.ts`): the student sees the message and the frames of the notebook's cells.
 *
 * Outside a tslab kernel (the grader's sandbox, tests, plain Node) it finds nothing and records
 * nothing; the grader has its own record of every cell.
 */

import { withoutInternalFrames } from "./error-frames";

/** A cell that raised the last time it ran. */
export interface RaisedCell {
  /** The cell's id, or null when the front end did not send one (Classic Notebook 6). */
  id: string | null;
  /** The first line of the error tslab printed. */
  error: string;
  /** The cell's first line of code, to find it when it has no id. */
  firstLine: string;
}

type Stream = (name: string, text: string) => void;
interface HandlerPrototype {
  handleExecute?: (this: unknown, req: { code?: unknown }, writeStream: Stream, writeDisplayData: unknown) => Promise<{ status?: unknown }>;
}
interface ServerPrototype {
  handleExecute?: (this: unknown, sock: unknown, msg: { metadata?: { cellId?: unknown } }) => Promise<unknown>;
}

const PATCHED = Symbol.for("nnkit.cellErrors");
/** Cells that raised, by id (or by first line of code when there is no id), in the order they ran. */
const raised = new Map<string, RaisedCell>();
/** The id the front end sent with the execute request being handled. */
let currentCellId: string | null = null;

/** The first non-empty line of a text, cut to a readable length. */
function firstLineOf(text: string, max = 300): string {
  const line = text.split("\n").map((l) => l.trim()).find((l) => l) ?? "";
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

type TslabJupyter = { JupyterHandlerImpl?: { prototype?: HandlerPrototype }; ZmqServer?: { prototype?: ServerPrototype } };

/**
 * The tslab jupyter modules in the module cache (never loads one). There can be two: the
 * kernelspec's tslab starts the kit's own copy (node_modules/tslab) when it finds one, and that
 * copy runs the cells; both are wrapped, the idle one never calls its wrapper.
 */
function kernelTslabs(): TslabJupyter[] {
  const found: TslabJupyter[] = [];
  // A bundled copy of this module (the grader's runner, a V8 snapshot) may have no module cache.
  const cache = typeof require === "function" ? (require.cache as NodeJS.Dict<NodeJS.Module> | undefined) : undefined;
  if (!cache || typeof cache !== "object") return found;
  for (const [file, mod] of Object.entries(cache)) {
    if (mod && /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/.test(file)) found.push(mod.exports as TslabJupyter);
  }
  return found;
}

/**
 * The line of what tslab printed that says what went wrong: the "SomeError: message" line of a
 * thrown error (tslab prints the source line and a caret before it), else a type-check
 * diagnostic ("1:7 - Type 'string' is not assignable ..."), else the first line.
 */
function errorLine(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l);
  const line = lines.find((l) => /^([A-Z]\w*)?(Error|Exception)\b[^:]*:/.test(l)) ?? lines.find((l) => /^(\S+ )?\d+:\d+ - /.test(l)) ?? lines[0] ?? "";
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

function wrapServer(proto: ServerPrototype & { [PATCHED]?: boolean }): void {
  const original = proto.handleExecute;
  if (typeof original !== "function" || proto[PATCHED]) return;
  const wrapped: ServerPrototype["handleExecute"] = async function (this: unknown, sock, msg) {
    const id = msg?.metadata?.cellId;
    currentCellId = typeof id === "string" && id ? id : null;
    try {
      return await original.call(this, sock, msg);
    } finally {
      currentCellId = null;
    }
  };
  Object.defineProperty(proto, "handleExecute", { value: wrapped, configurable: true, writable: true });
  Object.defineProperty(proto, PATCHED, { value: true });
}

function wrapHandler(proto: HandlerPrototype & { [PATCHED]?: boolean }): void {
  const original = proto.handleExecute;
  if (typeof original !== "function" || proto[PATCHED]) return;
  const wrapped: HandlerPrototype["handleExecute"] = async function (this: unknown, req, writeStream, writeDisplayData) {
    const id = currentCellId;
    const code = typeof req?.code === "string" ? req.code : "";
    let stderr = "";
    const tee: Stream = (name, text) => {
      if (name !== "stderr") return writeStream(name, text);
      const shown = withoutInternalFrames(text);
      if (stderr.length < 10_000) stderr += shown;
      writeStream(name, shown);
    };
    const reply = await original.call(this, req, tee, writeDisplayData);
    const key = id ?? `code:${firstLineOf(code)}`;
    if (reply?.status === "error") {
      raised.delete(key); // keep the order in which cells last raised
      raised.set(key, { id, error: errorLine(stderr) || "an error (see the cell's output)", firstLine: firstLineOf(code, 80) });
    } else if (reply?.status === "ok") raised.delete(key);
    return reply;
  };
  Object.defineProperty(proto, "handleExecute", { value: wrapped, configurable: true, writable: true });
  Object.defineProperty(proto, PATCHED, { value: true });
}

/**
 * Starts recording the cells that raise in the running tslab kernel. Safe to call often: it does
 * nothing outside a kernel or once installed. Cells that ran before it was installed (before
 * `nnkit` was first imported) are not known.
 */
export function watchCellErrors(): void {
  if (process.env.NNKIT_GRADER === "1") return; // the grader records every cell itself
  for (const tslab of kernelTslabs()) {
    if (tslab.ZmqServer?.prototype) wrapServer(tslab.ZmqServer.prototype);
    if (tslab.JupyterHandlerImpl?.prototype) wrapHandler(tslab.JupyterHandlerImpl.prototype);
  }
}

/** The cells that raised the last time they ran in this kernel session (since nnkit was imported). */
export function raisedCells(): RaisedCell[] {
  return [...raised.values()];
}

/**
 * What `check()` prints about them: "cell <id> raised <error>; in Jupyter, Run All stops here"
 * (a cell without an id is named by its first line of code).
 */
export function raisedCellLines(): string[] {
  return raisedCells().map((c) => `cell ${c.id ?? `starting "${c.firstLine}"`} raised ${c.error}; in Jupyter, Run All stops here`);
}
