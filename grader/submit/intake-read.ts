/**
 * Reading one untrusted submission, with limits: the zip is streamed entry by entry (yauzl),
 * never loaded whole; every file and the whole submission are capped in compressed and
 * uncompressed size; the manifest and every notebook are checked for JSON depth, cells and
 * outputs before anything parses them for real. This module runs inside the intake worker
 * (grader/submit/intake.ts), whose heap is capped, so that nothing here can take the batch down.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as yauzl from "yauzl";
import { manifestFrom, splitNotebookName, type DiscoveredSubmission, type Manifest } from "./discover";

/** Limits on what one submission may be. */
export interface IntakeLimits {
  /** A submission zip's size on disk. */
  maxZipBytes: number;
  /** Entries in a zip. */
  maxEntries: number;
  /** Uncompressed size of any one file (the bonus model is the biggest a course needs). */
  maxFileBytes: number;
  /** Uncompressed size of one notebook. */
  maxNotebookBytes: number;
  /** Uncompressed size of a whole submission. */
  maxTotalBytes: number;
  /** Size of manifest.json. */
  maxManifestBytes: number;
  /** Nesting of arrays and objects in the manifest and in a notebook. */
  maxJsonDepth: number;
  /** Cells in one notebook. */
  maxCells: number;
  /** Outputs of all cells of one notebook. */
  maxOutputs: number;
  /** Heap of the worker that reads one submission. */
  memoryMb: number;
  /** Time the worker may take for one submission. */
  timeoutMs: number;
}

const MiB = 1024 * 1024;

/** The default limits: generous for any real submission (submit strips outputs above 512 kB each). */
export const INTAKE_LIMITS: IntakeLimits = {
  maxZipBytes: 300 * MiB,
  maxEntries: 2000,
  maxFileBytes: 128 * MiB,
  maxNotebookBytes: 32 * MiB,
  maxTotalBytes: 300 * MiB,
  maxManifestBytes: 1 * MiB,
  maxJsonDepth: 64,
  maxCells: 5000,
  maxOutputs: 20000,
  memoryMb: 384,
  timeoutMs: 120_000,
};

/** What the batch expects of a manifest: made for this assignment with this kit. */
export interface IntakeExpect {
  assignment: string;
  kitVersion: string;
}

/** What the intake worker is given (plain data). */
export interface IntakeJob {
  kind: DiscoveredSubmission["kind"];
  files: string[];
  workDir: string;
  notebooks: string[];
  expect: IntakeExpect | null;
  limits: IntakeLimits;
}

/** What it answers: where each notebook is, or why the submission cannot be graded. */
export type IntakeResult =
  | {
    ok: true;
    /** notebook file name (as in the spec) -> the student's copy, or null when it is missing */
    notebooks: Record<string, string | null>;
    /** notebooks that are there but cannot be graded (too many cells, too deep), with the reason */
    rejected: Record<string, string>;
    warnings: string[];
    manifest: Manifest | null;
  }
  | { ok: false; status: "corrupt" | "invalid"; reason: string };

/** A reason that ends the intake of a submission with a given status. */
export class IntakeError extends Error {
  constructor(readonly status: "corrupt" | "invalid", message: string) {
    super(message);
  }
}

const sha256 = (data: Buffer | string): string => crypto.createHash("sha256").update(data).digest("hex");

const mib = (n: number): string => (n >= MiB ? `${Math.round((n / MiB) * 10) / 10} MiB` : `${n} bytes`);

/**
 * The deepest nesting of arrays and objects in JSON text, counted without parsing (strings
 * skipped); stops counting once past `limit`. JSON.parse overflows the stack on deep input.
 */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 93 || c === 125) depth--;
  }
  return max;
}

/** JSON.parse after a depth check; `what` names the file in the error. */
export function parseLimitedJson(text: string, what: string, maxDepth: number): unknown {
  const depth = jsonDepth(text, maxDepth);
  if (depth > maxDepth) throw new IntakeError("invalid", `${what} nests deeper than ${maxDepth} levels`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new IntakeError("invalid", `${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * Checks a notebook's text against the limits; returns the reason it cannot be graded, or
 * null (also for text that is not JSON: the grader core reports that one itself).
 */
export function notebookProblem(text: string, name: string, limits: IntakeLimits): string | null {
  if (Buffer.byteLength(text) > limits.maxNotebookBytes) return `${name} is larger than ${mib(limits.maxNotebookBytes)}`;
  if (jsonDepth(text, limits.maxJsonDepth) > limits.maxJsonDepth) return `${name} nests deeper than ${limits.maxJsonDepth} levels`;
  let nb: unknown;
  try {
    nb = JSON.parse(text);
  } catch {
    return null;
  }
  const cells = (nb as { cells?: unknown })?.cells;
  if (!Array.isArray(cells)) return null;
  if (cells.length > limits.maxCells) return `${name} has ${cells.length} cells (limit ${limits.maxCells})`;
  let outputs = 0;
  for (const c of cells) {
    const o = (c as { outputs?: unknown })?.outputs;
    if (Array.isArray(o)) outputs += o.length;
  }
  if (outputs > limits.maxOutputs) return `${name} has ${outputs} outputs (limit ${limits.maxOutputs})`;
  return null;
}

/** Checks the manifest's assignment and kit version; the reason it is for something else, or null. */
export function manifestMismatch(m: Manifest, expect: IntakeExpect): string | null {
  if (m.assignment !== expect.assignment) {
    return `made for assignment ${JSON.stringify(m.assignment || "(none)")}, not ${JSON.stringify(expect.assignment)} (manifest.json)`;
  }
  // major.minor must agree: a patch release of the kit keeps every exercise as it was
  const mm = (v: string): string => v.split(".").slice(0, 2).join(".");
  if (mm(m.kitVersion) !== mm(expect.kitVersion)) {
    return `made with kit version ${JSON.stringify(m.kitVersion || "(none)")}, this assignment is kit ${expect.kitVersion} (manifest.json)`;
  }
  return null;
}

/** A zip entry name made relative and checked to stay inside the target (no zip-slip). */
export function safeEntryName(name: string): string | null {
  if (name.includes("\0")) return null;
  const norm = path.posix.normalize(name.replace(/\\/g, "/"));
  if (norm.startsWith("/") || norm === ".." || norm.startsWith("../") || norm.includes("/../") || /^[a-zA-Z]:/.test(norm)) return null;
  return norm;
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    // names are checked here (safeEntryName), so one bad name skips an entry, not the zip
    yauzl.open(file, { lazyEntries: true, autoClose: true, validateEntrySizes: true, decodeStrings: false } as yauzl.Options, (err, zip) => {
      if (err || !zip) reject(new IntakeError("corrupt", `not a readable zip: ${err?.message ?? "no zip"}`));
      else resolve(zip);
    });
  });
}

/** An entry's bytes, counted while they stream: more than `max` stops the read. */
function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, name: string, max: number, budget: { left: number; total: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err || !stream) {
        reject(new IntakeError("corrupt", `zip entry ${name} is damaged: ${err?.message ?? "no data"}`));
        return;
      }
      const chunks: Buffer[] = [];
      let n = 0;
      stream.on("data", (c: Buffer) => {
        n += c.length;
        budget.left -= c.length;
        if (n > max || budget.left < 0) {
          stream.destroy();
          reject(new IntakeError("invalid", n > max
            ? `zip entry ${name} unpacks to more than ${mib(max)} (limit)`
            : `the zip unpacks to more than ${mib(budget.total)} in all (limit)`));
          return;
        }
        chunks.push(c);
      });
      stream.on("error", (e: Error) => reject(new IntakeError("corrupt", `zip entry ${name} is damaged: ${e.message}`)));
      stream.on("end", () => resolve(Buffer.concat(chunks)));
    });
  });
}

function decodeName(raw: Buffer | string): string {
  return typeof raw === "string" ? raw : raw.toString("utf8");
}

/** Unpacks a submission zip into `nbDir` with every limit; returns the manifest and warnings. */
async function unpackZip(file: string, nbDir: string, job: IntakeJob): Promise<{ manifest: Manifest; warnings: string[]; bytes: Map<string, Buffer> }> {
  const L = job.limits;
  const size = fs.statSync(file).size;
  if (size > L.maxZipBytes) throw new IntakeError("invalid", `the zip is ${mib(size)} (limit ${mib(L.maxZipBytes)})`);
  const zip = await openZip(file);
  if (zip.entryCount > L.maxEntries) {
    zip.close();
    throw new IntakeError("invalid", `the zip has ${zip.entryCount} entries (limit ${L.maxEntries})`);
  }
  const budget = { left: L.maxTotalBytes, total: L.maxTotalBytes };
  const warnings: string[] = [];
  const written = new Map<string, Buffer>();
  let manifestText: string | null = null;
  const hashes: { name: string; sha: string }[] = [];
  await new Promise<void>((resolve, reject) => {
    const fail = (e: unknown): void => {
      zip.close();
      reject(e);
    };
    zip.on("error", (e: Error) => fail(new IntakeError("corrupt", `not a readable zip: ${e.message}`)));
    zip.on("end", () => resolve());
    zip.on("entry", (entry: yauzl.Entry) => {
      const raw = decodeName(entry.fileName as unknown as Buffer | string);
      if (raw.endsWith("/")) {
        zip.readEntry();
        return;
      }
      const name = safeEntryName(raw);
      if (!name) {
        warnings.push(`skipped unsafe path in zip: ${raw}`);
        zip.readEntry();
        return;
      }
      const rel = name.startsWith("notebooks/") ? name.slice("notebooks/".length) : name;
      if (rel === "") {
        zip.readEntry();
        return;
      }
      const isManifest = name === "manifest.json";
      const max = isManifest ? L.maxManifestBytes : /\.ipynb$/i.test(name) ? L.maxNotebookBytes : L.maxFileBytes;
      // the header's sizes are checked first; the stream is counted too, in case the header lies
      if (entry.compressedSize > max) {
        fail(new IntakeError("invalid", `zip entry ${name} is ${mib(entry.compressedSize)} compressed (limit ${mib(max)})`));
        return;
      }
      if (entry.uncompressedSize > max) {
        fail(new IntakeError("invalid", `zip entry ${name} unpacks to ${mib(entry.uncompressedSize)} (limit ${mib(max)})`));
        return;
      }
      if (entry.uncompressedSize > budget.left) {
        fail(new IntakeError("invalid", `the zip unpacks to more than ${mib(L.maxTotalBytes)} in all (limit)`));
        return;
      }
      readEntry(zip, entry, name, max, budget).then((data) => {
        if (isManifest) manifestText = data.toString("utf8");
        else {
          hashes.push({ name, sha: sha256(data) });
          const target = path.join(nbDir, rel);
          if (!path.resolve(target).startsWith(path.resolve(nbDir) + path.sep)) {
            warnings.push(`skipped unsafe path in zip: ${raw}`);
          } else {
            fs.mkdirSync(path.dirname(target), { recursive: true });
            fs.writeFileSync(target, data);
            if (/\.ipynb$/i.test(rel)) written.set(rel, data);
          }
        }
        zip.readEntry();
      }).catch(fail); // a write that fails (a file where a folder must go) ends the read with the reason
    });
    zip.readEntry();
  });
  if (manifestText === null) throw new IntakeError("corrupt", "the zip has no manifest.json (was it made by `npm run submit`?)");
  let manifest: Manifest;
  try {
    manifest = manifestFrom(parseLimitedJson(manifestText, "manifest.json", L.maxJsonDepth));
  } catch (e) {
    if (e instanceof IntakeError) throw e;
    throw new IntakeError("invalid", (e as Error).message);
  }
  for (const h of hashes) {
    const expected = manifest.files[h.name];
    if (expected && expected !== h.sha) warnings.push(`${h.name}: content differs from the manifest's SHA-256`);
  }
  return { manifest, warnings, bytes: written };
}

/** Copies loose notebooks (or an LMS folder's) into `nbDir` with the size limits. */
function copyNotebooks(job: IntakeJob, nbDir: string): Map<string, Buffer> {
  const L = job.limits;
  let total = 0;
  const out = new Map<string, Buffer>();
  for (const f of job.files) {
    const st = fs.lstatSync(f);
    if (!st.isFile()) throw new IntakeError("invalid", `${path.basename(f)} is not a regular file`);
    if (st.size > L.maxNotebookBytes) throw new IntakeError("invalid", `${path.basename(f)} is ${mib(st.size)} (limit ${mib(L.maxNotebookBytes)})`);
    total += st.size;
    if (total > L.maxTotalBytes) throw new IntakeError("invalid", `the submission is more than ${mib(L.maxTotalBytes)} in all (limit)`);
    const split = splitNotebookName(f, job.notebooks);
    const name = split ? split.notebook : path.basename(f);
    const data = fs.readFileSync(f);
    if (data.length > L.maxNotebookBytes) throw new IntakeError("invalid", `${path.basename(f)} grew past ${mib(L.maxNotebookBytes)} while read`);
    fs.writeFileSync(path.join(nbDir, name), data);
    out.set(name, data);
  }
  return out;
}

/** Reads one submission into `job.workDir` (notebooks/ and the files beside them). */
export async function readSubmission(job: IntakeJob): Promise<IntakeResult> {
  try {
    const nbDir = path.join(job.workDir, "notebooks");
    fs.rmSync(job.workDir, { recursive: true, force: true });
    fs.mkdirSync(nbDir, { recursive: true });
    let manifest: Manifest | null = null;
    let warnings: string[] = [];
    let bytes: Map<string, Buffer>;
    if (job.kind !== "notebooks" && job.files.length === 1 && /\.zip$/i.test(job.files[0])) {
      const z = await unpackZip(job.files[0], nbDir, job);
      manifest = z.manifest;
      warnings = z.warnings;
      bytes = z.bytes;
      if (job.expect) {
        const mismatch = manifestMismatch(manifest, job.expect);
        if (mismatch) return { ok: false, status: "invalid", reason: mismatch };
      }
    } else {
      bytes = copyNotebooks(job, nbDir);
    }
    const notebooks: Record<string, string | null> = {};
    const rejected: Record<string, string> = {};
    for (const nb of job.notebooks) {
      const p = path.join(nbDir, nb);
      notebooks[nb] = fs.existsSync(p) ? p : null;
      const data = bytes.get(nb);
      if (notebooks[nb] && data) {
        const problem = notebookProblem(data.toString("utf8"), nb, job.limits);
        if (problem) rejected[nb] = problem;
      }
    }
    return { ok: true, notebooks, rejected, warnings, manifest };
  } catch (e) {
    if (e instanceof IntakeError) return { ok: false, status: e.status, reason: e.message };
    if (e instanceof RangeError) return { ok: false, status: "invalid", reason: `the submission is too large or too deep to read: ${e.message}` };
    return { ok: false, status: "corrupt", reason: `cannot read the submission: ${(e as Error).message}` };
  }
}
