/**
 * Issue 16's done-means: from the shipped masters to grades.csv. Release the kit (the real
 * command), three students submit (one late, one from Colab without cell ids, one with a
 * Unicode name), grade, import manual points, export the CSV, and check every number in it.
 *
 * Each student solves notebook 01 with the master's solutions (the rest stays as released,
 * stubs that earn nothing), so every expected number follows from the specs and course.json:
 * auto = 01's points, manual = the imported points, final = (auto + manual) * (1 - penalty).
 */
import AdmZip from "adm-zip";
import { expect } from "chai";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { loadAssignment, maxScore } from "../../grader/judge/assignment";
import { parseCsv } from "../../grader/export/csv";
import { cellSource, type NotebookJson } from "../../grader/core/notebook";
import { KIT_ROOT } from "../../grader/core/version";
import { grader, readJson, tmpDir } from "../cli/helpers";

const DUE = "2026-12-10T23:59:00.000Z";
const MARKER = /^[ \t]*\/\/[ \t]*(BEGIN|END) SOLUTION.*$\n?/gm;
const sha = (b: Buffer | string): string => crypto.createHash("sha256").update(b).digest("hex");

/** The kit's notebook with every exercise of the master filled in (what a student who solved it saves). */
function solved(kitNotebook: NotebookJson, master: NotebookJson): NotebookJson {
  const nb = JSON.parse(JSON.stringify(kitNotebook)) as NotebookJson;
  nb.cells.forEach((c, i) => {
    if (c.cell_type === "code" && /not implemented/.test(cellSource(c))) c.source = cellSource(master.cells[i]).replace(MARKER, "");
  });
  return nb;
}

/** As Colab saves it: nbformat 4.4 without cell ids, its own random metadata.id per cell, a colab block, one added cell. */
function asColab(nb: NotebookJson): NotebookJson {
  const out = JSON.parse(JSON.stringify(nb)) as NotebookJson;
  out.nbformat_minor = 0;
  out.metadata = { ...out.metadata, colab: { provenance: [], name: "01_activations.ipynb" } };
  out.cells.forEach((c, i) => {
    delete c.id;
    c.metadata = { ...c.metadata, id: crypto.createHash("md5").update(`colab${i}`).digest("base64").slice(0, 12) };
  });
  out.cells.splice(4, 0, { cell_type: "code", metadata: { id: "zQx81kLmP0aB" }, source: "console.log(sigmoid(0.25));", outputs: [], execution_count: null });
  return out;
}

/** A submission zip as `npm run submit` writes it. */
function submissionZip(file: string, student: string, notebooks: Record<string, NotebookJson>, timestamp: string): void {
  const zip = new AdmZip();
  const files: Record<string, string> = {};
  for (const [name, nb] of Object.entries(notebooks)) {
    const text = JSON.stringify(nb, null, 1) + "\n";
    zip.addFile(`notebooks/${name}`, Buffer.from(text));
    files[`notebooks/${name}`] = sha(text);
  }
  zip.addFile("manifest.json", Buffer.from(JSON.stringify({ student, assignment: "nn-exercises", timestamp, kitVersion: "0.1.0", files, history: [] }, null, 2)));
  zip.writeZip(file);
}

describe("a term, from the shipped masters to grades.csv (issue 16, done means)", function () {
  this.timeout(3_600_000);
  const tmp = tmpDir("term");
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const specs = loadAssignment();
  const max = (nb: string): number => maxScore(specs.find((s) => s.notebook === nb)!);
  const total = specs.reduce((n, s) => n + maxScore(s), 0);

  it("releases, grades three students, imports manual points and exports a CSV whose every number is right", () => {
    const kit = path.join(tmp, "kit");
    const rel = grader(["release", "-o", kit]);
    expect(rel.code, rel.err).to.equal(0);
    const kitNb = (name: string): NotebookJson => readJson<NotebookJson>(path.join(kit, "notebooks", name));
    const all = (first: NotebookJson): Record<string, NotebookJson> =>
      Object.fromEntries(specs.map((s) => [s.notebook, s.notebook === "01_activations.ipynb" ? first : kitNb(s.notebook)]));
    const nb01 = solved(kitNb("01_activations.ipynb"), readJson<NotebookJson>(path.join(KIT_ROOT, "notebooks", "01_activations.ipynb")));

    const subs = path.join(tmp, "subs");
    fs.mkdirSync(subs);
    // late: 1 day and 3 hours after the due date -> 2 started days -> 20 %
    submissionZip(path.join(subs, "lee.zip"), "lee", all(nb01), "2026-12-12T02:59:00.000Z");
    submissionZip(path.join(subs, "cat.zip"), "cat", all(asColab(nb01)), "2026-12-10T20:00:00.000Z");
    submissionZip(path.join(subs, "Zoë Müller.zip"), "Zoë Müller", all(nb01), "2026-12-09T08:00:00.000Z");

    const course = {
      assignment: "nn-exercises", dueDate: DUE, late: { graceMinutes: 15, penaltyPerDay: 0.1, maxDaysLate: 7 },
      csv: { columns: [
        { header: "Student", value: "student" }, { header: "Auto", value: "auto" }, { header: "Manual", value: "manual" },
        { header: "Score", value: "final" }, { header: "Max", value: "max" }, { header: "Late days", value: "lateDays" },
        { header: "Penalty", value: "penalty" }, { header: "01", value: "nb:01_activations" }, { header: "02", value: "nb:02_mlp" },
        { header: "Status", value: "status" },
      ] },
    };
    const courseFile = path.join(tmp, "course.json");
    fs.writeFileSync(courseFile, JSON.stringify(course));
    const gb = path.join(tmp, "gradebook.sqlite");
    // the LMS's record of when each file arrived (the manifests' own times are never used)
    const times = path.join(tmp, "times.csv");
    fs.writeFileSync(times, "id,time\nlee,2026-12-12T02:59:00Z\ncat,2026-12-10T20:00:00Z\nZoë Müller,2026-12-09T08:00:00Z\n");
    const g = grader(["grade", subs, "-g", gb, "-c", courseFile, "-j", "2", "--times", times]);
    expect(g.err).not.to.match(/ignored|dropped/);
    expect(g.out, g.err).to.match(/^3 submissions: 15 notebook runs \(graded 15, failed 0, timed out 0\)/);

    const points = path.join(tmp, "manual.csv");
    fs.writeFileSync(points, "student,question,points,comment\nlee,written-answer,1,ok\ncat,written-answer,2,good\nZoë Müller,written-answer,1.5,\"clear, short\"\n");
    const imp = grader(["export", "manual-import", points, "-g", gb]);
    expect(imp.code, imp.err).to.equal(0);

    const out = path.join(tmp, "export");
    const ex = grader(["export", "csv", "-g", gb, "-c", courseFile, "-o", out]);
    expect(ex.code, ex.err).to.equal(0);
    const rows = parseCsv(fs.readFileSync(path.join(out, "grades.csv"), "utf8"));
    const auto = max("01_activations.ipynb");
    const row = (student: string, manual: number, lateDays: number, penalty: number): string[] => [
      student, String(auto), String(manual), String(Math.round((auto + manual) * (1 - penalty) * 100) / 100), String(total),
      String(lateDays), String(penalty), String(auto), "0", "graded",
    ];
    expect(rows).to.deep.equal([
      course.csv.columns.map((c) => c.header),
      row("cat", 2, 0, 0),
      row("lee", 1, 2, 0.2),
      row("Zoë Müller", 1.5, 0, 0),
    ]);
  });
});
