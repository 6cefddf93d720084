/**
 * Writing zips (the student's submission, the Gradescope autograder) with yazl, which streams
 * each entry to the file instead of assembling the whole archive in memory, and reading one
 * small entry back from a zip the kit wrote itself (yauzl). Untrusted zips are read elsewhere,
 * with limits (intake-read.ts).
 */
import * as fs from "fs";
import * as path from "path";
import * as yauzl from "yauzl";
import * as yazl from "yazl";

/** One entry of a zip to write: its bytes, or a file on disk to stream in. */
export interface ZipEntry {
  /** Path inside the zip, with forward slashes (any Unicode: yazl stores names as UTF-8). */
  name: string;
  data?: Buffer | string;
  file?: string;
  /** Unix permission bits (e.g. 0o755 for a script Gradescope runs); default 0o644. */
  mode?: number;
}

/**
 * Writes `entries` into a zip at `out` (through a temporary file renamed at the end, so a
 * half-written zip never carries the real name) with mode 0644; resolves to the names written.
 */
export function writeZip(out: string, entries: ZipEntry[]): Promise<string[]> {
  const zip = new yazl.ZipFile();
  for (const e of entries) {
    const options = { mode: 0o100000 | (e.mode ?? 0o644) };
    if (e.file !== undefined) zip.addFile(e.file, e.name, options);
    else zip.addBuffer(typeof e.data === "string" ? Buffer.from(e.data) : e.data ?? Buffer.alloc(0), e.name, options);
  }
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  return new Promise<string[]>((resolve, reject) => {
    const sink = fs.createWriteStream(tmp, { mode: 0o644 });
    let failed = false;
    const fail = (err: Error): void => {
      if (failed) return;
      failed = true;
      sink.destroy();
      fs.rmSync(tmp, { force: true });
      reject(err);
    };
    zip.on("error", fail);
    zip.outputStream.on("error", fail);
    sink.on("error", fail);
    sink.on("close", () => {
      if (failed) return;
      try {
        fs.chmodSync(tmp, 0o644); // the umask may have taken bits away; others may read, no one else writes
        fs.renameSync(tmp, out);
        resolve(entries.map((e) => e.name));
      } catch (err) {
        fail(err as Error);
      }
    });
    zip.outputStream.pipe(sink);
    zip.end();
  });
}

/**
 * The bytes of the entry `name` in the zip at `file`, or null when the zip has no such entry
 * or it is larger than `maxBytes`. Meant for zips the kit wrote (e.g. an earlier submission's
 * manifest); it rejects when the file is not a readable zip.
 */
export function readZipEntry(file: string, name: string, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error(`cannot open ${file}`));
      let settled = false;
      const settle = (value: Buffer | null, error?: Error): void => {
        if (settled) return;
        settled = true;
        zip.close();
        if (error) reject(error);
        else resolve(value);
      };
      zip.on("error", (e: Error) => settle(null, e));
      zip.on("end", () => settle(null));
      zip.on("entry", (entry: yauzl.Entry) => {
        if (entry.fileName !== name) return zip.readEntry();
        if (entry.uncompressedSize > maxBytes) return settle(null);
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return settle(null, e ?? new Error(`cannot read ${name} in ${file}`));
          const chunks: Buffer[] = [];
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.on("error", (se: Error) => settle(null, se));
          stream.on("end", () => settle(Buffer.concat(chunks)));
        });
      });
      zip.readEntry();
    });
  });
}
