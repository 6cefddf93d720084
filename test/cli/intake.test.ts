/**
 * Taking in a class's submissions safely (issues 16.3, 16.4, 23.4), through the real `grade`
 * command on a temp folder: good submissions beside hostile and odd ones. Every entry of the
 * folder gets a gradebook row (a score or a reason), the good ones are graded normally, the
 * student is always who the file or folder name says, and nothing a submission holds stops
 * or stalls the batch.
 */
import AdmZip from "adm-zip";
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { Gradebook } from "../../grader/gradebook/gradebook";
import { intakeSubmission } from "../../grader/submit/intake";
import { jsonDepth, notebookProblem, INTAKE_LIMITS } from "../../grader/submit/intake-read";
import { discoverSubmissions } from "../../grader/submit/discover";
import { fileNameFor, studentIdFrom } from "../../grader/core/student-id";
import { FIXTURE_MASTERS, FIXTURE_SPECS, grader, masterWith, readJson, sha256, TINY, tmpDir } from "./helpers";

const master = fs.readFileSync(path.join(FIXTURE_MASTERS, TINY), "utf8");
const wrong = JSON.stringify(masterWith({
  "square-impl": "function squareAll(xs: number[]): number[] {\n  return xs;\n}",
  "scale-impl": "function scaleAll(xs: number[], factor: number): number[] {\n  return xs;\n}",
}));

interface ManifestFields {
  student?: unknown;
  assignment?: unknown;
  kitVersion?: unknown;
  timestamp?: unknown;
}

/** A submission zip as `submit` writes it, with the manifest fields given (or a raw manifest text). */
function zipWith(file: string, notebooks: Record<string, string | Buffer>, manifest: ManifestFields | string = {}): void {
  const zip = new AdmZip();
  const files: Record<string, string> = {};
  for (const [name, data] of Object.entries(notebooks)) {
    zip.addFile(`notebooks/${name}`, Buffer.isBuffer(data) ? data : Buffer.from(data));
    files[`notebooks/${name}`] = sha256(data);
  }
  const text = typeof manifest === "string" ? manifest : JSON.stringify({
    student: "someone", assignment: "tiny", timestamp: "2026-12-01T10:00:00.000Z", kitVersion: "0.1.0", files, history: [], ...manifest,
  });
  zip.addFile("manifest.json", Buffer.from(text));
  zip.writeZip(file);
}

/**
 * A zip whose one notebook entry declares 60 bytes but inflates to 40 MB: the header lies, so
 * only counting the bytes as they stream catches it.
 */
function lyingZip(file: string): void {
  zipWith(file, { [TINY]: Buffer.alloc(40 * 1024 * 1024, 0x20) });
  const buf = fs.readFileSync(file);
  const real = 40 * 1024 * 1024;
  // patch the uncompressed size in every local and central header that carries the real one
  for (let i = 0; i + 4 <= buf.length; i++) {
    if (buf.readUInt32LE(i) === real) buf.writeUInt32LE(60, i);
  }
  fs.writeFileSync(file, buf);
}

describe("intake: a class's submissions taken in safely (grade command)", function () {
  this.timeout(900_000);
  let tmp: string;
  let subs: string;
  let gbFile: string;
  let code: number | null;
  let out: string;
  let err: string;
  const longName = "Ü".repeat(120); // 240 bytes: near the file system's limit for one name
  const nfdMoeller = "Mo\u0308ller"; // as a Mac writes it

  before(() => {
    tmp = tmpDir("intake");
    subs = path.join(tmp, "subs");
    gbFile = path.join(tmp, "gradebook.sqlite");
    fs.mkdirSync(subs);
    fs.writeFileSync(path.join(tmp, "course.json"), JSON.stringify({ assignment: "tiny" }));
    // good ones: by `submit`'s name, by a Unicode name, a loose notebook in NFD, an LMS folder with spaces
    zipWith(path.join(subs, "tiny-victim.zip"), { [TINY]: master }, { student: "victim" });
    zipWith(path.join(subs, "Müller.zip"), { [TINY]: master }, { student: "Anna_M_ller" });
    fs.writeFileSync(path.join(subs, `${nfdMoeller}_01_tiny.ipynb`), master);
    fs.mkdirSync(path.join(subs, "名前 with spaces"));
    fs.writeFileSync(path.join(subs, "名前 with spaces", TINY), master);
    fs.mkdirSync(path.join(subs, longName));
    zipWith(path.join(subs, longName, "sub.zip"), { [TINY]: master }, { student: "x" });
    // a zip that names another student inside it: it must not touch victim's row
    zipWith(path.join(subs, "mallory.zip"), { [TINY]: wrong }, { student: "victim" });
    // odd names and not-submissions
    fs.writeFileSync(path.join(subs, "!!"), "not a submission");
    // another assignment, another kit, no manifest fields
    zipWith(path.join(subs, "other-assignment.zip"), { [TINY]: master }, { assignment: "another-course" });
    zipWith(path.join(subs, "old-kit.zip"), { [TINY]: master }, { kitVersion: "0.0.3" });
    // hostile: a 250 MB notebook in a small zip, a zip bomb of many big files, a lying header,
    // a manifest nested 100,000 deep, a notebook nested 100,000 deep, 100,000 cells
    zipWith(path.join(subs, "big-notebook.zip"), { [TINY]: `{"cells":[],"pad":"${" ".repeat(250 * 1024 * 1024)}"}` });
    const tenMb = Buffer.alloc(30 * 1024 * 1024, 0);
    const bomb: Record<string, Buffer> = { [TINY]: Buffer.from(master) };
    for (let i = 0; i < 12; i++) bomb[`bonus-model/w${i}.bin`] = tenMb;
    zipWith(path.join(subs, "bomb.zip"), bomb);
    lyingZip(path.join(subs, "liar.zip"));
    zipWith(path.join(subs, "deep-manifest.zip"), { [TINY]: master }, `{"student":${"[".repeat(100_000)}${"]".repeat(100_000)}}`);
    zipWith(path.join(subs, "deep-notebook.zip"), { [TINY]: `{"cells":[],"x":${"[".repeat(100_000)}${"]".repeat(100_000)}}` });
    const many = readJson<{ cells: unknown[] }>(path.join(FIXTURE_MASTERS, TINY));
    many.cells = Array.from({ length: 100_000 }, (_, i) => ({ cell_type: "markdown", id: `c${i}`, metadata: {}, source: "x" }));
    zipWith(path.join(subs, "many-cells.zip"), { [TINY]: JSON.stringify(many) });
    const outputs = readJson<{ cells: { outputs?: unknown[] }[] }>(path.join(FIXTURE_MASTERS, TINY));
    outputs.cells[1].outputs = Array.from({ length: 100_000 }, () => ({ output_type: "stream", name: "stdout", text: "x" }));
    zipWith(path.join(subs, "many-outputs.zip"), { [TINY]: JSON.stringify(outputs) });
    const entries: Record<string, string> = { [TINY]: master };
    for (let i = 0; i < 2500; i++) entries[`bonus-model/f${i}.txt`] = "x";
    zipWith(path.join(subs, "many-entries.zip"), entries);

    const r = grader(["grade", subs, "-g", gbFile, "-c", path.join(tmp, "course.json"), "--specs", FIXTURE_SPECS, "--masters", FIXTURE_MASTERS,
      "--workers", "2"]);
    ({ code, out, err } = r);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const runOf = (student: string): { status: string; score: number; reason: string | null; log: string } => {
    const gb = Gradebook.open(gbFile, "test");
    try {
      const runs = gb.currentRuns(student);
      expect(runs, `${student} has no row; students: ${JSON.stringify(gb.students())}\n${err}`).to.have.length(1);
      return runs[0];
    } finally {
      gb.close();
    }
  };

  it("finishes the batch with a row for every entry of the folder", () => {
    expect(code, `${out}\n${err}`).to.equal(3); // some are unusable: the exit code says so
    expect(out).to.match(/^17 submissions: 6 notebook runs \(graded 6, failed 0, timed out 0\), 11 corrupt or missing/m);
    const gb = Gradebook.open(gbFile, "test");
    try {
      expect(gb.students().sort()).to.deep.equal([
        "!!", "bomb", "deep-manifest", "deep-notebook", "big-notebook", "liar", "mallory", "many-cells", "many-entries", "many-outputs", "Möller", "Müller",
        "old-kit", "other-assignment", "victim", "名前 with spaces", longName,
      ].map((s) => s.normalize("NFC")).sort());
      expect(gb.jobCounts()).to.deep.include({ pending: 0, running: 0 });
    } finally {
      gb.close();
    }
  });

  it("grades the good submissions normally, whatever their names", () => {
    for (const s of ["victim", "Müller", "Möller", "名前 with spaces", longName]) {
      const r = runOf(s);
      expect(r.status, `${s}: ${r.reason}\n${r.log.slice(0, 1500)}`).to.equal("graded");
      expect(r.score, s).to.equal(3);
    }
  });

  it("keeps Unicode ids whole and in NFC: a Mac's decomposed name is the same student", () => {
    const gb = Gradebook.open(gbFile, "test");
    try {
      expect(gb.students()).to.include("M\u00f6ller");
      expect(gb.students()).not.to.include(nfdMoeller);
      expect(gb.students()).to.include("Müller");
      expect(gb.students()).not.to.include("Anna_M_ller"); // the manifest's name is never used
    } finally {
      gb.close();
    }
  });

  it("takes identity only from where a submission sits: a zip naming another student writes only its own row", () => {
    const mallory = runOf("mallory");
    expect(mallory).to.include({ status: "graded" });
    expect(mallory.score).to.be.below(3);
    const victim = runOf("victim");
    expect(victim.score).to.equal(3);
    const gb = Gradebook.open(gbFile, "test");
    try {
      expect(gb.history("victim")).to.have.length(1);
      const sources = gb.db.prepare("SELECT student_id, source FROM submissions WHERE student_id = 'victim'").all() as { source: string }[];
      expect(sources.map((s) => path.basename(s.source))).to.deep.equal(["tiny-victim.zip"]);
    } finally {
      gb.close();
    }
  });

  it("gives a file that is no submission a row that says why", () => {
    const r = runOf("!!");
    expect(r.status).to.equal("invalid");
    expect(r.reason).to.match(/!! is not a submission/);
  });

  it("marks a submission made for another assignment or kit version invalid, with the reason (16.4)", () => {
    const other = runOf("other-assignment");
    expect(other).to.include({ status: "invalid", score: 0 });
    expect(other.reason).to.match(/made for assignment "another-course", not "tiny"/);
    const old = runOf("old-kit");
    expect(old).to.include({ status: "invalid", score: 0 });
    expect(old.reason).to.match(/kit version "0.0.3"/);
  });

  it("turns oversized, bombed, lying, deep and huge submissions into rows with reasons (23.4)", () => {
    const want: Record<string, RegExp> = {
      "big-notebook": /unpacks to 250 MiB \(limit 32 MiB\)/,
      bomb: /unpacks to more than 300 MiB in all/,
      liar: /zip entry notebooks\/01_tiny.ipynb is damaged: too many bytes in the stream/,
      "deep-manifest": /manifest.json nests deeper than 64 levels/,
      "deep-notebook": /01_tiny.ipynb nests deeper than 64 levels/,
      "many-cells": /01_tiny.ipynb has 100000 cells \(limit 5000\)/,
      "many-outputs": /01_tiny.ipynb has 100000 outputs \(limit 20000\)/,
      "many-entries": /the zip has 2502 entries \(limit 2000\)/,
    };
    for (const [s, re] of Object.entries(want)) {
      const r = runOf(s);
      expect(["invalid", "corrupt"], `${s}: ${r.status}`).to.include(r.status);
      expect(r.score, s).to.equal(0);
      expect(r.reason, s).to.match(re);
    }
  });
});

describe("intake: student ids and file names", () => {
  it("keeps ids whole (NFC, trimmed) and never throws", () => {
    expect(studentIdFrom(" Jane Doe (42) ")).to.equal("Jane Doe (42)");
    expect(studentIdFrom("Mu\u0308ller")).to.equal("M\u00fcller");
    expect(studentIdFrom("!!")).to.equal("!!");
    expect(studentIdFrom("   ")).to.equal("   ");
    expect(studentIdFrom("x".repeat(300))).to.have.length(300);
  });

  it("makes a unique, safe, short file name of any id", () => {
    const ids = ["Müller", "Möller", "a/b", "a_b", "a\\b", "..", ".hidden", "!!", "", "名前", "x".repeat(300), "x".repeat(301), "a\0b", "CON"];
    const names = ids.map(fileNameFor);
    expect(new Set(names).size).to.equal(ids.length);
    for (const n of names) {
      expect(n).not.to.match(/[/\\\0]/);
      expect(n.startsWith(".")).to.equal(false);
      expect(Buffer.byteLength(n)).to.be.below(200);
    }
    expect(fileNameFor("Müller")).to.match(/^Müller-[0-9a-f]{12}$/);
    expect(fileNameFor("a/b")).not.to.equal(fileNameFor("a_b"));
  });

  it("counts JSON depth without parsing, strings skipped", () => {
    expect(jsonDepth('{"a":[1,{"b":"[[[["}]}')).to.equal(3);
    expect(jsonDepth('"\\"[["')).to.equal(0);
    expect(jsonDepth("[".repeat(1e6), 64)).to.equal(65);
  });

  it("says why a notebook is over a limit, and leaves non-JSON to the grader", () => {
    const outputs = { cells: [{ cell_type: "code", source: "", metadata: {}, outputs: Array.from({ length: 20_001 }, () => ({})) }] };
    expect(notebookProblem(JSON.stringify(outputs), "n.ipynb", INTAKE_LIMITS)).to.equal("n.ipynb has 20001 outputs (limit 20000)");
    expect(notebookProblem("not json", "n.ipynb", INTAKE_LIMITS)).to.equal(null);
    expect(notebookProblem(master, "n.ipynb", INTAKE_LIMITS)).to.equal(null);
  });

  it("survives a reader that runs out of memory, and reads the next submission normally", async () => {
    const dir = tmpDir("intake-oom");
    try {
      // a memory cap far below what the notebook needs parsed: the worker dies, the caller gets a reason
      const big = readJson<{ cells: unknown[] }>(path.join(FIXTURE_MASTERS, TINY));
      big.cells = Array.from({ length: 4000 }, (_, i) => ({ cell_type: "code", id: `c${i}`, metadata: {}, source: "x".repeat(2000), outputs: [] }));
      zipWith(path.join(dir, "hog.zip"), { [TINY]: JSON.stringify(big) });
      zipWith(path.join(dir, "fine.zip"), { [TINY]: master });
      const { submissions } = discoverSubmissions(dir, [TINY]);
      const hog = await intakeSubmission(submissions[1], path.join(dir, "w1"), [TINY], { limits: { memoryMb: 8 } });
      expect(hog.ok).to.equal(false);
      expect(!hog.ok && hog.reason).to.match(/needed more than 8 MB of memory \(limit\)/);
      const fine = await intakeSubmission(submissions[0], path.join(dir, "w2"), [TINY]);
      expect(fine.ok && fine.notebooks[TINY]).to.equal(path.join(dir, "w2", "notebooks", TINY));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("intake: names that leave nothing or start with a dot", () => {
  it("gives every entry a non-empty id, and skips only hidden non-submissions", () => {
    const dir = tmpDir("intake-names");
    try {
      fs.writeFileSync(path.join(dir, ".ipynb"), master);
      zipWith(path.join(dir, ".zip"), { [TINY]: master });
      zipWith(path.join(dir, ".hidden-student.zip"), { [TINY]: master });
      fs.writeFileSync(path.join(dir, ".DS_Store"), "junk");
      fs.mkdirSync(path.join(dir, ".ipynb_checkpoints"));
      const { submissions, ignored } = discoverSubmissions(dir, [TINY], { assignment: "tiny" });
      expect(submissions.map((s) => s.student).sort()).to.deep.equal([".hidden-student", ".ipynb", ".zip"]);
      expect(ignored.map((i) => path.basename(i.split(":")[0])).sort()).to.deep.equal([".DS_Store", ".ipynb_checkpoints"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("intake: a zip whose entries clash on disk", () => {
  it("ends with a reason, not an unhandled error", async () => {
    const dir = tmpDir("intake-clash");
    try {
      zipWith(path.join(dir, "clash.zip"), { "bonus-model": "x", "bonus-model/w.bin": "y" });
      const s = discoverSubmissions(dir, [TINY], { assignment: "tiny" }).submissions[0];
      const r = await intakeSubmission(s, path.join(dir, "w"), [TINY]);
      expect(r).to.deep.include({ ok: false, status: "corrupt" });
      expect(!r.ok && r.reason).to.match(/cannot read the submission: EEXIST/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
