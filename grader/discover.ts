/**
 * Finds the submissions in a folder the instructor hands to `grade`, in any of three layouts:
 *   - submission zips made by `npm run submit` (student id from the zip's manifest);
 *   - loose notebooks named `<student>_<notebook stem>.ipynb` (or `<student>.ipynb` when the
 *     assignment has one notebook);
 *   - an LMS bulk download: one folder per student holding a zip or the notebooks
 *     (student id = the folder name, submission time = the LMS's file time).
 * and unpacks one safely (no path escapes, bounded size) into a work folder for grading.
 */
import AdmZip from "adm-zip";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/** The manifest `submit` writes into every submission zip. */
export interface Manifest {
  student: string;
  assignment: string;
  timestamp: string;
  kitVersion: string;
  files: Record<string, string>;
  history: { timestamp: string; sha256: string }[];
}

export interface DiscoveredSubmission {
  student: string;
  kind: "zip" | "notebooks" | "lms-folder";
  /** The zip, the notebooks or the student's folder. */
  source: string;
  /** The files that make up the submission (one zip, or notebooks). */
  files: string[];
  contentHash: string;
  submittedAt: string | null;
  timeSource: "manifest" | "file" | null;
  manifest: Manifest | null;
  /** Set when the submission cannot be read at all (corrupt zip, bad manifest). */
  problem?: string;
}

/** What an unpacked submission offers the grader. */
export interface Unpacked {
  /** notebook file name (as in the spec) -> path of the student's copy, or null when it is missing */
  notebooks: Record<string, string | null>;
  /** Warnings worth keeping in the log (e.g. a file whose hash differs from the manifest). */
  warnings: string[];
}

/** Limits on what an untrusted zip may unpack to. */
export const ZIP_LIMITS = { maxEntries: 2000, maxTotalBytes: 300 * 1024 * 1024 };

const sha256 = (data: Buffer | string): string => crypto.createHash("sha256").update(data).digest("hex");

/** A file name made safe as a student id (the LMS's folder names carry spaces and punctuation). */
export function cleanStudentId(raw: string): string {
  const id = raw.trim().replace(/[^\w.@-]+/g, "_").replace(/^_+|_+$/g, "");
  if (!id) throw new Error(`cannot derive a student id from ${JSON.stringify(raw)}`);
  return id;
}

function isManifest(v: unknown): v is Manifest {
  if (typeof v !== "object" || v === null) return false;
  const m = v as Record<string, unknown>;
  return typeof m.student === "string" && m.student.length > 0 && typeof m.timestamp === "string" &&
    !Number.isNaN(Date.parse(m.timestamp)) && typeof m.files === "object" && m.files !== null;
}

/** Reads a submission zip's manifest; throws with the reason when the zip or manifest is unusable. */
export function readZipManifest(zipPath: string): Manifest {
  let zip: AdmZip;
  try {
    zip = new AdmZip(zipPath);
  } catch (e) {
    throw new Error(`not a readable zip: ${(e as Error).message}`);
  }
  const entry = zip.getEntry("manifest.json");
  if (!entry) throw new Error("the zip has no manifest.json (was it made by `npm run submit`?)");
  let parsed: unknown;
  try {
    parsed = JSON.parse(entry.getData().toString("utf8"));
  } catch (e) {
    throw new Error(`manifest.json is not valid JSON: ${(e as Error).message}`);
  }
  if (!isManifest(parsed)) throw new Error("manifest.json lacks student, timestamp or files");
  return { ...parsed, history: Array.isArray(parsed.history) ? parsed.history : [], kitVersion: String(parsed.kitVersion ?? ""),
    assignment: String(parsed.assignment ?? "") };
}

function fromZip(zipPath: string, fallbackId: string, kind: DiscoveredSubmission["kind"], fileTime: boolean): DiscoveredSubmission {
  const bytes = fs.readFileSync(zipPath);
  const mtime = fs.statSync(zipPath).mtime.toISOString();
  const base: DiscoveredSubmission = {
    student: cleanStudentId(fallbackId),
    kind,
    source: zipPath,
    files: [zipPath],
    contentHash: sha256(bytes),
    submittedAt: mtime,
    timeSource: "file",
    manifest: null,
  };
  try {
    const manifest = readZipManifest(zipPath);
    // an LMS sets the file time itself; a student could forge the manifest, so the LMS time wins
    const useManifestTime = !fileTime;
    return {
      ...base,
      student: kind === "lms-folder" ? base.student : cleanStudentId(manifest.student),
      manifest,
      submittedAt: useManifestTime ? new Date(manifest.timestamp).toISOString() : mtime,
      timeSource: useManifestTime ? "manifest" : "file",
    };
  } catch (e) {
    return { ...base, problem: `corrupt submission ${path.basename(zipPath)}: ${(e as Error).message}` };
  }
}

function fromNotebooks(student: string, files: string[], kind: DiscoveredSubmission["kind"], source: string): DiscoveredSubmission {
  const sorted = [...files].sort();
  const hash = sha256(sorted.map((f) => `${path.basename(f)}:${sha256(fs.readFileSync(f))}`).join("\n"));
  const latest = Math.max(...sorted.map((f) => fs.statSync(f).mtimeMs));
  return {
    student: cleanStudentId(student),
    kind,
    source,
    files: sorted,
    contentHash: hash,
    submittedAt: new Date(latest).toISOString(),
    timeSource: "file",
    manifest: null,
  };
}

/** The notebook a loose file belongs to and the student prefix of its name, or null. */
export function splitNotebookName(file: string, notebooks: string[]): { student: string; notebook: string } | null {
  const base = path.basename(file, ".ipynb");
  for (const nb of notebooks) {
    const stem = path.basename(nb, ".ipynb");
    for (const sep of ["__", "_", "-", "."]) {
      if (base.endsWith(sep + stem) && base.length > stem.length + sep.length) {
        return { student: base.slice(0, -(stem.length + sep.length)), notebook: nb };
      }
    }
  }
  if (notebooks.length === 1) return { student: base, notebook: notebooks[0] };
  return null;
}

function listFilesRecursive(dir: string, depth = 0): string[] {
  if (depth > 4) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFilesRecursive(p, depth + 1));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/**
 * All submissions in `dir`, one per student (when a student appears more than once, the
 * latest submission wins and the others are reported in `ignored`).
 */
export function discoverSubmissions(dir: string, notebooks: string[]): { submissions: DiscoveredSubmission[]; ignored: string[] } {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`submissions folder not found: ${dir}`);
  const found: DiscoveredSubmission[] = [];
  const ignored: string[] = [];
  const loose = new Map<string, string[]>();
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.name.startsWith(".")) continue;
    if (e.isFile() && e.name.endsWith(".zip")) {
      found.push(fromZip(p, e.name.replace(/\.zip$/, ""), "zip", false));
    } else if (e.isFile() && e.name.endsWith(".ipynb")) {
      const split = splitNotebookName(e.name, notebooks);
      if (!split) {
        ignored.push(`${p}: the name matches no notebook of the assignment (${notebooks.join(", ")})`);
        continue;
      }
      loose.set(split.student, [...(loose.get(split.student) ?? []), p]);
    } else if (e.isDirectory()) {
      const files = listFilesRecursive(p);
      const zips = files.filter((f) => f.endsWith(".zip")).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
      const nbs = files.filter((f) => f.endsWith(".ipynb"));
      if (zips.length > 0) {
        found.push(fromZip(zips[0], e.name, "lms-folder", true));
        for (const z of zips.slice(1)) ignored.push(`${z}: older than ${zips[0]}`);
      } else if (nbs.length > 0) {
        found.push(fromNotebooks(e.name, nbs, "lms-folder", p));
      } else {
        found.push({
          student: cleanStudentId(e.name), kind: "lms-folder", source: p, files: [], contentHash: sha256(`empty:${e.name}`),
          submittedAt: null, timeSource: null, manifest: null, problem: "the folder holds no zip and no notebook",
        });
      }
    } else {
      ignored.push(`${p}: neither a zip, a notebook nor a student folder`);
    }
  }
  for (const [student, files] of loose) found.push(fromNotebooks(student, files, "notebooks", files[0]));
  const byStudent = new Map<string, DiscoveredSubmission>();
  for (const s of found) {
    const prev = byStudent.get(s.student);
    if (!prev) byStudent.set(s.student, s);
    else {
      const newer = (s.submittedAt ?? "") > (prev.submittedAt ?? "") ? s : prev;
      byStudent.set(s.student, newer);
      ignored.push(`${(newer === s ? prev : s).source}: an older submission of ${s.student}`);
    }
  }
  return { submissions: [...byStudent.values()].sort((a, b) => a.student.localeCompare(b.student)), ignored };
}

/** A zip entry name made relative and checked to stay inside the target (no zip-slip). */
function safeEntryName(name: string): string | null {
  const norm = path.posix.normalize(name.replace(/\\/g, "/"));
  if (norm.startsWith("/") || norm.startsWith("..") || norm.includes("/../") || /^[a-zA-Z]:/.test(norm)) return null;
  return norm;
}

/**
 * Unpacks a submission into `workDir` (notebooks/ and the files beside them, e.g. the bonus
 * model) and says where each of the assignment's notebooks is. Throws for an unusable zip.
 */
export function unpackSubmission(s: DiscoveredSubmission, workDir: string, notebooks: string[]): Unpacked {
  const nbDir = path.join(workDir, "notebooks");
  fs.rmSync(workDir, { recursive: true, force: true });
  fs.mkdirSync(nbDir, { recursive: true });
  const warnings: string[] = [];
  if (s.kind !== "notebooks" && s.files.length === 1 && s.files[0].endsWith(".zip")) {
    const zip = new AdmZip(s.files[0]);
    const entries = zip.getEntries();
    if (entries.length > ZIP_LIMITS.maxEntries) throw new Error(`the zip has ${entries.length} entries (limit ${ZIP_LIMITS.maxEntries})`);
    const total = entries.reduce((n, e) => n + e.header.size, 0);
    if (total > ZIP_LIMITS.maxTotalBytes) throw new Error(`the zip unpacks to ${total} bytes (limit ${ZIP_LIMITS.maxTotalBytes})`);
    for (const e of entries) {
      if (e.isDirectory) continue;
      const name = safeEntryName(e.entryName);
      if (!name) {
        warnings.push(`skipped unsafe path in zip: ${e.entryName}`);
        continue;
      }
      const rel = name.startsWith("notebooks/") ? name.slice("notebooks/".length) : name;
      if (rel === "manifest.json" || rel === "") continue;
      const data = e.getData();
      if (data.length !== e.header.size) throw new Error(`zip entry ${e.entryName} is damaged`);
      const expected = s.manifest?.files[name];
      if (expected && expected !== sha256(data)) warnings.push(`${name}: content differs from the manifest's SHA-256`);
      const target = path.join(nbDir, rel);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, data);
    }
  } else {
    for (const f of s.files) {
      const split = splitNotebookName(f, notebooks);
      const name = split ? split.notebook : path.basename(f);
      fs.copyFileSync(f, path.join(nbDir, name));
    }
  }
  const located: Record<string, string | null> = {};
  for (const nb of notebooks) {
    const p = path.join(nbDir, nb);
    located[nb] = fs.existsSync(p) ? p : null;
  }
  return { notebooks: located, warnings };
}
