/**
 * Solution cells for a gradebook graded before `grade` stored them: the submission is found
 * again where `grade` found it (the submissions table keeps its path), recognised by its
 * content hash (a changed or re-uploaded file is never taken for the graded one), taken in
 * again by the same intake as `grade` (a worker with its limits: the files are still untrusted)
 * into a temp folder, and its cells captured into the gradebook for next time.
 */
import type Database from "better-sqlite3";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { discoverSubmissions, type DiscoveredSubmission } from "../../submit/discover";
import { intakeSubmission } from "../../submit/intake";
import { captureSolutionCells } from "./store";

/** Folders that may be the class folder `grade` was given, nearest first. */
function classFolders(source: string, kind: string): string[] {
  const dir = path.dirname(source);
  if (kind !== "lms-folder") return [dir];
  // an LMS folder: the student's folder itself, or a zip up to four levels inside it
  const out: string[] = [];
  let d = dir;
  for (let i = 0; i < 5 && d !== path.dirname(d); i++, d = path.dirname(d)) out.push(d);
  return out;
}

export class SubmissionRecovery {
  private readonly found = new Map<string, DiscoveredSubmission[]>();
  private readonly work = fs.mkdtempSync(path.join(os.tmpdir(), "similarity-recover-"));

  constructor(private readonly db: Database.Database, private readonly notebooks: string[]) {}

  private discover(dir: string): DiscoveredSubmission[] {
    let subs = this.found.get(dir);
    if (!subs) {
      try {
        subs = discoverSubmissions(dir, this.notebooks).submissions;
      } catch {
        subs = [];
      }
      this.found.set(dir, subs);
    }
    return subs;
  }

  /**
   * Captures one notebook of a stored submission from its original files; returns null when
   * done, else why it could not (files gone or changed since grading).
   */
  async recover(submissionId: number, notebook: string, masterPath: string): Promise<string | null> {
    const row = this.db.prepare("SELECT student_id, source, kind, content_hash FROM submissions WHERE id = ?").get(submissionId) as {
      student_id: string; source: string; kind: string; content_hash: string;
    } | undefined;
    if (!row) return `no submission ${submissionId}`;
    if (!fs.existsSync(row.source)) return `${row.source} is gone`;
    for (const dir of classFolders(row.source, row.kind)) {
      const sub = this.discover(dir).find((s) => s.student === row.student_id && s.contentHash === row.content_hash && !s.problem);
      if (!sub) continue;
      const target = path.join(this.work, String(submissionId));
      try {
        const taken = await intakeSubmission(sub, target, this.notebooks);
        if (!taken.ok) return `cannot unpack ${row.source}: ${taken.reason}`;
        const nb = taken.notebooks[notebook];
        if (!nb) return `${notebook} is not in ${row.source}`;
        return captureSolutionCells(this.db, submissionId, notebook, nb, masterPath);
      } catch (e) {
        return `cannot unpack ${row.source}: ${(e as Error).message}`;
      } finally {
        fs.rmSync(target, { recursive: true, force: true });
      }
    }
    return `${row.source} has changed since it was graded`;
  }

  dispose(): void {
    fs.rmSync(this.work, { recursive: true, force: true });
  }
}
