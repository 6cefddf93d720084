/**
 * The messages between the grader (parent) and the sandboxed child that runs a notebook.
 *
 * The parent drives the child one request at a time: each request is a JSON line on the child's
 * stdin, which stays open; each reply is a JSON line on file descriptor 3 (never stdout, which
 * only carries what the notebook prints). Every request carries a fresh nonce that the parent
 * draws with crypto.randomBytes and sends with that request only; the parent accepts exactly one
 * reply per request, in order, of the request's kind and carrying its nonce, and ignores (and
 * counts, for the instructor) everything else on the channel.
 *
 * What crosses into the child is only what running the notebook needs: cell sources, each
 * probe's compiled expression and encoded inputs, the names whose types are asked for, the
 * limits and the master's conversions of public cells. Never an expected value, comparator,
 * tolerance, hint, label, title, points or hidden flag (grader/run/run.ts builds every request field
 * by field, and test/grader/protocol-boundary.test.ts checks the bytes).
 */

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

/**
 * The probe time limit counts CPU time: a probe (running it and encoding its value) may use
 * probeTimeoutMs of the child's CPU time, and at most this many times probeTimeoutMs of wall time
 * (a probe that waits, or a machine so loaded that the child hardly runs). The child stops an
 * asynchronous probe itself; a synchronous one (an endless loop) is stopped by the parent, which
 * watches the child's CPU time and interrupts it (SIGINT) when the limit is used up.
 */
export const PROBE_WALL_FACTOR = 3;

/**
 * Begins a notebook (the first request, and again before each further notebook when one child
 * runs a submission's notebooks): its limits and known conversions; answered with `ready`. The
 * notebooks of a child are numbered 0, 1, ... in the order they began.
 */
export interface SetupRequest {
  t: "setup";
  nonce: string;
  cellTimeoutMs: number;
  probeTimeoutMs: number;
  /** Most bytes of one cell's output kept (the rest is counted and dropped). */
  outputCapBytes: number;
  /** Most characters of one encoded probe result. */
  resultCapChars: number;
  /**
   * Known conversions of public cells (from the master's run), by conversion key.
   * A cell whose source and preceding declarations match one is not type-checked again.
   */
  conversions: Record<string, Conversion>;
  /** Report every clean conversion (only for the master's run, which is trusted). */
  recordConversions: boolean;
  /**
   * Add the child's CPU milliseconds to each reply (start, type-checking, running): for the
   * grading profile only. What the child says of its own time is never part of a score.
   */
  profile?: boolean;
}

/** Run one cell (of the notebook begun last). */
export interface CellRequest {
  t: "cell";
  nonce: string;
  /** The notebook's number in this child. */
  notebook: number;
  /** Position in the run order (the parent maps it back to the master's cell). */
  index: number;
  id: string;
  source: string;
}

/** Report `typeof` of these top-level names. */
export interface NamesRequest {
  t: "names";
  nonce: string;
  /** The notebook's number in this child. */
  notebook: number;
  names: string[];
}

/** Run one probe: a compiled expression over the notebook's names and these inputs. */
export interface ProbeRequest {
  t: "probe";
  nonce: string;
  /** The notebook's number in this child. */
  notebook: number;
  /** The probe expression compiled to JavaScript. */
  js: string;
  /** JSON text of `{ name: EncodedInput }` (parsed in the child with its saved JSON.parse). */
  inputs: string;
}

export type Request = SetupRequest | CellRequest | NamesRequest | ProbeRequest;

export interface ReadyReply {
  t: "ready";
  nonce: string;
  /** With `profile`: CPU ms the process used before it was ready (start, snapshot restore). */
  cpu?: number;
}

export interface CellReply {
  t: "cell";
  nonce: string;
  ok: boolean;
  error?: string;
  stdout: string;
  stderr: string;
  dropped: number;
  /** Clean conversions made while the cell ran (only when the setup asked for them). */
  conversions: { key: string; conversion: Conversion }[];
  /** With `profile`: CPU ms of the cell, and of its type-checking among them. */
  cpu?: { check: number; total: number };
}

export interface NamesReply {
  t: "names";
  nonce: string;
  types: Record<string, string>;
}

export interface ProbeReply {
  t: "probe";
  nonce: string;
  /** `{ ok: true, value: <encoded plain data> }` or `{ ok: false, error }`. */
  outcome: unknown;
  /** Bytes the notebook printed while the probe ran (never shown to students). */
  printed: number;
  /** With `profile`: CPU ms of the probe. */
  cpu?: number;
}

export type Reply = ReadyReply | CellReply | NamesReply | ProbeReply;
