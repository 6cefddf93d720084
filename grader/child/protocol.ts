/**
 * The messages between the grader (parent) and the sandboxed child that runs a notebook.
 * The job goes to the child on stdin; results come back as JSON lines on file descriptor 3,
 * never on stdout, which only carries what the notebook prints.
 */
import type { EncodedInput } from "../../src/check";

export interface JobCell {
  /** Position in the run order (the parent maps it back to the master's cell). */
  index: number;
  id: string;
  source: string;
}

export interface JobProbe {
  index: number;
  /** The probe expression compiled to JavaScript. */
  js: string;
  inputs: Record<string, EncodedInput>;
}

export interface JobQuestion {
  id: string;
  requires: string[];
  probes: JobProbe[];
}

/**
 * What tslab's converter made of one cell (type-checked TypeScript turned into JavaScript plus
 * the declarations later cells see). Only clean conversions without side files are reused.
 */
export interface Conversion {
  output?: string;
  declOutput?: string;
  diagnostics: unknown[];
  hasToplevelAwait?: boolean;
  lastExpressionVar?: string;
}

export interface Job {
  cells: JobCell[];
  /**
   * Known conversions of public cells (from the master's run), by conversionKey(prevDecl, src).
   * A cell whose source and preceding declarations match one is not type-checked again.
   */
  conversions?: Record<string, Conversion>;
  /** Report every clean conversion (only for the master's run, which is trusted). */
  recordConversions?: boolean;
  questions: JobQuestion[];
  cellTimeoutMs: number;
  probeTimeoutMs: number;
  /** Most bytes of one cell's output kept (the rest is counted and dropped). */
  outputCapBytes: number;
  /** Most characters of one encoded probe result. */
  resultCapChars: number;
}

export type ChildMessage =
  | { t: "ready" }
  | { t: "cell-start"; index: number }
  | { t: "cell-end"; index: number; ok: boolean; error?: string; stdout: string; stderr: string; dropped: number }
  | { t: "names"; types: Record<string, string> }
  | { t: "question-start"; id: string }
  | { t: "probe"; question: string; index: number; outcome: unknown }
  | { t: "conversion"; key: string; conversion: Conversion }
  | { t: "done" };
