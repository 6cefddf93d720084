import AdmZip from "adm-zip";
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { cleanStudentId, discoverSubmissions, splitNotebookName, unpackSubmission } from "../../../grader/discover";
import { makeZip, tmpDir } from "../../cli/helpers";

const NBS = ["01_a.ipynb", "02_b.ipynb"];
const NB = JSON.stringify({ cells: [] });

describe("submission discovery", () => {
  let dir: string;
  beforeEach(() => (dir = tmpDir("discover")));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("finds zips (student from the manifest), loose notebooks and LMS folders", () => {
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
      ["alice", "zip"], ["bob", "notebooks"], ["Carol_Smith_123_assignsubmission_file", "lms-folder"], ["dave", "lms-folder"],
    ]);
    const alice = submissions[0];
    expect(alice.timeSource).to.equal("manifest");
    expect(alice.submittedAt).to.equal("2026-12-01T10:00:00.000Z");
    const carol = submissions[2];
    // the LMS's file time, not the manifest the student wrote
    expect(carol).to.include({ timeSource: "file", submittedAt: "2026-12-03T08:00:00.000Z" });
    expect(submissions[1].files.map((f) => path.basename(f))).to.deep.equal(["bob_01_a.ipynb", "bob_02_b.ipynb"]);
    expect(ignored.join("\n")).to.match(/notes.txt: neither a zip/);
  });

  it("marks an unreadable zip or one without a manifest as a problem, not an exception", () => {
    fs.writeFileSync(path.join(dir, "eve.zip"), "this is not a zip");
    const noManifest = new AdmZip();
    noManifest.addFile("notebooks/01_a.ipynb", Buffer.from(NB));
    noManifest.writeZip(path.join(dir, "frank.zip"));
    const { submissions } = discoverSubmissions(dir, NBS);
    expect(submissions.map((s) => s.student)).to.deep.equal(["eve", "frank"]);
    expect(submissions[0].problem).to.match(/corrupt submission eve.zip: not a readable zip/);
    expect(submissions[1].problem).to.match(/no manifest.json/);
  });

  it("keeps only the latest submission of a student", () => {
    makeZip(path.join(dir, "a1.zip"), "alice", { "01_a.ipynb": NB }, "2026-12-01T10:00:00.000Z");
    makeZip(path.join(dir, "a2.zip"), "alice", { "01_a.ipynb": "{\"cells\":[1]}" }, "2026-12-02T10:00:00.000Z");
    const { submissions, ignored } = discoverSubmissions(dir, NBS);
    expect(submissions).to.have.length(1);
    expect(path.basename(submissions[0].source)).to.equal("a2.zip");
    expect(ignored.join()).to.match(/a1.zip: an older submission of alice/);
  });

  it("rejects a missing folder", () => {
    expect(() => discoverSubmissions(path.join(dir, "nope"), NBS)).to.throw(/submissions folder not found/);
  });

  it("names loose notebooks and student ids", () => {
    expect(splitNotebookName("x_y_01_a.ipynb", NBS)).to.deep.equal({ student: "x_y", notebook: "01_a.ipynb" });
    expect(splitNotebookName("x.ipynb", NBS)).to.equal(null);
    expect(splitNotebookName("x.ipynb", ["01_a.ipynb"])).to.deep.equal({ student: "x", notebook: "01_a.ipynb" });
    expect(cleanStudentId(" Jane Doe (42) ")).to.equal("Jane_Doe_42");
    expect(() => cleanStudentId("  ")).to.throw(/cannot derive a student id/);
  });

  it("unpacks only inside the work folder and flags files that differ from the manifest", () => {
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
    const un = unpackSubmission(submissions[0], work, NBS);
    expect(un.notebooks["01_a.ipynb"]).to.equal(path.join(work, "notebooks", "01_a.ipynb"));
    expect(un.notebooks["02_b.ipynb"]).to.equal(null);
    expect(fs.existsSync(path.join(work, "notebooks", "bonus-model", "model.json"))).to.equal(true);
    expect(fs.existsSync(path.join(dir, "evil.txt"))).to.equal(false);
    expect(fs.existsSync(path.join(dir, "work", "evil.txt"))).to.equal(false);
    expect(un.warnings.join("\n")).to.match(/unsafe path in zip: \.\.\/\.\.\/evil.txt/);
    expect(un.warnings.join("\n")).to.match(/01_a.ipynb: content differs from the manifest/);
  });
});
