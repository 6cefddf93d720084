/**
 * Student ids: taken whole from where a submission sits (the LMS folder or the file name),
 * never from inside it, and never made lossy. "Müller" and "Möller" stay two students, and
 * so do "a/b" and "a_b". An id is stored in the gradebook as it is (Unicode NFC, any length);
 * whatever the grader names after a student on disk (work folders, feedback pages) uses
 * `fileNameFor(id)`: a short, safe stem plus a hash of the whole id, so two ids never share
 * a file and a 300-character id never makes a file name too long.
 */
import * as crypto from "crypto";

/** Characters kept as they are in a file name made from an id: letters, digits and a few marks. */
const SAFE = /[\p{L}\p{M}\p{N}._@-]/u;
/** Code points of the readable part of a file name (the hash makes it unique, this only helps a human). */
const STEM_CHARS = 40;

/**
 * The student id for a name found on disk: Unicode NFC (a Mac's decomposed "Mu\u0308ller" and
 * Linux's "Müller" are one student), surrounding whitespace removed. Never throws and never
 * returns "": a name of only spaces stays as it is.
 */
export function studentIdFrom(raw: string): string {
  const id = raw.normalize("NFC").trim();
  return id === "" ? raw.normalize("NFC") : id;
}

/** sha256 of the id (its UTF-8 bytes), hex. */
function idHash(id: string): string {
  return crypto.createHash("sha256").update(id, "utf8").digest("hex");
}

/**
 * A file or folder name for a student: the readable start of the id (unsafe characters as
 * "_", at most 40 code points) and 12 hex digits of the whole id's SHA-256, e.g.
 * `Anna_Müller-3f2a9c01b7de`. Two ids give two names (short of a 48-bit hash collision); the
 * name never holds "/", "\\", NUL or a leading ".", and stays under 200 bytes.
 */
export function fileNameFor(id: string): string {
  const chars = [...id.normalize("NFC")].slice(0, STEM_CHARS).map((c) => (SAFE.test(c) ? c : "_"));
  const stem = chars.join("").replace(/^[.]+/, "_");
  return `${stem || "_"}-${idHash(id).slice(0, 12)}`;
}
