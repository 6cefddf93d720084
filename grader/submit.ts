/**
 * The student's `submit`: packs the notebooks (outputs kept, oversized outputs stripped), the
 * saved bonus model and a manifest (student id, assignment, timestamp, SHA-256 of each file,
 * kit version, and the hashes of earlier submissions) into one zip for the LMS, or copies it
 * into an exchange folder. Running the public checks first is the command's job (commands/submit.ts).
 */
import AdmZip from "adm-zip";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { Manifest } from "./discover";

/** The folder beside the notebooks where the bonus cell saves its model (grader/bonus.ts's BONUS_DIR). */
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

/** The manifest of an earlier submission zip, if there is a readable one. */
function earlierManifest(zipPath: string): { manifest: Manifest; sha256: string } | null {
  if (!fs.existsSync(zipPath)) return null;
  try {
    const bytes = fs.readFileSync(zipPath);
    const entry = new AdmZip(bytes).getEntry("manifest.json");
    if (!entry) return null;
    return { manifest: JSON.parse(entry.getData().toString("utf8")) as Manifest, sha256: sha256(bytes) };
  } catch {
    return null;
  }
}

/** Packs the submission zip; throws when there is no notebook to submit. */
export function packSubmission(o: SubmitOptions): SubmitResult {
  if (!/^[\w.@-]+$/.test(o.student)) throw new Error(`student id ${JSON.stringify(o.student)} may hold only letters, digits, '.', '@', '_' and '-'`);
  const nbDir = path.join(o.root, "notebooks");
  // hidden files and Jupyter's checkpoint copies are not the student's work
  const notebooks = fs.existsSync(nbDir)
    ? fs.readdirSync(nbDir).filter((f) => f.endsWith(".ipynb") && !f.startsWith(".") && !f.endsWith("-checkpoint.ipynb")).sort()
    : [];
  if (notebooks.length === 0) throw new Error(`no notebooks to submit in ${nbDir}`);
  const zip = new AdmZip();
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
    zip.addFile(name, Buffer.from(text));
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
      zip.addFile(name, data);
      files[name] = sha256(data);
    }
  }
  const out = path.resolve(o.out ?? path.join(o.root, `${o.assignment}-${o.student}.zip`));
  if (o.to && !fs.existsSync(o.to)) throw new Error(`exchange folder not found: ${o.to}`);
  const copiedTo = o.to ? path.join(path.resolve(o.to), path.basename(out)) : undefined;
  // the history follows the latest earlier zip: in the exchange folder if that is where it went
  const earlier = (copiedTo ? earlierManifest(copiedTo) : null) ?? earlierManifest(out);
  const history = earlier ? [...(earlier.manifest.history ?? []), { timestamp: earlier.manifest.timestamp, sha256: earlier.sha256 }] : [];
  const manifest: Manifest = {
    student: o.student,
    assignment: o.assignment,
    timestamp: (o.now ?? new Date()).toISOString(),
    kitVersion: o.kitVersion,
    files,
    history,
  };
  zip.addFile("manifest.json", Buffer.from(JSON.stringify(manifest, null, 2) + "\n"));
  const tmp = `${out}.tmp-${process.pid}`;
  zip.writeZip(tmp);
  fs.chmodSync(tmp, 0o644); // adm-zip writes 0666: a submission is the student's, readable by others, writable by no one else
  fs.renameSync(tmp, out); // never a half-written zip under the real name
  if (copiedTo) {
    if (path.resolve(copiedTo) !== out) {
      fs.copyFileSync(out, `${copiedTo}.tmp-${process.pid}`);
      fs.renameSync(`${copiedTo}.tmp-${process.pid}`, copiedTo);
    }
  }
  return { zip: out, copiedTo, manifest, strippedOutputs };
}
