/** Shared helpers of the CLI tests: temp folders, notebooks and submission zips. */
import AdmZip from "adm-zip";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { KIT_ROOT } from "../../grader/core/version";

export const FIXTURE = path.resolve(__dirname, "../fixtures/cli/assignment");
export const FIXTURE_SPECS = path.join(FIXTURE, "specs");
export const FIXTURE_MASTERS = path.join(FIXTURE, "notebooks");
export const TINY = "01_tiny.ipynb";

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

export const sha256 = (data: Buffer | string): string => crypto.createHash("sha256").update(data).digest("hex");

export interface NotebookJsonLike {
  cells: { id?: string; cell_type: string; source: string | string[]; metadata: Record<string, unknown>; outputs?: unknown[] }[];
  [key: string]: unknown;
}

export function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, "utf8")) as T;
}

/** The fixture master with a cell's source replaced. */
export function masterWith(replace: Record<string, string>): NotebookJsonLike {
  const nb = readJson<NotebookJsonLike>(path.join(FIXTURE_MASTERS, TINY));
  for (const c of nb.cells) if (c.id && replace[c.id] !== undefined) c.source = replace[c.id];
  return nb;
}

/** A submission zip as `submit` writes it, with the given notebooks. */
export function makeZip(file: string, student: string, notebooks: Record<string, string>, timestamp = "2026-12-01T10:00:00.000Z"): void {
  const zip = new AdmZip();
  const files: Record<string, string> = {};
  for (const [name, text] of Object.entries(notebooks)) {
    zip.addFile(`notebooks/${name}`, Buffer.from(text));
    files[`notebooks/${name}`] = sha256(text);
  }
  zip.addFile("manifest.json", Buffer.from(JSON.stringify({ student, assignment: "tiny", timestamp, kitVersion: "0.1.0", files, history: [] })));
  zip.writeZip(file);
}

/** Runs the grader CLI as scripts do; returns its exit code and output. */
export function grader(args: string[], cwd = KIT_ROOT, env: NodeJS.ProcessEnv = {}): { code: number | null; out: string; err: string } {
  // the CLI of the kit the command runs in (the student kit has its own copy)
  const r = spawnSync(process.execPath, ["-r", "tsx/cjs", path.join(cwd, "grader", "cli", "main.ts"), ...args], {
    cwd, encoding: "utf8", env: { ...process.env, ...env }, timeout: 600_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

