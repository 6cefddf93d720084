/**
 * The student's `submit`: packs the notebooks (outputs kept, oversized outputs stripped), the
 * saved bonus model and a manifest (student id, assignment, timestamp, SHA-256 of each file,
 * kit version, and the hashes of earlier submissions) into one zip for the LMS, or copies it
 * into an exchange folder. The public checks that `grader submit` runs first are in public-checks.ts.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { Manifest } from "./discover";
import { readZipEntry, writeZip, type ZipEntry } from "../core/zip-write";

/** The folder beside the notebooks where the bonus cell saves its model (grader/judge/bonus.ts's BONUS_DIR). */
export const BONUS_MODEL_DIR = "bonus-model";
/** One output larger than this (as JSON) is replaced by a note: big plots and images are not graded. */
export const MAX_OUTPUT_BYTES = 512 * 1024;
/** Largest bonus-model file packed (a bigger model is not a course exercise). */
export const MAX_MODEL_FILE_BYTES = 100 * 1024 * 1024;

export interface SubmitOptions {
  /** Kit root (holds notebooks/). */
  root: string;
  student: string;
  assignment: string;
  kitVersion: string;
  /** Zip to write (default: <root>/<assignment>-<student>.zip). */
  out?: string;
  /** Exchange folder: the zip is also copied there (replacing the student's earlier one). */
  to?: string;
  now?: Date;
}

export interface SubmitResult {
  zip: string;
  copiedTo?: string;
  manifest: Manifest;
  strippedOutputs: number;
}

const sha256 = (data: Buffer | string): string => crypto.createHash("sha256").update(data).digest("hex");

interface Cell {
  outputs?: unknown[];
  [key: string]: unknown;
}

/** A notebook's JSON with every oversized output replaced by a short note; counts how many. */
export function stripLargeOutputs(text: string, limit = MAX_OUTPUT_BYTES): { text: string; stripped: number } {
  const nb = JSON.parse(text) as { cells?: Cell[] };
  let stripped = 0;
  for (const cell of nb.cells ?? []) {
    if (!Array.isArray(cell.outputs)) continue;
    cell.outputs = cell.outputs.map((o) => {
      const size = Buffer.byteLength(JSON.stringify(o));
      if (size <= limit) return o;
      stripped += 1;
      return { output_type: "stream", name: "stdout", text: `[output of ${size} bytes removed by submit]\n` };
    });
  }
  return { text: stripped ? JSON.stringify(nb, null, 1) + "\n" : text, stripped };
}

/** Largest manifest read back from an earlier submission (a real one is a few kilobytes). */
const MAX_MANIFEST_BYTES = 1024 * 1024;

/** The manifest of an earlier submission zip, if there is a readable one. */
async function earlierManifest(zipPath: string): Promise<{ manifest: Manifest; sha256: string } | null> {
  if (!fs.existsSync(zipPath)) return null;
  try {
    const bytes = fs.readFileSync(zipPath);
    const entry = await readZipEntry(zipPath, "manifest.json", MAX_MANIFEST_BYTES);
    if (!entry) return null;
    return { manifest: JSON.parse(entry.toString("utf8")) as Manifest, sha256: sha256(bytes) };
  } catch {
    return null;
  }
}

/**
 * Packs the submission zip. A bad student id, a missing exchange folder or a kit without
 * notebooks throws at once (before anything is written); the zip itself is streamed (yazl).
 */
export function packSubmission(o: SubmitOptions): Promise<SubmitResult> {
  if (!/^[\w.@-]+$/.test(o.student)) throw new Error(`student id ${JSON.stringify(o.student)} may hold only letters, digits, '.', '@', '_' and '-'`);
  const nbDir = path.join(o.root, "notebooks");
  // hidden files and Jupyter's checkpoint copies are not the student's work
  const notebooks = fs.existsSync(nbDir)
    ? fs.readdirSync(nbDir).filter((f) => f.endsWith(".ipynb") && !f.startsWith(".") && !f.endsWith("-checkpoint.ipynb")).sort()
    : [];
  if (notebooks.length === 0) throw new Error(`no notebooks to submit in ${nbDir}`);
  const entries: ZipEntry[] = [];
  const files: Record<string, string> = {};
  let strippedOutputs = 0;
  for (const nb of notebooks) {
    const raw = fs.readFileSync(path.join(nbDir, nb), "utf8");
    let text = raw;
    try {
      const r = stripLargeOutputs(raw);
      text = r.text;
      strippedOutputs += r.stripped;
    } catch {
      // an unreadable notebook is submitted as it is: the grader reports it, the student keeps their work
    }
    const name = `notebooks/${nb}`;
    entries.push({ name, data: text });
    files[name] = sha256(text);
  }
  const modelDir = path.join(nbDir, BONUS_MODEL_DIR);
  if (fs.existsSync(modelDir)) {
    for (const f of fs.readdirSync(modelDir).sort()) {
      const p = path.join(modelDir, f);
      if (!fs.statSync(p).isFile()) continue;
      if (fs.statSync(p).size > MAX_MODEL_FILE_BYTES) throw new Error(`${p} is larger than ${MAX_MODEL_FILE_BYTES} bytes`);
      const data = fs.readFileSync(p);
      const name = `notebooks/${BONUS_MODEL_DIR}/${f}`;
      entries.push({ name, data });
      files[name] = sha256(data);
    }
  }
  const out = path.resolve(o.out ?? path.join(o.root, `${o.assignment}-${o.student}.zip`));
  if (o.to && !fs.existsSync(o.to)) throw new Error(`exchange folder not found: ${o.to}`);
  const copiedTo = o.to ? path.join(path.resolve(o.to), path.basename(out)) : undefined;
  return writeSubmission(o, out, copiedTo, entries, files, strippedOutputs);
}

/** The part of packSubmission that waits: reading the earlier manifest, streaming the zip, copying it. */
async function writeSubmission(
  o: SubmitOptions, out: string, copiedTo: string | undefined, entries: ZipEntry[], files: Record<string, string>, strippedOutputs: number,
): Promise<SubmitResult> {
  // the history follows the latest earlier zip: in the exchange folder if that is where it went
  const earlier = (copiedTo ? await earlierManifest(copiedTo) : null) ?? (await earlierManifest(out));
  const history = earlier ? [...(earlier.manifest.history ?? []), { timestamp: earlier.manifest.timestamp, sha256: earlier.sha256 }] : [];
  const manifest: Manifest = {
    student: o.student,
    assignment: o.assignment,
    timestamp: (o.now ?? new Date()).toISOString(),
    kitVersion: o.kitVersion,
    files,
    history,
  };
  entries.push({ name: "manifest.json", data: JSON.stringify(manifest, null, 2) + "\n" });
  // mode 0644, renamed into place: readable by others, writable by no one else, never half-written
  await writeZip(out, entries);
  if (copiedTo) {
    if (path.resolve(copiedTo) !== out) {
      fs.copyFileSync(out, `${copiedTo}.tmp-${process.pid}`);
      fs.renameSync(`${copiedTo}.tmp-${process.pid}`, copiedTo);
    }
  }
  return { zip: out, copiedTo, manifest, strippedOutputs };
}
