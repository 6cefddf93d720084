import AdmZip from "adm-zip";
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { cleanStudentId, discoverSubmissions, splitNotebookName } from "../../../grader/submit/discover";
import { intakeSubmission } from "../../../grader/submit/intake";
import { makeZip, tmpDir } from "../../cli/helpers";

const NBS = ["01_a.ipynb", "02_b.ipynb"];
const NB = JSON.stringify({ cells: [] });

describe("submission discovery", () => {
  let dir: string;
  beforeEach(() => (dir = tmpDir("discover")));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  // issue 23.4: the student is the zip's name, never the manifest's; ids are kept whole (16.3)
  it("finds zips (student from the file name), loose notebooks and LMS folders", () => {
    makeZip(path.join(dir, "whatever.zip"), "alice", { "01_a.ipynb": NB, "02_b.ipynb": NB });
    fs.writeFileSync(path.join(dir, "bob_01_a.ipynb"), NB);
    fs.writeFileSync(path.join(dir, "bob_02_b.ipynb"), NB);
    fs.mkdirSync(path.join(dir, "Carol Smith_123_assignsubmission_file_"));
    makeZip(path.join(dir, "Carol Smith_123_assignsubmission_file_", "sub.zip"), "forged-name", { "01_a.ipynb": NB });
    fs.mkdirSync(path.join(dir, "dave", "nested"), { recursive: true });
    fs.writeFileSync(path.join(dir, "dave", "nested", "02_b.ipynb"), NB);
    const lmsTime = new Date("2026-12-03T08:00:00Z");
    fs.utimesSync(path.join(dir, "Carol Smith_123_assignsubmission_file_", "sub.zip"), lmsTime, lmsTime);
    fs.writeFileSync(path.join(dir, "notes.txt"), "x");

    const { submissions, ignored } = discoverSubmissions(dir, NBS);
    expect(submissions.map((s) => [s.student, s.kind])).to.deep.equal([
      ["bob", "notebooks"], ["Carol Smith_123_assignsubmission_file_", "lms-folder"], ["dave", "lms-folder"], ["notes.txt", "notebooks"],
      ["whatever", "zip"],
    ]);
    const whatever = submissions[4];
    // the file's time, never the manifest the student wrote
    expect(whatever.timeSource).to.equal("file");
    expect(whatever.submittedAt).to.equal(fs.statSync(path.join(dir, "whatever.zip")).mtime.toISOString());
    const carol = submissions[1];
    // the LMS's file time, not the manifest the student wrote
    expect(carol).to.include({ timeSource: "file", submittedAt: "2026-12-03T08:00:00.000Z" });
    expect(submissions[0].files.map((f) => path.basename(f))).to.deep.equal(["bob_01_a.ipynb", "bob_02_b.ipynb"]);
    // no entry is dropped: a stray file becomes a row that says why (16.3)
    expect(submissions[3].problem).to.match(/notes.txt is not a submission: neither a zip/);
    expect(ignored).to.deep.equal([]);
  });

  it("marks an unreadable zip or one without a manifest as a problem, not an exception", async () => {
    fs.writeFileSync(path.join(dir, "eve.zip"), "this is not a zip");
    const noManifest = new AdmZip();
    noManifest.addFile("notebooks/01_a.ipynb", Buffer.from(NB));
    noManifest.writeZip(path.join(dir, "frank.zip"));
    const { submissions } = discoverSubmissions(dir, NBS);
    expect(submissions.map((s) => s.student)).to.deep.equal(["eve", "frank"]);
    // zips are read at intake (in a worker with limits), not at discovery
    const [eve, frank] = await Promise.all(submissions.map((s) => intakeSubmission(s, path.join(dir, "work", s.student), NBS)));
    expect(eve).to.deep.include({ ok: false, status: "corrupt" });
    expect(!eve.ok && eve.reason).to.match(/not a readable zip/);
    expect(!frank.ok && frank.reason).to.match(/no manifest.json/);
  });

  // the same student twice is now a zip and a folder of one name (ids come from names, not manifests)
  it("keeps only the latest submission of a student", () => {
    makeZip(path.join(dir, "alice.zip"), "alice", { "01_a.ipynb": NB }, "2026-12-01T10:00:00.000Z");
    fs.mkdirSync(path.join(dir, "alice"));
    makeZip(path.join(dir, "alice", "a2.zip"), "alice", { "01_a.ipynb": "{\"cells\":[1]}" }, "2026-12-02T10:00:00.000Z");
    fs.utimesSync(path.join(dir, "alice.zip"), new Date("2026-12-01T10:00:00Z"), new Date("2026-12-01T10:00:00Z"));
    fs.utimesSync(path.join(dir, "alice", "a2.zip"), new Date("2026-12-02T10:00:00Z"), new Date("2026-12-02T10:00:00Z"));
    const { submissions, ignored } = discoverSubmissions(dir, NBS);
    expect(submissions).to.have.length(1);
    expect(path.basename(submissions[0].source)).to.equal("a2.zip");
    expect(ignored.join()).to.match(/alice.zip: an older submission of alice/);
    expect(submissions[0].notes?.join()).to.match(/alice.zip not graded/);
  });

  it("rejects a missing folder", () => {
    expect(() => discoverSubmissions(path.join(dir, "nope"), NBS)).to.throw(/submissions folder not found/);
  });

  it("names loose notebooks and student ids", () => {
    expect(splitNotebookName("x_y_01_a.ipynb", NBS)).to.deep.equal({ student: "x_y", notebook: "01_a.ipynb" });
    expect(splitNotebookName("x.ipynb", NBS)).to.equal(null);
    expect(splitNotebookName("x.ipynb", ["01_a.ipynb"])).to.deep.equal({ student: "x", notebook: "01_a.ipynb" });
    // 16.3: ids keep what they say (trimmed, NFC), and never throw
    expect(cleanStudentId(" Jane Doe (42) ")).to.equal("Jane Doe (42)");
    expect(cleanStudentId("  ")).to.equal("  ");
  });

  // unpacking now happens in the intake worker (grader/submit/intake.ts) with limits; same assertions
  it("unpacks only inside the work folder and flags files that differ from the manifest", async () => {
    const zip = new AdmZip();
    zip.addFile("notebooks/01_a.ipynb", Buffer.from(NB));
    zip.addFile("notebooks/bonus-model/model.json", Buffer.from("{}"));
    zip.addFile("manifest.json", Buffer.from(JSON.stringify({
      student: "gina", timestamp: "2026-12-01T10:00:00Z", files: { "notebooks/01_a.ipynb": "0".repeat(64) },
    })));
    // adm-zip refuses to add an escaping name; forge one in the entry after adding
    zip.addFile("evil.txt", Buffer.from("owned"));
    const evil = zip.getEntry("evil.txt");
    if (evil) evil.entryName = "../../evil.txt";
    zip.writeZip(path.join(dir, "gina.zip"));
    const { submissions } = discoverSubmissions(dir, NBS);
    const work = path.join(dir, "work", "gina");
    const un = await intakeSubmission(submissions[0], work, NBS);
    if (!un.ok) throw new Error(un.reason);
    expect(un.notebooks["01_a.ipynb"]).to.equal(path.join(work, "notebooks", "01_a.ipynb"));
    expect(un.notebooks["02_b.ipynb"]).to.equal(null);
    expect(fs.existsSync(path.join(work, "notebooks", "bonus-model", "model.json"))).to.equal(true);
    expect(fs.existsSync(path.join(dir, "evil.txt"))).to.equal(false);
    expect(fs.existsSync(path.join(dir, "work", "evil.txt"))).to.equal(false);
    expect(un.warnings.join("\n")).to.match(/unsafe path in zip: \.\.\/\.\.\/evil.txt/);
    expect(un.warnings.join("\n")).to.match(/01_a.ipynb: content differs from the manifest/);
  });
});
