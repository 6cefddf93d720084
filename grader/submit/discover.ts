/**
 * Finds the submissions in a folder the instructor hands to `grade`, in any of three layouts:
 *   - submission zips made by `npm run submit` (student id from the zip's file name,
 *     `<assignment>-<student>.zip` or `<student>.zip`; never from the manifest inside);
 *   - loose notebooks named `<student>_<notebook stem>.ipynb` (or `<student>.ipynb` when the
 *     assignment has one notebook);
 *   - an LMS bulk download: one folder per student holding a zip or the notebooks
 *     (student id = the folder name, submission time = the LMS's file time).
 * Every other entry (a stray file, a symlink, a notebook named for no exercise) is a submission
 * too, with the reason it cannot be graded, so it gets a gradebook row. Ids are kept whole
 * (grader/core/student-id.ts). Nothing here opens a zip: grader/submit/intake.ts reads each submission in
 * a worker thread with limits, and checks its manifest's assignment and kit version.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { studentIdFrom } from "../core/student-id";

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
  /** Always null at discovery (a manifest is read at intake, as data: never for identity or time). */
  manifest: Manifest | null;
  /** Set when the submission cannot be graded at all (corrupt zip, bad manifest, not a submission). */
  problem?: string;
  /** The gradebook status of such a submission (default "corrupt"). */
  problemStatus?: "corrupt" | "invalid" | "missing";
  /** What discovery set aside for this student (older copies), for the gradebook's log. */
  notes?: string[];
}

export const ZIP_LIMITS = { maxEntries: 2000, maxTotalBytes: 300 * 1024 * 1024 };

const sha256 = (data: Buffer | string): string => crypto.createHash("sha256").update(data).digest("hex");

/**
 * Kept for callers that want the old behaviour's name; ids are no longer cleaned lossily.
 * @deprecated use studentIdFrom (ids keep their Unicode and punctuation)
 */
export function cleanStudentId(raw: string): string {
  return studentIdFrom(raw);
}

function isManifest(v: unknown): v is Manifest {
  if (typeof v !== "object" || v === null) return false;
  const m = v as Record<string, unknown>;
  return typeof m.student === "string" && m.student.length > 0 && typeof m.timestamp === "string" &&
    !Number.isNaN(Date.parse(m.timestamp)) && typeof m.files === "object" && m.files !== null;
}

/**
 * Validates a parsed manifest and builds it field by field (nothing else of what the student
 * wrote is kept); throws with the reason when a required field is missing. The manifest is
 * data: neither its student nor its timestamp decides who the submission is from or when.
 */
export function manifestFrom(parsed: unknown): Manifest {
  if (!isManifest(parsed)) throw new Error("manifest.json lacks student, timestamp or files");
  const files: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed.files as Record<string, unknown>)) if (typeof v === "string") files[k] = v;
  const history = Array.isArray(parsed.history)
    ? (parsed.history as unknown[]).filter((h): h is { timestamp: string; sha256: string } =>
      typeof h === "object" && h !== null && typeof (h as { timestamp?: unknown }).timestamp === "string" &&
      typeof (h as { sha256?: unknown }).sha256 === "string").map((h) => ({ timestamp: h.timestamp, sha256: h.sha256 }))
    : [];
  return {
    student: parsed.student, assignment: typeof parsed.assignment === "string" ? parsed.assignment : "",
    timestamp: parsed.timestamp, kitVersion: typeof parsed.kitVersion === "string" ? parsed.kitVersion : "", files, history,
  };
}

/** Options of discovery. */
export interface DiscoverOptions {
  /** The assignment's name: a zip named `<assignment>-<id>.zip` (as `submit` names it) is student `<id>`. */
  assignment?: string;
}

function base(student: string, kind: DiscoveredSubmission["kind"], source: string, files: string[], contentHash: string,
  submittedAt: string | null): DiscoveredSubmission {
  return { student, kind, source, files, contentHash, submittedAt, timeSource: submittedAt ? "file" : null, manifest: null, notes: [] };
}

/** A submission zip: the id is its name (or its folder's), the time the file's; the zip is read later (intake). */
function fromZip(zipPath: string, student: string, kind: DiscoveredSubmission["kind"]): DiscoveredSubmission {
  const st = fs.statSync(zipPath);
  // the content hash streams the file: a huge zip is never held in memory here
  return base(student, kind, zipPath, [zipPath], fileSha256(zipPath), st.mtime.toISOString());
}

function fileSha256(file: string): string {
  const h = crypto.createHash("sha256");
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.alloc(1 << 20);
    let n: number;
    while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest("hex");
}

function fromNotebooks(student: string, files: string[], kind: DiscoveredSubmission["kind"], source: string): DiscoveredSubmission {
  const sorted = [...files].sort();
  const hash = sha256(sorted.map((f) => `${path.basename(f)}:${fileSha256(f)}`).join("\n"));
  const latest = Math.max(...sorted.map((f) => fs.statSync(f).mtimeMs));
  return base(student, kind, source, sorted, hash, new Date(latest).toISOString());
}

/** An entry that cannot be graded, kept as a submission so that it gets a gradebook row with the reason. */
function unusable(student: string, kind: DiscoveredSubmission["kind"], source: string, status: "corrupt" | "invalid" | "missing",
  problem: string): DiscoveredSubmission {
  let submittedAt: string | null = null;
  try {
    submittedAt = fs.lstatSync(source).mtime.toISOString();
  } catch {
    // gone while we looked: no time
  }
  return { ...base(student, kind, source, [], sha256(`${status}:${source}:${problem}`), submittedAt), problem, problemStatus: status };
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
    else if (e.isFile()) out.push(p); // a symlink is never followed: it could point at another student's work
  }
  return out;
}

/** The id a submission zip's file name gives: `<assignment>-<id>.zip` as `submit` names it, else the name. */
function zipStudent(name: string, assignment: string | undefined): string {
  const stem = name.replace(/\.zip$/i, "") || name;
  const prefix = assignment ? `${assignment}-` : "";
  return studentIdFrom(prefix && stem.startsWith(prefix) && stem.length > prefix.length ? stem.slice(prefix.length) : stem);
}

/**
 * All submissions in `dir`, one per student. The student is always who the submission's place
 * says: the file name or the LMS folder, never a name inside it. Every entry of the folder
 * (but hidden files) becomes a submission: one that cannot be graded carries `problem`, so it
 * gets a gradebook row with the reason. When one student has several entries, the latest is
 * graded and the others are named in its `notes` (and in `ignored`).
 */
export function discoverSubmissions(dir: string, notebooks: string[], opts: DiscoverOptions = {}): { submissions: DiscoveredSubmission[]; ignored: string[] } {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`submissions folder not found: ${dir}`);
  const found: DiscoveredSubmission[] = [];
  const ignored: string[] = [];
  const loose = new Map<string, string[]>();
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    // hidden entries (.DS_Store, .ipynb_checkpoints, the grader's own .grader-work) are no one's
    // submission, unless they are a zip or a notebook: those are graded like any other
    if (e.name.startsWith(".") && !(e.isFile() && /\.(zip|ipynb)$/i.test(e.name))) {
      ignored.push(`${p}: a hidden file or folder`);
      continue;
    }
    // the name without its extension; the whole name when that leaves nothing (".zip")
    const stem = studentIdFrom(e.name.replace(/\.(zip|ipynb)$/i, "") || e.name);
    try {
      if (e.isFile() && /\.zip$/i.test(e.name)) {
        found.push(fromZip(p, zipStudent(e.name, opts.assignment), "zip"));
      } else if (e.isFile() && /\.ipynb$/i.test(e.name)) {
        const split = splitNotebookName(e.name.replace(/\.ipynb$/i, ".ipynb"), notebooks);
        if (!split) {
          found.push(unusable(stem, "notebooks", p, "invalid",
            `${e.name}: the name matches no notebook of the assignment (${notebooks.join(", ")}); name it <student>_<notebook>`));
          continue;
        }
        const student = studentIdFrom(split.student || e.name);
        loose.set(student, [...(loose.get(student) ?? []), p]);
      } else if (e.isDirectory()) {
        const student = studentIdFrom(e.name);
        const files = listFilesRecursive(p);
        const zips = files.filter((f) => /\.zip$/i.test(f)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
        const nbs = files.filter((f) => /\.ipynb$/i.test(f));
        if (zips.length > 0) {
          const s = fromZip(zips[0], student, "lms-folder");
          for (const z of zips.slice(1)) {
            (s.notes ??= []).push(`${path.relative(dir, z)} not graded: older than ${path.relative(dir, zips[0])}`);
            ignored.push(`${z}: older than ${zips[0]}`);
          }
          found.push(s);
        } else if (nbs.length > 0) {
          found.push(fromNotebooks(student, nbs, "lms-folder", p));
        } else {
          found.push(unusable(student, "lms-folder", p, "missing", "the folder holds no zip and no notebook"));
        }
      } else if (e.isSymbolicLink()) {
        found.push(unusable(stem, "notebooks", p, "invalid", `${e.name} is a symbolic link: not followed (it could point at anyone's work)`));
      } else {
        found.push(unusable(stem, "notebooks", p, "invalid",
          `${e.name} is not a submission: neither a zip, a notebook (.ipynb) nor a student's folder`));
      }
    } catch (err) {
      // unreadable (permissions, removed while we looked): still a row with the reason
      found.push(unusable(stem, "notebooks", p, "corrupt", `${e.name} cannot be read: ${(err as Error).message}`));
    }
  }
  for (const [student, files] of loose) found.push(fromNotebooks(student, files, "notebooks", files[0]));
  const byStudent = new Map<string, DiscoveredSubmission>();
  for (const s of found) {
    const prev = byStudent.get(s.student);
    if (!prev) {
      byStudent.set(s.student, s);
      continue;
    }
    // the same student twice (a zip and a folder of one name): the gradable, then the latest wins
    const rank = (x: DiscoveredSubmission): string => `${x.problem ? 0 : 1}${x.submittedAt ?? ""}`;
    const [keep, drop] = rank(s) > rank(prev) ? [s, prev] : [prev, s];
    (keep.notes ??= []).push(`${path.relative(dir, drop.source)} not graded: ${s.student} also submitted ${path.relative(dir, keep.source)}, which is newer` +
      (drop.problem ? ` (and it was unusable: ${drop.problem})` : ""));
    ignored.push(`${drop.source}: an older submission of ${s.student}`);
    byStudent.set(s.student, keep);
  }
  return { submissions: [...byStudent.values()].sort((a, b) => a.student.localeCompare(b.student) || (a.student < b.student ? -1 : a.student > b.student ? 1 : 0)), ignored };
}
