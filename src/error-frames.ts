/**
 * Errors as a student should read them in a notebook: the message and the frames of the
 * notebook's own cells, without the frames of the machinery that ran them.
 *
 * tslab prints an error that escapes a cell with its whole stack trace. Below the student's
 * frames (`evalmachine.<anonymous>`, the cell's code) come Node's `vm` frames, tslab's executor
 * and Jupyter handler, and, for an error raised by `check()`, nnkit's own functions. None of them
 * help to fix the cell; they only push the message out of sight. The kernel wrapper in
 * `cell-errors.ts` passes what a cell writes to stderr through `withoutInternalFrames`.
 */
import * as path from "path";

/** nnkit's compiled modules (this file's folder, src/dist in the kit). */
const NNKIT_DIR = __dirname;

/** tslab's modules, wherever tslab is installed (the kit's node_modules or a global one). */
const TSLAB_DIR = /[\\/]tslab[\\/]dist[\\/]/;

/** A frame of Node's own code: "node:vm:135:14", "node:internal/process/task_queues:95:5". */
const NODE_FRAME = /[(\s]node:[\w/]+:\d+/;

/**
 * True for a stack frame line ("    at name (file:line:col)") that points into tslab, nnkit or
 * Node itself, and so is not part of the notebook's code.
 */
export function isInternalFrame(line: string): boolean {
  const trimmed = line.trim();
  if (!trimmed.startsWith("at ")) return false;
  return TSLAB_DIR.test(trimmed) || NODE_FRAME.test(trimmed) || trimmed.includes(NNKIT_DIR + path.sep);
}

/** The text with every line that is an internal stack frame (see `isInternalFrame`) left out. */
export function withoutInternalFrames(text: string): string {
  if (!text.includes("at ")) return text;
  return text
    .split("\n")
    .filter((line) => !isInternalFrame(line))
    .join("\n");
}
